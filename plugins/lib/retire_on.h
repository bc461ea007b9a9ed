/* Helpers shared by the shutdown-trigger plugins (linked into each). */
#ifndef SABA_RETIRE_ON_H
#define SABA_RETIRE_ON_H

#include <stdint.h>
#include <saba/plugin.h>

/* The name of a stop kind, as logs and `retire_on` spell it. */
const char *saba_stop_name(int kind);

/* Read the `retire_on` setting: a list of kind names, each one of
 * allowed[] (NULL-terminated), into a bit set (1 << kind).  Absent: def.
 * A bad value is reported through config_error; returns SABA_OK or
 * SABA_INVALID. */
int saba_retire_on(const struct saba_host *host, saba_ctx *ctx, const char *const *allowed,
		   uint32_t def, uint32_t *out);

#endif
