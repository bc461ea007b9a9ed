/*
 * filesystem (Windows): filesystem.<drive>.size and filesystem.<drive>.used
 * in bytes for every fixed drive (GetDriveType DRIVE_FIXED), named by its
 * letter as upstream does ("filesystem.C.size").  used = size - free.
 * `use_mountpoint` is accepted as on Linux (one config, or `import`'s,
 * serves both), and changes nothing: a drive's letter is its mount point.
 *
 * Settings: saba_wfs_settings below (`saba-agent plugins filesystem` lists them
 * with their defaults).
 */
#include <windows.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <saba/plugin.h>

struct saba_wfs {
	const struct saba_host *host;
	saba_ctx *ctx;
	char ignore[27]; /* upper-case letters, NUL-terminated */
};

static const struct saba_setting saba_wfs_settings[] = {
	{.name = "ignore",
	 .type = SABA_CFG_STRING_LIST,
	 .description = "drive letters to leave out ([\"D\"])"},
	{.name = "use_mountpoint",
	 .type = SABA_CFG_BOOL,
	 .def = "false",
	 .description = "as on Linux; a drive is named by its letter, its mount point, either way"},
	{.name = NULL},
};

static int saba_wfs_create(const struct saba_host *host, saba_ctx *ctx, void **instance)
{
	struct saba_wfs *f = calloc(1, sizeof(*f));
	int n, rc = SABA_INVALID;
	size_t used = 0;

	if (f == NULL) {
		host->log(ctx, SABA_LOG_ERR, "out of memory");
		return SABA_ERROR;
	}
	f->host = host;
	f->ctx = ctx;
	n = host->config_count(ctx, "ignore");
	if (n == SABA_NOTFOUND)
		n = 0;
	if (n < 0)
		goto out;
	for (int i = 0; i < n; i++) {
		const char *v = NULL;

		if (host->config_element(ctx, "ignore", i, NULL, &v) != SABA_OK || v == NULL ||
		    !isalpha((unsigned char)v[0]) || (v[1] != '\0' && strcmp(v + 1, ":") != 0)) {
			host->config_error(ctx, "ignore",
					   "element %d must be a drive letter (\"D\")", i);
			goto out;
		}
		if (used < sizeof(f->ignore) - 1 &&
		    strchr(f->ignore, toupper((unsigned char)v[0])) == NULL)
			f->ignore[used++] = (char)toupper((unsigned char)v[0]);
	}
	*instance = f;
	f = NULL;
	rc = SABA_OK;
out:
	free(f);
	return rc;
}

static void saba_wfs_destroy(void *instance)
{
	free(instance);
}

static int saba_wfs_collect(void *instance)
{
	struct saba_wfs *f = instance;
	DWORD drives = GetLogicalDrives();

	for (int i = 0; i < 26; i++) {
		wchar_t root[] = {(wchar_t)(L'A' + i), L':', L'\\', L'\0'};
		ULARGE_INTEGER avail, total, free_bytes;
		char name[64], letter = (char)('A' + i);

		if (!(drives & (1u << i)) || strchr(f->ignore, letter) != NULL ||
		    GetDriveTypeW(root) != DRIVE_FIXED)
			continue;
		if (!GetDiskFreeSpaceExW(root, &avail, &total, &free_bytes)) {
			f->host->log(f->ctx, SABA_LOG_DEBUG,
				     "%c: GetDiskFreeSpaceEx failed (error %lu)", letter,
				     (unsigned long)GetLastError());
			continue;
		}
		snprintf(name, sizeof(name), "filesystem.%c.size", letter);
		f->host->emit(f->ctx, name, (double)total.QuadPart);
		snprintf(name, sizeof(name), "filesystem.%c.used", letter);
		f->host->emit(f->ctx, name, (double)(total.QuadPart - free_bytes.QuadPart));
	}
	return SABA_OK;
}

static const struct saba_plugin saba_wfs_plugin = {
	SABA_PLUGIN_HEADER,
	.name = "filesystem",
	.version = "1.0",
	.description = "fixed drives' size and usage (Windows)",
	.settings = saba_wfs_settings,
	.create = saba_wfs_create,
	.destroy = saba_wfs_destroy,
	.collect = saba_wfs_collect,
};

SABA_PLUGIN_EXPORT const struct saba_plugin *saba_plugin_entry(void)
{
	return &saba_wfs_plugin;
}
