#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

/* Set once at start-up, before any thread exists. */
static int saba_max_level = SABA_LOG_INFO;
static int saba_journal;

void saba_log_init(int max_level)
{
	saba_max_level = max_level;
	saba_journal = getenv("JOURNAL_STREAM") != NULL;
}

int saba_log_file(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);

	if (fd < 0) {
		fprintf(stderr, "saba-agent: cannot open log file %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (fd != STDERR_FILENO) {
		if (dup2(fd, STDERR_FILENO) < 0) {
			fprintf(stderr, "saba-agent: cannot log to %s: %s\n", path,
				strerror(errno));
			close(fd);
			return -1;
		}
		close(fd);
	}
	return 0;
}

void saba_log_set_level(int max_level)
{
	__atomic_store_n(&saba_max_level, max_level, __ATOMIC_RELAXED);
}

int saba_log_level(void)
{
	return __atomic_load_n(&saba_max_level, __ATOMIC_RELAXED);
}

static const char *saba_level_name(int level)
{
	switch (level) {
	case SABA_LOG_ERR:
		return "error";
	case SABA_LOG_WARNING:
		return "warning";
	case SABA_LOG_NOTICE:
		return "notice";
	case SABA_LOG_INFO:
		return "info";
	default:
		return "debug";
	}
}

size_t saba_log_escape(const char *in, char *out, size_t outlen)
{
	const unsigned char *p = (const unsigned char *)in;
	size_t n = 0;

	if (outlen == 0)
		return 0;
	for (; *p != '\0'; p++) {
		char esc[8];
		size_t el;

		if (*p == '\n' || *p == '\r' || *p == '\t') {
			esc[0] = '\\';
			esc[1] = *p == '\n' ? 'n' : *p == '\r' ? 'r' : 't';
			el = 2;
		} else if (*p < 0x20 || *p == 0x7f) {
			el = (size_t)snprintf(esc, sizeof(esc), "\\x%02x", *p);
		} else if (*p == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f) {
			/* C1 controls in UTF-8 (U+0080..U+009F): CSI among them */
			el = (size_t)snprintf(esc, sizeof(esc), "\\u%04x", p[1]);
			p++;
		} else {
			esc[0] = (char)*p;
			el = 1;
		}
		if (n + el >= outlen)
			break;
		memcpy(out + n, esc, el);
		n += el;
	}
	out[n] = '\0';
	return n;
}

void saba_logv(int level, const char *prefix, const char *fmt, va_list ap)
{
	char line[2048], msg[2048];
	size_t n = 0;

	if (level > saba_log_level())
		return;
	if (saba_journal) {
		n = (size_t)snprintf(line, sizeof(line), "<%d>", level);
	} else {
		struct timespec ts;
		struct tm tm;

		clock_gettime(CLOCK_REALTIME, &ts);
		gmtime_r(&ts.tv_sec, &tm);
		n = strftime(line, sizeof(line), "%Y-%m-%dT%H:%M:%SZ ", &tm);
		n += (size_t)snprintf(line + n, sizeof(line) - n, "%s: ", saba_level_name(level));
	}
	if (prefix != NULL && n < sizeof(line))
		n += (size_t)snprintf(line + n, sizeof(line) - n, "%s: ", prefix);
	/* What the message carries (a server's answer, a file, a plugin's
	 * text) cannot start a line of its own or drive the terminal. */
	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (n < sizeof(line) - 1)
		n += saba_log_escape(msg, line + n, sizeof(line) - 1 - n);
	if (n > sizeof(line) - 2)
		n = sizeof(line) - 2;
	line[n++] = '\n';
	/* One write per line keeps lines from different threads whole.  A
	 * log that cannot be written (a closed pipe, a full disk) must never
	 * take the agent down: the line is lost, nothing else. */
	if (write(STDERR_FILENO, line, n) < 0)
		return;
}

void saba_log(int level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	saba_logv(level, NULL, fmt, ap);
	va_end(ap);
}
