#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#ifndef _WIN32
#include <dlfcn.h>
#endif

#include "privmod.h"
#include "trust.h"

#ifdef _WIN32
const void *saba_privmod_load(const char *file, const char *env, const char *symbol,
			      int (*check)(const void *api, char *why, size_t len), char *err,
			      size_t errlen)
{
	(void)env;
	(void)symbol;
	(void)check;
	snprintf(err, errlen, "%s: no private modules on Windows", file);
	return NULL;
}
#else
/* The same rules as for plugins (trust.c): a regular file that only root
 * or the agent's user may have written, nor any directory above it, so
 * nobody else can swap it between this check and dlopen(). */
static int saba_privmod_file_ok(const char *path, char *why, size_t len)
{
	return saba_trust_path(path, SABA_TRUST_FILE, why, len) == 0;
}

static const void *saba_privmod_try(const char *path, const char *symbol,
				    int (*check)(const void *api, char *why, size_t len), char *why,
				    size_t len)
{
	const void *(*entry)(void);
	const void *api;
	void *handle;

	if (!saba_privmod_file_ok(path, why, len))
		return NULL;
	handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (handle == NULL) {
		snprintf(why, len, "%s", dlerror());
		return NULL;
	}
	*(void **)&entry = dlsym(handle, symbol);
	api = entry != NULL ? entry() : NULL;
	if (api == NULL) {
		snprintf(why, len, "no %s", symbol);
		dlclose(handle);
		return NULL;
	}
	if (!check(api, why, len)) {
		dlclose(handle);
		return NULL;
	}
	return api; /* never unloaded */
}

/* pkglibdir relative to bindir ("../lib/saba-agent"), so an installed tree
 * that was moved (or staged with DESTDIR) still finds its own module. */
static void saba_privmod_relative(char *out, size_t len)
{
	const char *bin = SABA_BINDIR, *lib = SABA_PKGLIBDIR;
	size_t common = 0, i, n = 0;

	/* The longest common prefix that ends at a directory boundary. */
	for (i = 0; bin[i] != '\0' && bin[i] == lib[i]; i++)
		if (bin[i] == '/')
			common = i;
	if (bin[i] == '\0' && (lib[i] == '/' || lib[i] == '\0'))
		common = i;
	/* One "../" per component of bindir below it. */
	for (const char *p = bin + common; *p != '\0' && n + 4 < len; p++) {
		if (*p == '/' && p[1] != '\0') {
			memcpy(out + n, "../", 3);
			n += 3;
		}
	}
	snprintf(out + n, len - n, "%s", lib + common + (lib[common] == '/'));
}

const void *saba_privmod_load(const char *file, const char *env, const char *symbol,
			      int (*check)(const void *api, char *why, size_t len), char *err,
			      size_t errlen)
{
	char exe[4096], rel[1024], why[512], *build_mod = NULL, *rel_mod = NULL, *installed;
	const char *candidates[4], *value = getenv(env);
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	const void *api = NULL;
	size_t used = 0;
	int nc = 0;

	err[0] = '\0';
	if (value != NULL && *value != '\0')
		candidates[nc++] = value;
	if (n > 0) {
		char *slash;

		exe[n] = '\0';
		slash = strrchr(exe, '/');
		if (slash != NULL) {
			*slash = '\0';
			build_mod = malloc(strlen(exe) + strlen(file) + 8);
			if (build_mod != NULL) {
				sprintf(build_mod, "%s/.libs/%s", exe, file);
				if (access(build_mod, F_OK) == 0)
					candidates[nc++] = build_mod;
			}
			saba_privmod_relative(rel, sizeof(rel));
			rel_mod = malloc(strlen(exe) + strlen(rel) + strlen(file) + 3);
			if (rel_mod != NULL) {
				sprintf(rel_mod, "%s/%s/%s", exe, rel, file);
				if (access(rel_mod, F_OK) == 0)
					candidates[nc++] = rel_mod;
			}
		}
	}
	installed = malloc(strlen(SABA_PKGLIBDIR) + strlen(file) + 2);
	if (installed != NULL) {
		sprintf(installed, "%s/%s", SABA_PKGLIBDIR, file);
		candidates[nc++] = installed;
	}
	for (int i = 0; i < nc && api == NULL; i++) {
		api = saba_privmod_try(candidates[i], symbol, check, why, sizeof(why));
		if (api != NULL)
			break;
		used += (size_t)snprintf(err + used, used < errlen ? errlen - used : 0, "%s%s: %s",
					 i > 0 ? "; " : "", candidates[i], why);
		if (used >= errlen)
			used = errlen - 1;
	}
	free(build_mod);
	free(rel_mod);
	free(installed);
	return api;
}
#endif
