/* The retire_on setting of the shutdown-trigger plugins, and what a
 * classified stop does with it (linked into each trigger). */
#ifndef SABA_RETIRE_ON_H
#define SABA_RETIRE_ON_H

#include <stdint.h>
#include <saba/plugin.h>

/* Read the `retire_on` setting: a list of kind names, each one of
 * allowed[] (NULL-terminated), into a bit set (1 << kind).  Absent: def.
 * A bad value is reported through config_error; returns SABA_OK or
 * SABA_INVALID. */
int saba_retire_on(const struct saba_host *host, saba_ctx *ctx, const char *const *allowed,
		   uint32_t def, uint32_t *out);

/* The end of a trigger's shutdown(): log kind and its evidence, and call
 * host->retire() when kind may retire (a restart, a single-user stop and an
 * unknown one never do) and retire_on has it.  Returns kind. */
int saba_retire_on_stop(const struct saba_host *host, saba_ctx *ctx, int kind, const char *evidence,
			uint32_t retire_on);

#endif
