/* Helpers shared by the /proc-reading plugins, linked into each module
 * (plugins never link against the agent). */
#ifndef SABA_PROCFS_H
#define SABA_PROCFS_H

#include <saba/plugin.h>

/* The schema entry every /proc plugin declares. */
#define SABA_PROCFS_CONFIG_KEY                                                                     \
	{                                                                                          \
		"procfs", SABA_CFG_STRING,                                                         \
			"root of procfs (default \"/proc\"; \"/host/proc\" in "                    \
			"a container)"                                                             \
	}

/* Read the instance's `procfs` setting and return a malloc'd
 * "<procfs>/<file>" in *path.  Reports a bad setting through config_error;
 * returns SABA_OK, SABA_INVALID or SABA_ERROR (out of memory). */
int saba_procfs_path(const struct saba_host *host, saba_ctx *ctx, const char *file, char **path);

#endif
