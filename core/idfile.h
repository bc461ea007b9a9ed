/* The host id file <root>/id, in mackerel-agent's format: the bare id, no
 * newline; trailing CR/LF trimmed on read; empty means absent. */
#ifndef SABA_IDFILE_H
#define SABA_IDFILE_H

#include <stddef.h>

/* 0 and *id (malloc'd) when present; 1 when absent or empty; -1 on a read
 * error (message in err). */
int saba_idfile_read(const char *root, char **id, char *err, size_t errlen);
/* Atomic: temp file in root, fsync, rename, fsync the directory.  The old
 * file stays intact on any failure.  0 or -1 (message in err). */
int saba_idfile_write(const char *root, const char *id, char *err, size_t errlen);
/* 0 (removed or already absent) or -1 (message in err). */
int saba_idfile_remove(const char *root, char *err, size_t errlen);

#endif
