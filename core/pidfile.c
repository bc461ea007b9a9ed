#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "atomic.h"
#include "log.h"
#include "pidfile.h"
#include "util.h"

/* The pid in path, or 0 when there is none (-1: not a number). */
static long saba_pidfile_read(const char *path)
{
	char *s = saba_read_file(path, 64, NULL), *end;
	long pid;

	if (s == NULL)
		return 0;
	saba_rstrip(s);
	pid = strtol(s, &end, 10);
	if (*s == '\0' || *end != '\0' || pid <= 0)
		pid = -1;
	free(s);
	return pid;
}

#ifdef _WIN32
static int saba_pidfile_ours(long pid)
{
	(void)pid;
	return 0; /* mackerel-agent cannot tell on Windows either: it warns */
}
#else
static const char *saba_pidfile_base(const char *argv0)
{
	const char *slash = strrchr(argv0, '/');

	return slash != NULL ? slash + 1 : argv0;
}

/* Is pid a process of this program?  As mackerel-agent: the same program
 * name (the base name of argv[0]). */
static int saba_pidfile_ours(long pid)
{
	char path[64], *cmd, *self;
	int same;

	snprintf(path, sizeof(path), "/proc/%ld/cmdline", pid);
	cmd = saba_read_file(path, 4096, NULL);
	self = saba_read_file("/proc/self/cmdline", 4096, NULL);
	same = cmd != NULL && self != NULL &&
	       strcmp(saba_pidfile_base(cmd), saba_pidfile_base(self)) == 0;
	free(cmd);
	free(self);
	return same;
}
#endif

int saba_pidfile_create(const char *path, char *err, size_t errlen)
{
	long pid = saba_pidfile_read(path);
	char buf[32], *dir = saba_strdup(path), *slash;
	int rc = -1;

	if (pid > 0 && pid != (long)getpid() && saba_pidfile_ours(pid)) {
		snprintf(err, errlen,
			 "pidfile %s names process %ld, another saba-agent: stop it, or delete "
			 "the file",
			 path, pid);
		goto out;
	}
	if (pid > 0 && pid != (long)getpid())
		saba_warn("pidfile %s names process %ld, which is not a saba-agent; replacing it",
			  path, pid);
	else if (pid < 0)
		saba_warn("pidfile %s holds no process id; replacing it", path);
	slash = strrchr(dir, '/');
	if (slash != NULL && slash != dir) {
		*slash = '\0';
		if (saba_mkdirs(dir) != 0) {
			snprintf(err, errlen, "cannot create %s: %s", dir, strerror(errno));
			goto out;
		}
	}
	snprintf(buf, sizeof(buf), "%ld", (long)getpid());
	rc = saba_atomic_write(path, "pid", buf, strlen(buf), 0644, 1, err, errlen);
out:
	free(dir);
	return rc;
}

void saba_pidfile_remove(const char *path)
{
	if (saba_pidfile_read(path) == (long)getpid() && unlink(path) != 0)
		saba_warn("cannot remove pidfile %s: %s", path, strerror(errno));
}
