#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "trust.h"

#ifdef _WIN32
int saba_trust_path(const char *path, int kind, char *err, size_t errlen)
{
	(void)path, (void)kind, (void)err, (void)errlen;
	return 0;
}

int saba_trust_stat(const char *path, const struct stat *st, int kind, char *err, size_t errlen)
{
	(void)path, (void)st, (void)kind, (void)err, (void)errlen;
	return 0;
}

int saba_trust_readable_by_others(const struct stat *st)
{
	(void)st;
	return 0;
}
#else
static int saba_trusted_owner(uid_t uid)
{
	return uid == 0 || uid == geteuid();
}

static int saba_trust_owner(const char *path, const struct stat *st, char *err, size_t errlen)
{
	if (saba_trusted_owner(st->st_uid))
		return 0;
	snprintf(err, errlen, "%s is owned by uid %u, not by root or the agent's user (uid %u)",
		 path, (unsigned)st->st_uid, (unsigned)geteuid());
	return -1;
}

static int saba_trust_writers(const char *path, const struct stat *st, int sticky_ok, char *err,
			      size_t errlen)
{
	if ((st->st_mode & (S_IWGRP | S_IWOTH)) == 0)
		return 0;
	/* /tmp: others may add entries, never move ours */
	if (sticky_ok && (st->st_mode & S_ISVTX) != 0 && st->st_uid == 0)
		return 0;
	snprintf(err, errlen, "%s is writable by group or others (mode %04o)", path,
		 (unsigned)(st->st_mode & 07777));
	return -1;
}

int saba_trust_stat(const char *path, const struct stat *st, int kind, char *err, size_t errlen)
{
	if (kind == SABA_TRUST_DIR && !S_ISDIR(st->st_mode)) {
		snprintf(err, errlen, "%s is not a directory", path);
		return -1;
	}
	if (kind == SABA_TRUST_FILE && !S_ISREG(st->st_mode)) {
		snprintf(err, errlen, "%s is not a regular file", path);
		return -1;
	}
	if (saba_trust_owner(path, st, err, errlen) != 0)
		return -1;
	return saba_trust_writers(path, st, 0, err, errlen);
}

/* One component: the last one is the path itself (kind), the others
 * directories above it. */
static int saba_trust_component(const char *prefix, int last, int kind, char *err, size_t errlen)
{
	struct stat st;

	if (stat(prefix, &st) != 0) {
		snprintf(err, errlen, "%s: %s", prefix, strerror(errno));
		return -1;
	}
	if (last)
		return saba_trust_stat(prefix, &st, kind, err, errlen);
	if (saba_trust_owner(prefix, &st, err, errlen) != 0)
		return -1;
	return saba_trust_writers(prefix, &st, 1, err, errlen);
}

int saba_trust_path(const char *path, int kind, char *err, size_t errlen)
{
	char *real = realpath(path, NULL);
	size_t n;
	int rc = -1;

	if (real == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	n = strlen(real);
	if (saba_trust_component("/", n == 1, kind, err, errlen) != 0)
		goto out;
	/* each directory below "/", then the path itself */
	for (size_t i = 1; i < n + 1 && n > 1; i++) {
		if (i < n && real[i] != '/')
			continue;
		real[i] = '\0';
		rc = saba_trust_component(real, i == n, kind, err, errlen);
		if (i < n)
			real[i] = '/';
		if (rc != 0)
			goto out;
	}
	rc = 0;
out:
	free(real);
	return rc;
}

int saba_trust_readable_by_others(const struct stat *st)
{
	return (st->st_mode & (S_IRGRP | S_IROTH)) != 0;
}
#endif
