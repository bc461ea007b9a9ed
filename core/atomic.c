#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "atomic.h"
#include "util.h"

#ifdef _WIN32
#include <io.h>
#include <windows.h>

#define saba_mkdir(p)	   mkdir(p)
#define saba_is_sep(c)	   ((c) == '/' || (c) == '\\')
#define saba_fchmod(fd, m) 0 /* the directory's ACL decides */
#define saba_fsync(fd)	   _commit(fd)
#define saba_sync_dir(dir) ((void)(dir)) /* MOVEFILE_WRITE_THROUGH did */

static int saba_mkstemp(char *tmpl)
{
	if (_mktemp_s(tmpl, strlen(tmpl) + 1) != 0)
		return -1;
	return open(tmpl, O_RDWR | O_CREAT | O_EXCL | O_BINARY | O_NOINHERIT, _S_IREAD | _S_IWRITE);
}

/* rename() does not replace an existing file on Windows; without
 * MOVEFILE_REPLACE_EXISTING an existing target is an error. */
static int saba_install(const char *from, const char *to, int replace)
{
	wchar_t *wf = saba_win_wide(from), *wt = saba_win_wide(to);
	DWORD flags = MOVEFILE_WRITE_THROUGH | (replace ? MOVEFILE_REPLACE_EXISTING : 0);
	int rc = 0;

	if (wf == NULL || wt == NULL || !MoveFileExW(wf, wt, flags)) {
		DWORD e = GetLastError();

		errno = e == ERROR_ALREADY_EXISTS || e == ERROR_FILE_EXISTS ? EEXIST : EACCES;
		rc = -1;
	}
	free(wf);
	free(wt);
	return rc;
}
#else
#define saba_mkdir(p)	   mkdir(p, 0755)
#define saba_is_sep(c)	   ((c) == '/')
#define saba_fchmod(fd, m) fchmod(fd, m)
#define saba_fsync(fd)	   fsync(fd)
#define saba_mkstemp(t)	   mkstemp(t)

/* The rename itself must survive a crash too. */
static void saba_sync_dir(const char *dir)
{
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
}

/* rename() replaces; link() never does, so "only if absent" holds even
 * against another writer. */
static int saba_install(const char *from, const char *to, int replace)
{
	if (replace)
		return rename(from, to);
	if (link(from, to) != 0) {
		/* a file system without hard links: check, then rename */
		if (errno != EPERM && errno != EOPNOTSUPP && errno != ENOSYS)
			return -1;
		if (access(to, F_OK) == 0 || errno != ENOENT) {
			errno = EEXIST;
			return -1;
		}
		return rename(from, to);
	}
	unlink(from);
	return 0;
}
#endif

int saba_mkdirs(const char *dir)
{
	char *p;
	int rc = 0, first = 0;

	if (*dir == '\0') { /* nothing to make, and no p + 1 to start at */
		errno = ENOENT;
		return -1;
	}
	p = saba_strdup(dir);
	/* Only the last step decides: a parent that cannot be made ("C:" on
	 * Windows) fails it anyway unless it exists. */
	for (char *s = p + 1; *s != '\0'; s++) {
		char c = *s;

		if (!saba_is_sep(c))
			continue;
		*s = '\0';
		if (saba_mkdir(p) != 0 && errno != EEXIST && first == 0)
			first = errno;
		*s = c;
	}
	if (saba_mkdir(p) != 0 && errno != EEXIST) {
		rc = -1;
		errno = first != 0 ? first : errno;
	}
	free(p);
	return rc;
}

static int saba_write_all(int fd, const char *s, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, s, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		s += w;
		n -= (size_t)w;
	}
	return 0;
}

int saba_atomic_write(const char *path, const char *tag, const char *data, size_t len,
		      unsigned mode, int replace, char *err, size_t errlen)
{
	const char *base = path;
	char *dir, *tmp;
	int fd = -1, rc = -1, e;

	for (const char *p = path; *p != '\0'; p++)
		if (saba_is_sep(*p))
			base = p + 1;
	dir = base > path ? saba_asprintf("%.*s", (int)(base - path - 1), path) : saba_strdup(".");
	if (*dir == '\0') { /* "/name" */
		free(dir);
		dir = saba_strdup("/");
	}
	tmp = saba_asprintf("%.*s.%s.XXXXXX", (int)(base - path), path, tag);
	fd = saba_mkstemp(tmp);
	if (fd < 0) {
		snprintf(err, errlen, "cannot create a file in %s: %s", dir, strerror(errno));
		goto out;
	}
	if (saba_fchmod(fd, (mode_t)mode) != 0 || saba_write_all(fd, data, len) != 0 ||
	    saba_fsync(fd) != 0) {
		snprintf(err, errlen, "cannot write %s: %s", tmp, strerror(errno));
		goto out;
	}
	e = close(fd);
	fd = -1;
	if (e != 0) {
		snprintf(err, errlen, "cannot write %s: %s", tmp, strerror(errno));
		goto out;
	}
	if (saba_install(tmp, path, replace) != 0) {
		e = errno;
		if (e == EEXIST)
			snprintf(err, errlen, "%s exists", path);
		else
			snprintf(err, errlen, "cannot rename %s to %s: %s", tmp, path, strerror(e));
		errno = e;
		goto out;
	}
	saba_sync_dir(dir);
	rc = 0;
out:
	e = errno;
	if (fd >= 0)
		close(fd);
	if (rc != 0)
		unlink(tmp);
	free(tmp);
	free(dir);
	errno = e;
	return rc;
}
