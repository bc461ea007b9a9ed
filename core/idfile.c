#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "idfile.h"
#include "util.h"

#ifdef _WIN32
#include <io.h>
#include <windows.h>

#define saba_mkdir(p)	    mkdir(p)
#define saba_is_sep(c)	    ((c) == '/' || (c) == '\\')
#define saba_fchmod(fd, m)  0 /* the directory's ACL decides */
#define saba_fsync(fd)	    _commit(fd)
#define saba_sync_dir(root) ((void)(root)) /* MOVEFILE_WRITE_THROUGH did */

static int saba_mkstemp(char *tmpl)
{
	if (_mktemp_s(tmpl, strlen(tmpl) + 1) != 0)
		return -1;
	return open(tmpl, O_RDWR | O_CREAT | O_EXCL | O_BINARY | O_NOINHERIT, _S_IREAD | _S_IWRITE);
}

/* rename() does not replace an existing file on Windows. */
static int saba_replace(const char *from, const char *to)
{
	wchar_t *wf = saba_win_wide(from), *wt = saba_win_wide(to);
	int rc = 0;

	if (wf == NULL || wt == NULL ||
	    !MoveFileExW(wf, wt, MOVEFILE_REPLACE_EXISTING | MOVEFILE_WRITE_THROUGH)) {
		errno = EACCES;
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
#define saba_replace(f, t) rename(f, t)

/* The rename itself must survive a crash too. */
static void saba_sync_dir(const char *root)
{
	int dfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
}
#endif

int saba_idfile_read(const char *root, char **id, char *err, size_t errlen)
{
	char *path = saba_asprintf("%s/id", root);
	char *s = saba_read_file(path, 1024, NULL);
	int rc;

	*id = NULL;
	if (s == NULL) {
		rc = errno == ENOENT ? 1 : -1;
		if (rc < 0)
			snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
		goto out;
	}
	/* Like mackerel-agent: only trailing CR/LF are trimmed. */
	for (size_t n = strlen(s); n > 0 && (s[n - 1] == '\n' || s[n - 1] == '\r'); n--)
		s[n - 1] = '\0';
	if (*s == '\0') {
		free(s);
		rc = 1;
		goto out;
	}
	*id = s;
	rc = 0;
out:
	free(path);
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

/* mkdir -p: a fresh install may lack even <localstatedir>/lib.  Only the
 * last step decides: a parent that cannot be made ("C:" on Windows)
 * fails it anyway unless it exists. */
/* mkdir -p; on failure errno is the first real one ("Read-only file
 * system"), not the ENOENT that follows from it. */
static int saba_mkdirs(const char *dir)
{
	char *p = saba_strdup(dir);
	int rc = 0, first = 0;

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

int saba_idfile_write(const char *root, const char *id, char *err, size_t errlen)
{
	char *path = saba_asprintf("%s/id", root);
	char *tmp = saba_asprintf("%s/.id.XXXXXX", root);
	int fd = -1, rc = -1;

	if (saba_mkdirs(root) != 0) {
		snprintf(err, errlen, "cannot create %s: %s", root, strerror(errno));
		goto out;
	}
	fd = saba_mkstemp(tmp);
	if (fd < 0) {
		snprintf(err, errlen, "cannot create a file in %s: %s", root, strerror(errno));
		goto out;
	}
	if (saba_fchmod(fd, 0644) != 0 || saba_write_all(fd, id, strlen(id)) != 0 ||
	    saba_fsync(fd) != 0) {
		snprintf(err, errlen, "cannot write %s: %s", tmp, strerror(errno));
		goto out;
	}
	if (close(fd) != 0) {
		fd = -1;
		snprintf(err, errlen, "cannot write %s: %s", tmp, strerror(errno));
		goto out;
	}
	fd = -1;
	if (saba_replace(tmp, path) != 0) {
		snprintf(err, errlen, "cannot rename %s to %s: %s", tmp, path, strerror(errno));
		goto out;
	}
	saba_sync_dir(root);
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	if (rc != 0)
		unlink(tmp);
	free(tmp);
	free(path);
	return rc;
}

int saba_idfile_remove(const char *root, char *err, size_t errlen)
{
	char *path = saba_asprintf("%s/id", root);
	int rc = 0;

	if (unlink(path) != 0 && errno != ENOENT) {
		snprintf(err, errlen, "cannot remove %s: %s", path, strerror(errno));
		rc = -1;
	}
	free(path);
	return rc;
}
