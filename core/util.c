#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

int64_t saba_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t saba_wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void saba_abstime(int clk, int64_t ms, struct timespec *ts)
{
#ifdef _WIN32
	/* winpthreads' timed waits always count on the wall clock (and refuse
	 * a monotonic condattr), so their deadlines must too. */
	clk = CLOCK_REALTIME;
#endif
	clock_gettime((clockid_t)clk, ts);
	if (ms < 0)
		ms = 0;
	ts->tv_sec += ms / 1000;
	ts->tv_nsec += (ms % 1000) * 1000000;
	if (ts->tv_nsec >= 1000000000) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000;
	}
}

static void saba_oom(void)
{
	static const char msg[] = "saba-agent: out of memory\n";

	if (write(STDERR_FILENO, msg, sizeof(msg) - 1) < 0)
		abort();
	abort();
}

char *saba_strdup(const char *s)
{
	char *p = strdup(s != NULL ? s : "");

	if (p == NULL)
		saba_oom();
	return p;
}

void *saba_calloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (p == NULL)
		saba_oom();
	return p;
}

void *saba_realloc(void *p, size_t size)
{
	void *q = realloc(p, size ? size : 1);

	if (q == NULL)
		saba_oom();
	return q;
}

char *saba_vasprintf(const char *fmt, va_list ap)
{
	char *s = NULL;

	if (vasprintf(&s, fmt, ap) < 0)
		saba_oom();
	return s;
}

char *saba_asprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	s = saba_vasprintf(fmt, ap);
	va_end(ap);
	return s;
}

char *saba_read_file(const char *path, size_t max, size_t *len)
{
	/* O_NONBLOCK: a FIFO planted in place of the file must not hang the
	 * open; only a regular file is read (its reads never block). */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	char *buf = NULL;
	size_t used = 0;
	struct stat st;
	int saved;

	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) != 0)
		goto fail;
	if (!S_ISREG(st.st_mode)) {
		errno = EINVAL;
		goto fail;
	}
	buf = saba_calloc(1, max + 2);
	while (used <= max) {
		ssize_t n = read(fd, buf + used, max + 1 - used);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			goto fail;
		if (n == 0)
			break;
		used += (size_t)n;
	}
	if (used > max) {
		errno = EFBIG; /* never half a file */
		goto fail;
	}
	close(fd);
	buf[used] = '\0';
	if (len != NULL)
		*len = used;
	return buf;
fail:
	saved = errno;
	free(buf);
	close(fd);
	errno = saved;
	return NULL;
}

const char *saba_file_strerror(int err)
{
	if (err == EINVAL)
		return "not a regular file";
	if (err == EFBIG)
		return "file too large";
	return strerror(err);
}

void saba_rstrip(char *s)
{
	size_t n = strlen(s);

	while (n > 0 &&
	       (s[n - 1] == '\n' || s[n - 1] == '\r' || s[n - 1] == ' ' || s[n - 1] == '\t'))
		s[--n] = '\0';
}

uint64_t saba_hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	for (; *s != '\0'; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ULL;
	}
	return h;
}

int64_t saba_backoff_ms(int attempt, int64_t base_ms, int64_t cap_ms)
{
	int64_t d = base_ms;
	int64_t spread;

	while (attempt-- > 0 && d < cap_ms)
		d *= 2;
	if (d > cap_ms)
		d = cap_ms;
	/* Jitter so a fleet that lost the API at once does not return at once.
	 * rand() is good enough here and is seeded per process at start. */
	spread = d / 5;
	if (spread > 0)
		d += (int64_t)(rand() % (2 * spread + 1)) - spread;
	return d;
}
