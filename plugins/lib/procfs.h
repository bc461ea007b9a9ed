/* Directory settings of the plugins that read /proc and /sys, linked into
 * each module (plugins never link against the agent). */
#ifndef SABA_PROCFS_H
#define SABA_PROCFS_H

#include <saba/plugin.h>

/* The setting every /proc plugin declares. */
#define SABA_PROCFS_SETTING                                                                        \
	{                                                                                          \
		.name = "procfs", .type = SABA_CFG_STRING, .def = "\"/proc\"",                     \
		.flags = SABA_SETTING_NONEMPTY,                                                    \
		.description = "root of procfs (\"/host/proc\" in a container)"                    \
	}

/* The instance's `procfs` setting and file as a malloc'd "<procfs>/<file>"
 * in *path.  Returns SABA_OK, SABA_INVALID (no value: an agent older than
 * ABI 1.3, which supplies no default) or SABA_ERROR (out of memory). */
int saba_procfs_path(const struct saba_host *host, saba_ctx *ctx, const char *file, char **path);

/* The directory setting key (a string setting with a default) as a
 * malloc'd copy without trailing slashes; the same returns. */
int saba_dir_setting(const struct saba_host *host, saba_ctx *ctx, const char *key, char **dir);

/* "<dir>/<file>", malloc'd; NULL when out of memory. */
char *saba_join(const char *dir, const char *file);

#endif
