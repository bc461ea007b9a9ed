/* Processes a command left behind, ended with it (leftover.c). */
#ifndef SABA_PLUGIN_LEFTOVER_H
#define SABA_PLUGIN_LEFTOVER_H

#include <stdint.h>

/* Make the agent the child subreaper (once; before the first command). */
void saba_leftover_prepare(void);
/* Now, in the unit of /proc/<pid>/stat's start time. */
uint64_t saba_leftover_now(void);
/* End every leftover started at or after since: SIGTERM, SIGKILL after
 * grace_ms, reaped. */
void saba_leftover_end(uint64_t since, int grace_ms);

#endif
