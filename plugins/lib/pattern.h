/* Pattern settings: a regular expression from a plugin's string setting
 * (the ignore key of disk, interface and filesystem, exec's include and
 * exclude patterns).  POSIX extended regex; PCRE2 on Windows, which has
 * no regcomp() (PCRE2 also takes the RE2 syntax mackerel-agent's configs
 * are written in). */
#ifndef SABA_PATTERN_H
#define SABA_PATTERN_H

#include <saba/plugin.h>

/* A compiled pattern. */
struct saba_regex;

/* Compile the string setting key into a malloc'd *re (NULL when the key
 * is absent).  A bad pattern is reported through config_error and returns
 * SABA_INVALID. */
int saba_regex_setting(const struct saba_host *host, saba_ctx *ctx, const char *key,
		       struct saba_regex **re);
/* Does re (may be NULL: never) match s anywhere? */
int saba_regex_match(const struct saba_regex *re, const char *s);
void saba_regex_free(struct saba_regex *re);

#endif
