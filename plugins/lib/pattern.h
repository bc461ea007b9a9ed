/* Pattern settings: regular expressions as mackerel-agent's users write
 * them (Go's RE2 syntax: \d, \w, (?i), non-greedy repeats, ...), compiled
 * with PCRE2 to match as Go's regexp does: the ignore key of disk,
 * interface and filesystem, exec's include_pattern and exclude_pattern. */
#ifndef SABA_PATTERN_H
#define SABA_PATTERN_H

#include <stddef.h>

#include <saba/plugin.h>

struct saba_regex;

/* Compile pattern into *re.  0, or -1 with the reason (and the offset
 * PCRE2 stopped at) in err. */
int saba_regex_compile(const char *pattern, struct saba_regex **re, char *err, size_t errlen);

/* Compile the string setting key into *re (NULL when the key is absent).
 * A bad pattern is reported through config_error (FILE:LINE, the offset)
 * and returns SABA_INVALID. */
int saba_regex_setting(const struct saba_host *host, saba_ctx *ctx, const char *key,
		       struct saba_regex **re);

/* Does re (NULL: never) match s anywhere?  1 or 0 (also when PCRE2 gives
 * up on a pattern that backtracks past its bound).  Any thread. */
int saba_regex_match(struct saba_regex *re, const char *s);

void saba_regex_free(struct saba_regex *re);

#endif
