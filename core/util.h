/* Small helpers shared by the core: clocks, strings, files. */
#ifndef SABA_UTIL_H
#define SABA_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* Milliseconds on the monotonic clock. */
int64_t saba_now_ms(void);
/* Milliseconds since the epoch (wall clock). */
int64_t saba_wall_ms(void);

/* The absolute time ms from now on clock clk, for pthread_cond_timedwait. */
void saba_abstime(int clk, int64_t ms, struct timespec *ts);

/* strdup that aborts on out-of-memory: the agent cannot do anything
 * sensible without memory, and checking every string copy hides logic. */
char *saba_strdup(const char *s);
void *saba_calloc(size_t n, size_t size);
void *saba_realloc(void *p, size_t size);
char *saba_asprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
char *saba_vasprintf(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));

/* Read a whole (small) regular file of at most max bytes; NUL-terminated;
 * NULL with errno on failure: EINVAL for anything but a regular file (a
 * FIFO never blocks the open), EFBIG above max.  saba_file_strerror()
 * words those errors. */
char *saba_read_file(const char *path, size_t max, size_t *len);
const char *saba_file_strerror(int err);
/* Strip trailing whitespace (CR, LF, spaces) in place. */
void saba_rstrip(char *s);

/* Per-host jitter in [0, range) derived from the host id (FNV-1a). */
uint64_t saba_hash(const char *s);

/* Backoff: base_ms * 2^attempt capped at cap_ms, with +-20% jitter. */
int64_t saba_backoff_ms(int attempt, int64_t base_ms, int64_t cap_ms);

#endif
