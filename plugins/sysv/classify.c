/*
 * The sysv trigger's classifier and utmp reader.  See shutdown-triggers.md
 * section 2: before sysvinit runs the stop scripts of a new runlevel it
 * writes a RUN_LVL utmp record whose ut_pid holds new + 256 * old.  The
 * daemon never sees init's RUNLEVEL/INIT_VERSION environment (it was
 * started long before), so utmp is its evidence.
 *
 * The reader parses the file itself with read(2) instead of utmpxname() +
 * getutxent(): those keep the file name and position in process-wide
 * statics (utmpxname() would also redirect every later utmp user in the
 * process), while the shutdown hook runs on a worker thread beside the
 * rest of the agent.  A plain read of an array of struct utmpx is all
 * glibc does, minus that state.  No lock is taken: init writes the record
 * we want before it runs any stop script, so it is never being written
 * while we read it.
 */
#define _GNU_SOURCE /* RUN_LVL */

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <utmpx.h>

#include "classify.h"

/* Records read at once. */
#define SABA_SYSV_CHUNK 32

static void saba_sysv_err(char *err, size_t len, const char *fmt, ...) SABA_PRINTF(3, 4);

static void saba_sysv_err(char *err, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || len == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
}

int saba_sysv_read_utmp(const char *path, struct saba_sysv_record *rec, char *err, size_t errlen)
{
	struct utmpx buf[SABA_SYSV_CHUNK];
	size_t have = 0, total = 0;
	int fd, found = 0, rc = SABA_SYSV_UNREADABLE;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		saba_sysv_err(err, errlen, "cannot open: %s", strerror(errno));
		return SABA_SYSV_UNREADABLE;
	}
	for (;;) {
		ssize_t n = read(fd, (char *)buf + have, sizeof(buf) - have);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			saba_sysv_err(err, errlen, "cannot read: %s", strerror(errno));
			goto out;
		}
		have += (size_t)n;
		total += (size_t)n;
		/* Whole records only; a partial one waits for the next read. */
		for (size_t i = 0; i < have / sizeof(buf[0]); i++) {
			const struct utmpx *u = &buf[i];

			/* EMPTY (0) .. ACCOUNTING (9): anything else is not utmp. */
			if (u->ut_type < EMPTY || u->ut_type > ACCOUNTING) {
				saba_sysv_err(err, errlen,
					      "not a utmp file (record %zu has type %d)",
					      (total - have) / sizeof(buf[0]) + i, (int)u->ut_type);
				goto out;
			}
			if (u->ut_type != RUN_LVL || (found && u->ut_tv.tv_sec < rec->time))
				continue;
			rec->runlevel = u->ut_pid & 0xff;
			rec->previous = (u->ut_pid >> 8) & 0xff;
			rec->time = u->ut_tv.tv_sec;
			found = 1;
		}
		if (have % sizeof(buf[0]) != 0)
			memmove(buf, (char *)buf + have - have % sizeof(buf[0]),
				have % sizeof(buf[0]));
		have %= sizeof(buf[0]);
		if (n == 0)
			break;
	}
	if (have != 0) {
		/* A torn file could hide the newest record: no evidence. */
		saba_sysv_err(err, errlen, "%zu bytes is not a whole number of %zu-byte records",
			      total, sizeof(buf[0]));
		goto out;
	}
	if (!found) {
		saba_sysv_err(err, errlen, "no runlevel record in %zu records",
			      total / sizeof(buf[0]));
		rc = SABA_SYSV_NONE;
		goto out;
	}
	rc = SABA_SYSV_FOUND;
out:
	close(fd);
	return rc;
}

int saba_sysv_marker_fresh(const char *path, int64_t now, int64_t max_age)
{
	struct stat st;

	if (path == NULL || *path == '\0' || stat(path, &st) != 0)
		return 0;
	/* A marker left behind by an init script killed mid-restart must not
	 * turn stops long after into restarts. */
	return (int64_t)st.st_mtime <= now + 1 && now - (int64_t)st.st_mtime <= max_age;
}

int saba_sysv_classify(const struct saba_sysv_record *rec, int64_t since, int restart_marked)
{
	int kind;

	/* The init script's word outranks utmp: coming back never retires. */
	if (restart_marked)
		return SABA_STOP_RESTART;
	if (rec == NULL)
		return SABA_STOP_UNKNOWN;
	switch (rec->runlevel) {
	case '0':
		kind = SABA_STOP_HALT;
		break;
	case '6':
		kind = SABA_STOP_REBOOT;
		break;
	case '1':
	case 'S':
	case 's':
		kind = SABA_STOP_SINGLE;
		break;
	case '2':
	case '3':
	case '4':
	case '5':
		/* The level we run at: someone stopped just the service. */
		return SABA_STOP_STOP;
	default:
		return SABA_STOP_UNKNOWN;
	}
	/* The cross-check: the switch happened while we ran.  A stale record
	 * (utmp from an earlier boot, a clock gone backwards) is doubt. */
	if (since > 0 && rec->time < since)
		return SABA_STOP_UNKNOWN;
	return kind;
}

static void saba_sysv_level(int c, char *out)
{
	if (c > ' ' && c < 0x7f) {
		out[0] = (char)c;
		out[1] = '\0';
	} else if (c == 0) {
		strcpy(out, "N");
	} else {
		snprintf(out, 5, "\\x%02x", c & 0xff);
	}
}

char *saba_sysv_evidence(const char *path, const struct saba_sysv_record *rec, const char *err,
			 int restart_marked, char *buf, size_t len)
{
	char now[8], prev[8], when[32] = "?";
	const char *marker = restart_marked ? "; restart marker present" : "";

	if (buf == NULL || len == 0)
		return buf;
	if (path == NULL)
		path = "?";
	if (rec == NULL) {
		snprintf(buf, len, "utmp %s: %s%s", path,
			 err != NULL && *err != '\0' ? err : "no runlevel record", marker);
		return buf;
	}
	saba_sysv_level(rec->runlevel, now);
	saba_sysv_level(rec->previous, prev);
	{
		time_t t = (time_t)rec->time;
		struct tm tm;

		if (gmtime_r(&t, &tm) != NULL)
			strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	}
	snprintf(buf, len, "utmp %s: runlevel %s (previous %s) since %s%s", path, now, prev, when,
		 marker);
	return buf;
}
