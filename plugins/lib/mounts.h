/* The local block-device filesystems of <procfs>/self/mounts as df lists
 * them, for the filesystem plugin (its metrics) and the disk plugin (its
 * use_mountpoint names). */
#ifndef SABA_MOUNTS_H
#define SABA_MOUNTS_H

#include <stddef.h>
#include <sys/statvfs.h>

#include <saba/plugin.h>

#include "lib/textfile.h"

/* One mount line, cut in place from the table's text. */
struct saba_mount {
	char *dev, *dir, *type;
	int listed; /* a local /dev/ filesystem df would list, by the table alone */
	int keep;   /* ... whose statvfs worked and shows a size */
	struct statvfs st;
};

struct saba_mounts {
	char *text; /* the table's text, in the saba_textfile it was read with */
	struct saba_mount *v;
	size_t n;
};

/* Read the mount table at path (kept open in f) and statvfs the mounts df would list: a
 * /dev/ source of a local type, not below a network mount point (the path
 * walk could hang), a device mounted several times once at its shortest
 * mount point, a mount point mounted over once (the last), no zero-size
 * filesystem.  Those have keep set.  SABA_OK or SABA_ERROR (logged);
 * saba_mounts_free() either way (it leaves an empty table), before f's
 * next read. */
int saba_mounts_scan(const struct saba_host *host, saba_ctx *ctx, struct saba_textfile *f,
		     const char *path, struct saba_mounts *t);

void saba_mounts_free(struct saba_mounts *t);

/* Did the mount table kept open in f change since the last call (or the
 * read that opened it)?  procfs wakes poll() with POLLPRI at each mount and
 * unmount (proc(5)), so a caller may keep what the table listed until
 * then.  1 when it changed or that cannot be told (not procfs, not open),
 * 0 when it did not.  *fd and *pollable remember, per descriptor, whether
 * it is procfs's (start with *fd = -1). */
int saba_mounts_changed(struct saba_textfile *f, int *fd, int *pollable);

#endif
