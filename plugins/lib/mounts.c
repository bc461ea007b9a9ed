/* The mount table as df lists it: see mounts.h.  Shared by the filesystem
 * and disk plugins. */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#ifdef __linux__
#include <sys/vfs.h>
#endif

#include "lib/mounts.h"
#include "lib/textfile.h"

/* Filesystem types that talk to another machine or to a user process. */
static int saba_mounts_remote(const char *type)
{
	static const char *const remote[] = {
		"nfs",	"nfs4",	 "cifs",  "smb3", "smbfs",	 "ncpfs",
		"afs",	"coda",	 "9p",	  "ceph", "glusterfs",	 "lustre",
		"gpfs", "davfs", "sshfs", "fuse", "ocfs2_dlmfs",
	};

	if (strncmp(type, "fuse.", 5) == 0)
		return 1;
	for (size_t i = 0; i < sizeof(remote) / sizeof(remote[0]); i++) {
		if (strcmp(type, remote[i]) == 0)
			return 1;
	}
	return 0;
}

/* Undo the kernel's octal escapes (\040 space, \011 tab, \012, \134). */
static void saba_mounts_unescape(char *s)
{
	char *d = s;

	while (*s != '\0') {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' &&
		    s[3] >= '0' && s[3] <= '7') {
			*d++ = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0'));
			s += 4;
		} else {
			*d++ = *s++;
		}
	}
	*d = '\0';
}

/* Is dir at or below mount point top? ("/" itself shadows nothing: a
 * network root is the whole machine's fate anyway.) */
static int saba_mounts_below(const char *dir, const char *top)
{
	size_t n = strlen(top);

	if (strcmp(top, "/") == 0)
		return 0;
	return strncmp(dir, top, n) == 0 && (dir[n] == '\0' || dir[n] == '/');
}

void saba_mounts_free(struct saba_mounts *t)
{
	free(t->v);
	memset(t, 0, sizeof(*t));
}

int saba_mounts_scan(const struct saba_host *host, saba_ctx *ctx, struct saba_textfile *f,
		     const char *path, struct saba_mounts *t)
{
	char *cursor, *line, *col[4];
	size_t len, cap = 0;
	int err;

	memset(t, 0, sizeof(*t));
	err = saba_textfile_reread(f, path, &t->text, &len);
	if (err != 0) {
		host->log(ctx, SABA_LOG_ERR, "cannot read %s: %s", path, strerror(err));
		return SABA_ERROR;
	}
	cursor = t->text;
	while ((line = saba_next_line(&cursor)) != NULL) {
		struct saba_mount *m;

		if (saba_split_fields(line, col, 4) < 3)
			continue;
		if (t->n == cap) {
			cap = cap ? 2 * cap : 64;
			m = realloc(t->v, cap * sizeof(*m));
			if (m == NULL) {
				host->log(ctx, SABA_LOG_ERR, "out of memory");
				return SABA_ERROR;
			}
			t->v = m;
		}
		m = &t->v[t->n++];
		memset(m, 0, sizeof(*m));
		m->dev = col[0];
		m->dir = col[1];
		m->type = col[2];
		saba_mounts_unescape(m->dev);
		saba_mounts_unescape(m->dir);
		m->keep = strncmp(m->dev, "/dev/", 5) == 0 && !saba_mounts_remote(m->type);
	}
	/* under a network mount: the path walk to it could hang */
	for (size_t i = 0; i < t->n; i++) {
		for (size_t k = 0; k < t->n && t->v[i].keep; k++) {
			const struct saba_mount *o = &t->v[k];

			if (saba_mounts_remote(o->type) && strncmp(o->dev, "/dev/", 5) != 0 &&
			    saba_mounts_below(t->v[i].dir, o->dir))
				t->v[i].keep = 0;
		}
	}
	/* the same device again (bind mounts): keep the shortest mount point,
	 * the first of equals, as df does */
	for (size_t i = 0; i < t->n; i++) {
		struct saba_mount *m = &t->v[i];

		for (size_t k = 0; k < t->n && m->keep; k++) {
			const struct saba_mount *o = &t->v[k];
			size_t ol = strlen(o->dir), ml = strlen(m->dir);

			if (k != i && o->keep && strcmp(o->dev, m->dev) == 0 &&
			    (ol < ml || (ol == ml && k < i)))
				m->keep = 0;
		}
	}
	/* a mount point mounted over: only the last mount is visible */
	for (size_t i = 0; i < t->n; i++) {
		for (size_t k = i + 1; k < t->n && t->v[i].keep; k++) {
			if (t->v[k].keep && strcmp(t->v[k].dir, t->v[i].dir) == 0)
				t->v[i].keep = 0;
		}
	}
	for (size_t i = 0; i < t->n; i++) {
		struct saba_mount *m = &t->v[i];

		m->listed = m->keep;
		if (!m->keep)
			continue;
		if (statvfs(m->dir, &m->st) != 0) {
			/* gone since the read, or not ours to see */
			host->log(ctx, SABA_LOG_DEBUG, "statvfs %s: %s", m->dir, strerror(errno));
			m->keep = 0;
		} else if (m->st.f_blocks == 0) {
			m->keep = 0; /* df leaves zero-size filesystems out */
		}
	}
	return SABA_OK;
}

int saba_mounts_changed(struct saba_textfile *f, int *fd, int *pollable)
{
#ifdef __linux__
	struct pollfd p = {.fd = f->fd, .events = POLLPRI};

	if (f->fd < 0)
		return 1;
	if (*fd != f->fd) {
		struct statfs sf;

		*fd = f->fd;
		*pollable = fstatfs(f->fd, &sf) == 0 && sf.f_type == 0x9fa0; /* PROC_SUPER_MAGIC */
	}
	if (!*pollable)
		return 1;
	return poll(&p, 1, 0) != 0;
#else
	(void)f, (void)fd, (void)pollable;
	return 1;
#endif
}
