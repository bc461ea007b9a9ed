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

char *saba_join(const char *dir, const char *file)
{
	size_t n = strlen(dir), f = strlen(file);
	char *path = malloc(n + 1 + f + 1);

	if (path == NULL)
		return NULL;
	memcpy(path, dir, n);
	path[n] = '/';
	memcpy(path + n + 1, file, f + 1);
	return path;
}

int saba_dir_setting(const struct saba_host *host, saba_ctx *ctx, const char *key, const char *def,
		     char **dir)
{
	const char *v = def;
	int rc = host->config_string(ctx, key, &v);
	size_t n;

	*dir = NULL;
	if (rc == SABA_NOTFOUND) {
		v = def;
	} else if (rc != SABA_OK || v[0] == '\0') {
		host->config_error(ctx, key,
				   "must be a non-empty string, a directory (e.g. \"%s\")", def);
		return SABA_INVALID;
	}
	n = strlen(v);
	/* "/sys/" and "/sys" name the same place; keep "/" itself */
	while (n > 1 && v[n - 1] == '/')
		n--;
	*dir = strndup(v, n);
	if (*dir == NULL) {
		host->log(ctx, SABA_LOG_ERR, "out of memory");
		return SABA_ERROR;
	}
	return SABA_OK;
}
