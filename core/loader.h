/* The plugin loader: finds <plugin_dir>/<module>.so (.dll on Windows),
 * checks who may have written it, dlopens it (LoadLibraryW on Windows) and
 * copies its descriptor defensively. */
#ifndef SABA_LOADER_H
#define SABA_LOADER_H

#include <stddef.h>
#include <saba/plugin.h>

#include "settings.h"

/* <plugin_dir><SEP><module><SUFFIX>: a DLL on Windows. */
#ifdef _WIN32
#define SABA_MODULE_SUFFIX ".dll"
#define SABA_DIRSEP	   "\\"
#else
#define SABA_MODULE_SUFFIX ".so"
#define SABA_DIRSEP	   "/"
#endif

struct saba_module {
	char *name;
	char *path;
	void *handle;
	int fd; /* the checked file, loaded as /proc/self/fd/<fd>; -1 on Windows */
	/* Zero-filled copy of the plugin's descriptor: members beyond the
	 * plugin's struct_size stay NULL, i.e. "not implemented". */
	struct saba_plugin desc;
	/* Its settings (or its config_keys as settings) and their defaults. */
	struct saba_settings settings;
	int refs;
	int pinned; /* a thread may still run its code: never dlclose */
};

/* Open module `name` from dir.  On failure returns NULL and writes a
 * message naming the file and the reason into err. */
struct saba_module *saba_module_open(const char *dir, const char *name, char *err, size_t errlen);
/* Drop a reference; the last one dlcloses (unless pinned or
 * SABA_NO_DLCLOSE is set, so valgrind and ASan can symbolize frames). */
void saba_module_close(struct saba_module *m);

/* Comma-separated capability names of a descriptor, for `plugins`. */
void saba_module_caps(const struct saba_plugin *d, char *buf, size_t len);

#endif
