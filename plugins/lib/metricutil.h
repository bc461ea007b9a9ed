/*
 * Helpers shared by the cpu, disk, interface and filesystem plugins, linked
 * into each module as the convenience library libsabametric (plugins never
 * link against the agent).  Nothing here keeps state outside the caller's
 * structs.
 */
#ifndef SABA_METRICUTIL_H
#define SABA_METRICUTIL_H

#include <regex.h>
#include <stddef.h>
#include <stdint.h>

#include <saba/plugin.h>

/* --- files and lines --- */

/* Read a whole (small) file into a malloc'd, NUL-terminated *buf; procfs
 * files report st_size 0, so this reads until EOF.  Returns 0 or an errno
 * value (EFBIG beyond 64 MiB). */
int saba_read_file(const char *path, char **buf, size_t *len);

/* Next line of a buffer, cut in place (the '\n' becomes NUL); NULL at the
 * end.  *cursor starts at the buffer. */
char *saba_next_line(char **cursor);

/* Split a line in place at blanks (space, tab); stores at most max fields
 * and returns how many there are in total (may exceed max). */
int saba_split_fields(char *line, char **fields, int max);

/* A whole field of ASCII decimal digits as a uint64_t: SABA_OK, or
 * SABA_INVALID for anything else (sign, junk, overflow). */
int saba_parse_u64(const char *s, uint64_t *out);

/* --- names and settings --- */

/* "<prefix><raw with [^A-Za-z0-9_-] as _><suffix>" into buf, the way
 * mackerel-agent sanitises device and interface names.  SABA_OK, or
 * SABA_INVALID when it does not fit. */
int saba_metric_name(char *buf, size_t len, const char *prefix, const char *raw,
		     const char *suffix);

/* Compile the string setting key as a POSIX extended regex into a malloc'd
 * *re (NULL when the key is absent).  A bad type or pattern is reported
 * through config_error and returns SABA_INVALID. */
int saba_regex_setting(const struct saba_host *host, saba_ctx *ctx, const char *key, regex_t **re);
/* Does re (may be NULL: never) match s anywhere? */
int saba_regex_match(const regex_t *re, const char *s);
void saba_regex_free(regex_t *re);

/* The directory setting key (default def) as a malloc'd copy without
 * trailing slashes.  Reports a bad value through config_error. */
int saba_dir_setting(const struct saba_host *host, saba_ctx *ctx, const char *key, const char *def,
		     char **dir);

/* "<dir>/<file>", malloc'd; NULL when out of memory. */
char *saba_join(const char *dir, const char *file);

/* Seconds on CLOCK_MONOTONIC: rates use the real time between samples. */
double saba_monotonic(void);

/* --- previous samples of per-device counters (disk, interface) --- */

struct saba_sample {
	char *name;    /* sanitised device name */
	uint64_t v[2]; /* the two counters of the device */
};

struct saba_samples {
	struct saba_sample *v;
	size_t n, cap;
	double at; /* saba_monotonic() when read */
};

/* Append a sample (copies name).  SABA_OK or SABA_ERROR (out of memory). */
int saba_samples_add(struct saba_samples *s, const char *name, uint64_t a, uint64_t b);
/* The sample of name, or NULL.  *hint is where the search starts and is
 * moved past the hit, so files listed in a stable order cost O(n). */
const struct saba_sample *saba_samples_find(const struct saba_samples *s, const char *name,
					    size_t *hint);
/* Forget the samples, keep the memory. */
void saba_samples_clear(struct saba_samples *s);
void saba_samples_free(struct saba_samples *s);

/* Per-second rate of a counter: SABA_OK and *rate, or SABA_NOTFOUND when
 * the counter went back (reset, wrap, device replaced) or no time passed:
 * such a sample is skipped rather than reported negative or huge. */
int saba_counter_rate(uint64_t prev, uint64_t cur, double elapsed, double *rate);

/* --- building JSON text for spec_set() --- */

struct saba_json {
	char *buf;
	size_t len, cap;
	int failed; /* out of memory: every later call is a no-op */
};

/* Append raw text. */
void saba_json_raw(struct saba_json *j, const char *s);
/* Append s as a JSON string: quoted, escaped, invalid UTF-8 as U+FFFD. */
void saba_json_str(struct saba_json *j, const char *s);
/* Append "<sep>\"key\":" (sep "," unless first). */
void saba_json_key(struct saba_json *j, const char *key, int first);
/* Append an unsigned integer. */
void saba_json_u64(struct saba_json *j, uint64_t v);
void saba_json_free(struct saba_json *j);

#endif
