#include <stdlib.h>
#include <string.h>

#include "procfs.h"

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

int saba_dir_setting(const struct saba_host *host, saba_ctx *ctx, const char *key, char **dir)
{
	const char *v = NULL;
	size_t n;

	*dir = NULL;
	/* the agent checked the value and supplies the default */
	if (host->config_string(ctx, key, &v) != SABA_OK) {
		host->config_error(ctx, key,
				   "has no value (the agent is older than plugin ABI 1.3)");
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

int saba_procfs_path(const struct saba_host *host, saba_ctx *ctx, const char *file, char **path)
{
	char *root = NULL;
	int rc = saba_dir_setting(host, ctx, "procfs", &root);

	*path = NULL;
	if (rc != SABA_OK)
		return rc;
	/* Config strings live only during create(): keep a copy. */
	*path = saba_join(root, file);
	free(root);
	if (*path == NULL) {
		host->log(ctx, SABA_LOG_ERR, "out of memory");
		return SABA_ERROR;
	}
	return SABA_OK;
}
