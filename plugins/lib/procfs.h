/* Directory settings of the plugins that read /proc and /sys, linked into
 * each module (plugins never link against the agent). */
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

/* The directory setting key (default def) as a malloc'd copy without
 * trailing slashes.  Reports a bad value through config_error. */
int saba_dir_setting(const struct saba_host *host, saba_ctx *ctx, const char *key, const char *def,
		     char **dir);

/* "<dir>/<file>", malloc'd; NULL when out of memory. */
char *saba_join(const char *dir, const char *file);

#endif
