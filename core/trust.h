/* Who could have written a file the agent trusts (its config, the API key
 * file, the id directory, a plugin): like sshd's StrictModes, nobody but
 * root and the agent's own user.  On Windows these checks do not apply:
 * the folder's ACL decides, and each function succeeds. */
#ifndef SABA_TRUST_H
#define SABA_TRUST_H

#include <stddef.h>
#include <sys/stat.h>

enum saba_trust_kind {
	SABA_TRUST_FILE = 0, /* path names a regular file */
	SABA_TRUST_DIR,	     /* path names a directory */
};

/*
 * 0 when path (a file or a directory, as kind says) and every directory
 * above it are owned by root or the agent's user and writable by nobody
 * else; a directory above may be writable by others when it is sticky
 * and owned by root (such as /tmp): others cannot move what is in it.
 * Otherwise -1 with the first offender and why in err.  Symbolic links
 * are resolved first; each one lives in a directory checked here.
 */
int saba_trust_path(const char *path, int kind, char *err, size_t errlen);

/* The checks of the path's last component on an open file's fstat(). */
int saba_trust_stat(const char *path, const struct stat *st, int kind, char *err, size_t errlen);

/* Can users other than the owner read it (group or others)? */
int saba_trust_readable_by_others(const struct stat *st);

#endif
