/* Small text files (procfs, sysfs): read whole, cut into lines and
 * fields, parse counters. */
#ifndef SABA_TEXTFILE_H
#define SABA_TEXTFILE_H

#include <stddef.h>
#include <stdint.h>

/* Read a whole (small) file into a malloc'd, NUL-terminated *buf; procfs
 * files report st_size 0, so this reads until EOF.  Returns 0 or an errno
 * value (EFBIG beyond 64 MiB). */
int saba_textfile_read(const char *path, char **buf, size_t *len);

/* Next line of a buffer, cut in place (the '\n' becomes NUL); NULL at the
 * end.  *cursor starts at the buffer. */
char *saba_next_line(char **cursor);

/* Split a line in place at blanks (space, tab); stores at most max fields
 * and returns how many there are in total (may exceed max). */
int saba_split_fields(char *line, char **fields, int max);

/* A whole field of ASCII decimal digits as a uint64_t: SABA_OK, or
 * SABA_INVALID for anything else (sign, junk, overflow). */
int saba_parse_u64(const char *s, uint64_t *out);

#endif
