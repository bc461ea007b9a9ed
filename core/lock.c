/*
 * One agent per root.  Two agents on one id file register two hosts, and
 * one's clean-up of interrupted writes deletes the other's id as it is
 * being written.  `run` and `retire` hold an exclusive flock(2) on
 * <root>/saba-agent.lock for their whole life; the kernel drops it when
 * the process ends, however it ends (kill -9 included), so a lock is never
 * stale.  The file holds the holder's pid, for the message the second one
 * prints.  The descriptor is close-on-exec: no command the agent runs
 * (and no daemon such a command leaves behind) can keep it.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#ifndef _WIN32
#include <sys/file.h>
#include <sys/stat.h>
#endif

#include "lock.h"
#include "trust.h"
#include "util.h"

#ifdef _WIN32
int saba_lock_root(const char *root, int *fd, char *err, size_t errlen)
{
	/* The service manager runs one agent; the checks here use flock. */
	(void)root, (void)err, (void)errlen;
	*fd = -1;
	return 0;
}

void saba_lock_release(int fd)
{
	(void)fd;
}
#else
/* The pid the holder wrote; it may be writing it right now. */
static long saba_lock_holder(int fd)
{
	for (int i = 0; i < 20; i++) {
		char buf[32] = "";
		ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
		long pid = n > 0 ? strtol(buf, NULL, 10) : 0;

		if (pid > 0)
			return pid;
		usleep(10 * 1000);
	}
	return 0;
}

int saba_lock_root(const char *root, int *fd, char *err, size_t errlen)
{
	char *path = saba_asprintf("%s/" SABA_LOCK_FILE, root), why[512], pid[32];
	struct stat st;
	int rc = -1, n;

	*fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY, 0644);
	if (*fd < 0) {
		snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
		goto out;
	}
	if (fstat(*fd, &st) != 0 ||
	    saba_trust_stat(path, &st, SABA_TRUST_FILE, why, sizeof(why)) != 0) {
		snprintf(err, errlen, "refusing %s: %s", path, why);
		goto out;
	}
	if (flock(*fd, LOCK_EX | LOCK_NB) != 0) {
		int e = errno;
		long holder;

		if (e != EWOULDBLOCK) {
			snprintf(err, errlen, "cannot lock %s: %s", path, strerror(e));
			goto out;
		}
		holder = saba_lock_holder(*fd);
		snprintf(pid, sizeof(pid), " (pid %ld)", holder);
		snprintf(err, errlen,
			 "another saba-agent%s is using %s (it holds %s); one agent per root: "
			 "stop that one first",
			 holder > 0 ? pid : "", root, path);
		goto out;
	}
	n = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
	if (ftruncate(*fd, 0) != 0 || pwrite(*fd, pid, (size_t)n, 0) != n) {
		snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
		goto out;
	}
	rc = 0;
out:
	if (rc != 0 && *fd >= 0) {
		close(*fd);
		*fd = -1;
	}
	free(path);
	return rc;
}

void saba_lock_release(int fd)
{
	/* The file stays: removing it would race with the next agent's
	 * lock on the same name. */
	if (fd >= 0)
		close(fd);
}
#endif
