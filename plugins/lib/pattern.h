/* Pattern settings: a POSIX extended regex from a plugin's string
 * setting (the ignore key of disk, interface and filesystem). */
#ifndef SABA_PATTERN_H
#define SABA_PATTERN_H

#include <regex.h>

#include <saba/plugin.h>

/* Compile the string setting key as a POSIX extended regex into a malloc'd
 * *re (NULL when the key is absent).  A bad pattern is reported
 * through config_error and returns SABA_INVALID. */
int saba_regex_setting(const struct saba_host *host, saba_ctx *ctx, const char *key, regex_t **re);
/* Does re (may be NULL: never) match s anywhere? */
int saba_regex_match(const regex_t *re, const char *s);
void saba_regex_free(regex_t *re);

#endif
