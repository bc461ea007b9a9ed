#include <stdlib.h>
#include <string.h>

#include "procfs.h"

static char *saba_procfs_join(const char *root, const char *file)
{
	size_t n = strlen(root);
	char *path;

	while (n > 1 && root[n - 1] == '/')
		n--;
	path = malloc(n + 1 + strlen(file) + 1);
	if (path == NULL)
		return NULL;
	memcpy(path, root, n);
	path[n] = '/';
	strcpy(path + n + 1, file);
	return path;
}

int saba_procfs_path(const struct saba_host *host, saba_ctx *ctx, const char *file, char **path)
{
	const char *procfs = "/proc";
	int rc = host->config_string(ctx, "procfs", &procfs);

	if (rc == SABA_NOTFOUND) {
		procfs = "/proc";
	} else if (rc != SABA_OK) {
		host->config_error(ctx, "procfs",
				   "must be a string, the root of procfs (e.g. \"/proc\")");
		return SABA_INVALID;
	} else if (procfs[0] == '\0') {
		host->config_error(ctx, "procfs", "must not be empty (e.g. \"/proc\")");
		return SABA_INVALID;
	}
	/* Config strings live only during create(): keep a copy. */
	*path = saba_procfs_join(procfs, file);
	if (*path == NULL) {
		host->log(ctx, SABA_LOG_ERR, "out of memory");
		return SABA_ERROR;
	}
	return SABA_OK;
}
