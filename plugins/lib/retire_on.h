/* The retire_on setting of the shutdown-trigger plugins, and what a
 * classified stop does with it (linked into each trigger). */
#ifndef SABA_RETIRE_ON_H
#define SABA_RETIRE_ON_H

#include <stdint.h>
#include <saba/plugin.h>

/* The retire_on setting of a trigger: the stop kinds (NULL-terminated
 * names) allowed in it, and its default (in config syntax). */
#define SABA_RETIRE_ON_SETTING(allowed_kinds, default_kinds)                                       \
	{                                                                                          \
		.name = "retire_on", .type = SABA_CFG_STRING_LIST, .def = (default_kinds),         \
		.allowed = (allowed_kinds),                                                        \
		.description =                                                                     \
			"stop kinds that retire the host ([] = never; a restart and an unknown "   \
			"stop never do)"                                                           \
	}

/* Read the retire_on setting (its names checked by the agent, its default
 * supplied) into a bit set (1 << kind).  Returns SABA_OK or SABA_INVALID. */
int saba_retire_on(const struct saba_host *host, saba_ctx *ctx, uint32_t *out);

/* The end of a trigger's shutdown(): log kind and its evidence, and call
 * host->retire() when kind may retire (a restart, a single-user stop and an
 * unknown one never do) and retire_on has it.  Returns kind. */
int saba_retire_on_stop(const struct saba_host *host, saba_ctx *ctx, int kind, const char *evidence,
			uint32_t retire_on);

#endif
