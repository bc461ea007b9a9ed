/* Small text files (procfs, sysfs): read whole, cut into lines and
 * fields, parse counters. */
#ifndef SABA_TEXTFILE_H
#define SABA_TEXTFILE_H

#include <stddef.h>
#include <stdint.h>

/* A small file a plugin rereads every collection, kept open: each read is
 * one pread() from offset 0 (procfs makes the text anew for a read there)
 * into a buffer that grows until the whole file fits.  One per file and
 * instance; SABA_TEXTFILE_INIT, then saba_textfile_close() in destroy(). */
struct saba_textfile {
	int fd; /* -1: opened by the next read */
	char *buf;
	size_t cap;
};
#define SABA_TEXTFILE_INIT                                                                         \
	{                                                                                          \
		.fd = -1, .buf = NULL, .cap = 0                                                    \
	}

/* The whole file at path (the same path every time for one f) into f's
 * buffer, NUL-terminated: *text, which the caller may cut in place, lasts
 * until the next call.  A failed read reopens the file once (an
 * unmounted or replaced file).  Returns 0 or an errno value (EFBIG beyond
 * 64 MiB). */
int saba_textfile_reread(struct saba_textfile *f, const char *path, char **text, size_t *len);
/* Close f's file and free its buffer (f is SABA_TEXTFILE_INIT again). */
void saba_textfile_close(struct saba_textfile *f);

/* Read a whole (small) file once into a malloc'd, NUL-terminated *buf
 * (procfs files report st_size 0, so this reads until EOF).  The same
 * returns. */
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
