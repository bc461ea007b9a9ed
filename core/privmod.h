/* The agent's private modules in the package library directory: code with
 * heavy dependencies that only some commands need, loaded on first use
 * (saba-http-curl.so: libcurl and its TLS stack; saba-toml.so: toml++ and
 * libstdc++).  Not for plugins (core/loader.c). */
#ifndef SABA_PRIVMOD_H
#define SABA_PRIVMOD_H

#include <stddef.h>

/* Load the module file (e.g. "saba-toml.so") and return what its entry
 * function symbol returns, once check accepts it (check may say why not in
 * why).  The places tried, in order: the path in the environment variable
 * env, the build tree beside the executable (a build tree always uses its
 * own), the package library directory relative to the executable, then by
 * its configured path.  The module stays loaded.  NULL with every place's
 * reason in err when none will do. */
const void *saba_privmod_load(const char *file, const char *env, const char *symbol,
			      int (*check)(const void *api, char *why, size_t len), char *err,
			      size_t errlen);

#endif
