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

/* mkdir -p: a fresh install may lack even <localstatedir>/lib. */
static int saba_mkdirs(const char *dir)
{
	char *p = saba_strdup(dir);
	int rc = 0;

	for (char *s = p + 1; *s != '\0'; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, 0755) != 0 && errno != EEXIST)
			rc = -1;
		*s = '/';
	}
	if (mkdir(p, 0755) != 0 && errno != EEXIST)
		rc = -1;
	free(p);
	return rc;
}

int saba_idfile_write(const char *root, const char *id, char *err, size_t errlen)
{
	char *path = saba_asprintf("%s/id", root);
	char *tmp = saba_asprintf("%s/.id.XXXXXX", root);
	int fd = -1, dfd = -1, rc = -1;

	if (saba_mkdirs(root) != 0) {
		snprintf(err, errlen, "cannot create %s: %s", root, strerror(errno));
		goto out;
	}
	fd = mkstemp(tmp);
	if (fd < 0) {
		snprintf(err, errlen, "cannot create a file in %s: %s", root, strerror(errno));
		goto out;
	}
	if (fchmod(fd, 0644) != 0 || saba_write_all(fd, id, strlen(id)) != 0 || fsync(fd) != 0) {
		snprintf(err, errlen, "cannot write %s: %s", tmp, strerror(errno));
		goto out;
	}
	if (close(fd) != 0) {
		fd = -1;
		snprintf(err, errlen, "cannot write %s: %s", tmp, strerror(errno));
		goto out;
	}
	fd = -1;
	if (rename(tmp, path) != 0) {
		snprintf(err, errlen, "cannot rename %s to %s: %s", tmp, path, strerror(errno));
		goto out;
	}
	/* The rename itself must survive a crash too. */
	dfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0)
		fsync(dfd);
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	if (dfd >= 0)
		close(dfd);
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
