/* Files written whole or not at all: the host id, the registration record,
 * configs written by `import` and `init`, the pidfile. */
#ifndef SABA_ATOMIC_H
#define SABA_ATOMIC_H

#include <stddef.h>

/* mkdir -p (mode 0755); on failure errno is the first real error ("Read-only
 * file system"), not the ENOENT that follows from it.  0 or -1. */
int saba_mkdirs(const char *dir);

/* Write len bytes of data to path: a temporary file ".<tag>.XXXXXX" in the
 * same directory, mode, fsync, then rename over path (replace) or link to
 * path only if path does not exist yet (!replace), and fsync the directory.
 * The old file stays intact on any failure.  0, or -1 with a message in err
 * (errno EEXIST when !replace and path exists). */
int saba_atomic_write(const char *path, const char *tag, const char *data, size_t len,
		      unsigned mode, int replace, char *err, size_t errlen);

#endif
