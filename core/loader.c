#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#ifdef _WIN32
#include <windows.h>
#else
#include <dlfcn.h>
#include <pthread.h>
#endif

#include "loader.h"
#include "trust.h"
#include "util.h"

#ifdef _WIN32
/* The seam: LoadLibraryW on Windows.  Who may write a plugin is the
 * plugin directory's ACL's business (Program Files: administrators). */
static int saba_check_file(const char *dir, const char *path, int *fd, char *err, size_t errlen)
{
	wchar_t *w = saba_win_wide(path);
	DWORD a = w != NULL ? GetFileAttributesW(w) : INVALID_FILE_ATTRIBUTES;
	char msg[256];

	(void)dir;
	*fd = -1;
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

static void *saba_dl_open(const char *dir, const char *path, int *fd, char *err, size_t errlen)
{
	wchar_t *w;
	char msg[256];
	HMODULE h;

	if (saba_check_file(dir, path, fd, err, errlen) != 0)
		return NULL;
	w = saba_win_wide(path);
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

static void saba_dl_close(void *h, int fd)
{
	(void)fd;
	FreeLibrary((HMODULE)h);
}
#else
/*
 * A plugin runs with the agent's privileges, so only root or the agent's
 * user may have written it, or any directory above it (trust.c).  The
 * file is opened without following a link and checked on the open
 * descriptor, and that descriptor is what gets loaded: a swap in the
 * directory between the check and the load changes nothing.
 */
static int saba_check_file(const char *dir, const char *path, int *fd, struct stat *st, char *err,
			   size_t errlen)
{
	char why[1024];

	if (saba_trust_path(dir, SABA_TRUST_DIR, why, sizeof(why)) != 0) {
		snprintf(err, errlen, "%s: refusing to load plugin: %s", path, why);
		return -1;
	}
	*fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (*fd < 0) {
		if (errno == ELOOP)
			snprintf(
				err, errlen,
				"%s: refusing to load plugin: not a regular file (a symbolic link)",
				path);
		else
			snprintf(err, errlen, "%s: cannot load plugin: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(*fd, st) != 0) {
		snprintf(err, errlen, "%s: cannot load plugin: %s", path, strerror(errno));
		return -1;
	}
	if (saba_trust_stat(path, st, SABA_TRUST_FILE, why, sizeof(why)) != 0) {
		snprintf(err, errlen, "%s: refusing to load plugin: %s", path, why);
		return -1;
	}
	return 0;
}

/*
 * An object is known to the dynamic loader by every name it was opened
 * with, and a name in /proc/self/fd stays unique only while its
 * descriptor is open.  So each loaded file keeps one descriptor for as
 * long as it stays mapped, and a file already loaded (same device and
 * inode: a reload opens it again) is opened by that descriptor's name
 * rather than get a second name.
 */
struct saba_dl_file {
	dev_t dev;
	ino_t ino;
	int fd;
	int refs; /* modules open on it */
	struct saba_dl_file *next;
};

static pthread_mutex_t saba_dl_lock = PTHREAD_MUTEX_INITIALIZER;
static struct saba_dl_file *saba_dl_files;

static struct saba_dl_file *saba_dl_find(const struct stat *st, int fd)
{
	struct saba_dl_file *f = saba_dl_files;

	while (f != NULL &&
	       (st != NULL ? f->dev != st->st_dev || f->ino != st->st_ino : f->fd != fd))
		f = f->next;
	return f;
}

static void saba_dl_forget(struct saba_dl_file *f)
{
	struct saba_dl_file **pp = &saba_dl_files;

	while (*pp != f)
		pp = &(*pp)->next;
	*pp = f->next;
	close(f->fd);
	free(f);
}

static void *saba_dl_open(const char *dir, const char *path, int *fd, char *err, size_t errlen)
{
	struct saba_dl_file *f;
	struct stat st;
	char fdpath[64];
	void *h;

	*fd = -1;
	if (saba_check_file(dir, path, fd, &st, err, errlen) != 0) {
		if (*fd >= 0)
			close(*fd);
		*fd = -1;
		return NULL;
	}
	pthread_mutex_lock(&saba_dl_lock);
	f = saba_dl_find(&st, -1);
	if (f != NULL) {
		close(*fd);
	} else {
		f = saba_calloc(1, sizeof(*f));
		*f = (struct saba_dl_file){
			.dev = st.st_dev, .ino = st.st_ino, .fd = *fd, .next = saba_dl_files};
		saba_dl_files = f;
	}
	*fd = f->fd;
	/* The checked file itself, through its descriptor's name. */
	snprintf(fdpath, sizeof(fdpath), "/proc/self/fd/%d", f->fd);
	h = dlopen(fdpath, RTLD_NOW | RTLD_LOCAL);
	if (h != NULL)
		f->refs++;
	else
		snprintf(err, errlen, "%s: cannot load plugin: %s", path, dlerror());
	if (h == NULL && f->refs == 0)
		saba_dl_forget(f);
	pthread_mutex_unlock(&saba_dl_lock);
	if (h == NULL)
		*fd = -1;
	return h;
}

static void *saba_dl_sym(void *h, const char *name)
{
	return dlsym(h, name);
}

/* Unload; the descriptor goes once the object is really gone (a C++
 * plugin's unique symbols keep it mapped: then it stays for reuse). */
static void saba_dl_close(void *h, int fd)
{
	struct saba_dl_file *f;
	char fdpath[64];
	void *still;

	dlclose(h);
	pthread_mutex_lock(&saba_dl_lock);
	f = saba_dl_find(NULL, fd);
	if (f != NULL && --f->refs == 0) {
		snprintf(fdpath, sizeof(fdpath), "/proc/self/fd/%d", f->fd);
		still = dlopen(fdpath, RTLD_LAZY | RTLD_NOLOAD);
		if (still != NULL)
			dlclose(still);
		else
			saba_dl_forget(f);
	}
	pthread_mutex_unlock(&saba_dl_lock);
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
	int fd = -1;

	h = saba_dl_open(dir, path, &fd, err, errlen);
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
	m->fd = fd;
	m->refs = 1;
	return m;
fail:
	if (h != NULL)
		saba_dl_close(h, fd);
	free(path);
	return NULL;
}

void saba_module_close(struct saba_module *m)
{
	if (m == NULL || --m->refs > 0)
		return;
	if (!m->pinned && getenv("SABA_NO_DLCLOSE") == NULL)
		saba_dl_close(m->handle, m->fd);
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
