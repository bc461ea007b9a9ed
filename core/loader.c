#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#ifdef _WIN32
#include <windows.h>
#else
#include <dlfcn.h>
#endif

#include "loader.h"
#include "util.h"

#ifdef _WIN32
/* The seam: LoadLibraryW on Windows.  Who may write a plugin is the
 * plugin directory's ACL's business (Program Files: administrators). */
static int saba_check_file(const char *path, char *err, size_t errlen)
{
	wchar_t *w = saba_win_wide(path);
	DWORD a = w != NULL ? GetFileAttributesW(w) : INVALID_FILE_ATTRIBUTES;
	char msg[256];

	free(w);
	if (a == INVALID_FILE_ATTRIBUTES) {
		snprintf(err, errlen, "%s: cannot load plugin: %s", path,
			 saba_win_strerror(GetLastError(), msg, sizeof(msg)));
		return -1;
	}
	if ((a & (FILE_ATTRIBUTE_DIRECTORY | FILE_ATTRIBUTE_REPARSE_POINT)) != 0) {
		snprintf(err, errlen, "%s: refusing to load plugin: not a regular file", path);
		return -1;
	}
	return 0;
}

static void *saba_dl_open(const char *path, char *err, size_t errlen)
{
	wchar_t *w = saba_win_wide(path);
	char msg[256];
	HMODULE h;

	/* The plugin's own directory first for the DLLs it depends on. */
	h = w != NULL ? LoadLibraryExW(w, NULL, LOAD_WITH_ALTERED_SEARCH_PATH) : NULL;
	if (h == NULL)
		snprintf(err, errlen, "%s: cannot load plugin: %s", path,
			 saba_win_strerror(GetLastError(), msg, sizeof(msg)));
	free(w);
	return (void *)h;
}

static void *saba_dl_sym(void *h, const char *name)
{
	return (void *)GetProcAddress((HMODULE)h, name);
}

static void saba_dl_close(void *h)
{
	FreeLibrary((HMODULE)h);
}
#else
/* Only root or the agent's own user may own a plugin, and nobody else may
 * be able to write it: a plugin runs with the agent's privileges. */
static int saba_check_file(const char *path, char *err, size_t errlen)
{
	struct stat st;

	if (lstat(path, &st) != 0) {
		snprintf(err, errlen, "%s: cannot load plugin: %s", path, strerror(errno));
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s: refusing to load plugin: not a regular file", path);
		return -1;
	}
	if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
		snprintf(err, errlen,
			 "%s: refusing to load plugin: writable by group or others (mode %03o)",
			 path, (unsigned)(st.st_mode & 0777));
		return -1;
	}
	if (st.st_uid != 0 && st.st_uid != geteuid()) {
		snprintf(err, errlen,
			 "%s: refusing to load plugin: owned by uid %u, not root or the agent's "
			 "user (uid %u)",
			 path, (unsigned)st.st_uid, (unsigned)geteuid());
		return -1;
	}
	return 0;
}

static void *saba_dl_open(const char *path, char *err, size_t errlen)
{
	void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);

	if (h == NULL)
		snprintf(err, errlen, "%s: cannot load plugin: %s", path, dlerror());
	return h;
}

static void *saba_dl_sym(void *h, const char *name)
{
	return dlsym(h, name);
}

static void saba_dl_close(void *h)
{
	dlclose(h);
}
#endif

/* The header and the members of ABI 1.0 every plugin must carry. */
#define SABA_MIN_DESC_SIZE (offsetof(struct saba_plugin, name) + sizeof(const char *))

struct saba_module *saba_module_open(const char *dir, const char *name, char *err, size_t errlen)
{
	struct saba_module *m = NULL;
	saba_plugin_entry_fn entry;
	const struct saba_plugin *d;
	char *path = saba_asprintf("%s" SABA_DIRSEP "%s" SABA_MODULE_SUFFIX, dir, name);
	char why[512];
	void *h = NULL;
	size_t n;

	if (saba_check_file(path, err, errlen) != 0)
		goto fail;
	h = saba_dl_open(path, err, errlen);
	if (h == NULL)
		goto fail;
	*(void **)&entry = saba_dl_sym(h, SABA_PLUGIN_ENTRY_SYMBOL);
	if (entry == NULL) {
		snprintf(err, errlen, "%s: not a saba-agent plugin: no %s symbol", path,
			 SABA_PLUGIN_ENTRY_SYMBOL);
		goto fail;
	}
	d = entry();
	if (d == NULL) {
		snprintf(err, errlen, "%s: %s() returned NULL", path, SABA_PLUGIN_ENTRY_SYMBOL);
		goto fail;
	}
	if (d->abi_major != SABA_PLUGIN_ABI_MAJOR) {
		snprintf(err, errlen,
			 "%s: plugin ABI major %u does not match the agent's ABI major %u "
			 "(rebuild the plugin against this agent's saba/plugin.h)",
			 path, (unsigned)d->abi_major, (unsigned)SABA_PLUGIN_ABI_MAJOR);
		goto fail;
	}
	if (d->struct_size < SABA_MIN_DESC_SIZE) {
		snprintf(err, errlen,
			 "%s: plugin descriptor too short (%u bytes, need at least %zu)", path,
			 (unsigned)d->struct_size, SABA_MIN_DESC_SIZE);
		goto fail;
	}
	m = saba_calloc(1, sizeof(*m));
	n = d->struct_size < sizeof(m->desc) ? d->struct_size : sizeof(m->desc);
	memcpy(&m->desc, d, n);
	if (m->desc.name == NULL || *m->desc.name == '\0') {
		snprintf(err, errlen, "%s: plugin descriptor has no name", path);
		free(m);
		m = NULL;
		goto fail;
	}
	/* A bad table is the plugin author's mistake: refuse the module. */
	if (saba_settings_init(&m->settings, &m->desc, why, sizeof(why)) != 0) {
		snprintf(err, errlen, "%s: plugin %s: %s", path, m->desc.name, why);
		saba_settings_free(&m->settings);
		free(m);
		m = NULL;
		goto fail;
	}
	m->name = saba_strdup(name);
	m->path = path;
	m->handle = h;
	m->refs = 1;
	return m;
fail:
	if (h != NULL)
		saba_dl_close(h);
	free(path);
	return NULL;
}

void saba_module_close(struct saba_module *m)
{
	if (m == NULL || --m->refs > 0)
		return;
	if (!m->pinned && getenv("SABA_NO_DLCLOSE") == NULL)
		saba_dl_close(m->handle);
	saba_settings_free(&m->settings);
	free(m->name);
	free(m->path);
	free(m);
}

void saba_module_caps(const struct saba_plugin *d, char *buf, size_t len)
{
	struct {
		int on;
		const char *name;
	} caps[] = {
		{d->collect != NULL, "collect"},	{d->host_spec != NULL, "host_spec"},
		{d->start != NULL, "background"},	{d->shutdown != NULL, "shutdown"},
		{d->confirm_retire != NULL, "confirm"}, {d->service_main != NULL, "service"},
	};
	size_t i, used = 0;

	buf[0] = '\0';
	for (i = 0; i < sizeof(caps) / sizeof(caps[0]); i++) {
		if (!caps[i].on)
			continue;
		used += (size_t)snprintf(buf + used, used < len ? len - used : 0, "%s%s",
					 used > 0 ? "," : "", caps[i].name);
	}
	if (used == 0)
		snprintf(buf, len, "-");
}
