/* Small text files; see textfile.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <saba/plugin.h>

#include "textfile.h"

/* a bigger "small file" is not procfs or sysfs we know */
#define SABA_READ_MAX (64u << 20)

/* One pread() of the whole file from offset 0: a read shorter than the
 * buffer is the whole file (procfs fills the buffer as far as the text
 * goes); a full one grows the buffer and reads again. */
static int saba_textfile_fill(struct saba_textfile *f, size_t *len)
{
	for (;;) {
		ssize_t r;

		if (f->buf == NULL || f->cap == 0) {
			f->buf = malloc(4096);
			if (f->buf == NULL)
				return ENOMEM;
			f->cap = 4096;
		}
		r = pread(f->fd, f->buf, f->cap - 1, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return errno;
		if ((size_t)r < f->cap - 1) {
			f->buf[r] = '\0';
			*len = (size_t)r;
			return 0;
		}
		if (f->cap >= SABA_READ_MAX)
			return EFBIG;
		{
			char *nb = realloc(f->buf, f->cap * 2);

			if (nb == NULL)
				return ENOMEM;
			f->buf = nb;
			f->cap *= 2;
		}
	}
}

int saba_textfile_reread(struct saba_textfile *f, const char *path, char **text, size_t *len)
{
	int err = 0;

	*text = NULL;
	*len = 0;
	for (int attempt = 0; attempt < 2; attempt++) {
		if (f->fd < 0) {
			f->fd = open(path, O_RDONLY | O_CLOEXEC);
			if (f->fd < 0)
				return errno;
		}
		err = saba_textfile_fill(f, len);
		if (err == 0) {
			*text = f->buf;
			return 0;
		}
		if (err == ENOMEM || err == EFBIG)
			return err;
		/* the next read opens it afresh */
		close(f->fd);
		f->fd = -1;
	}
	return err;
}

void saba_textfile_close(struct saba_textfile *f)
{
	if (f->fd >= 0)
		close(f->fd);
	free(f->buf);
	f->fd = -1;
	f->buf = NULL;
	f->cap = 0;
}

int saba_textfile_read(const char *path, char **buf, size_t *len)
{
	struct saba_textfile f = SABA_TEXTFILE_INIT;
	int err = saba_textfile_reread(&f, path, buf, len);

	if (err == 0)
		f.buf = NULL; /* now the caller's */
	saba_textfile_close(&f);
	return err;
}

char *saba_next_line(char **cursor)
{
	char *line = *cursor, *nl;

	if (line == NULL || *line == '\0')
		return NULL;
	nl = strchr(line, '\n');
	if (nl != NULL) {
		*nl = '\0';
		*cursor = nl + 1;
	} else {
		*cursor = line + strlen(line);
	}
	return line;
}

int saba_split_fields(char *line, char **fields, int max)
{
	int n = 0;
	char *s = line;

	for (;;) {
		while (*s == ' ' || *s == '\t' || *s == '\r')
			*s++ = '\0';
		if (*s == '\0')
			return n;
		if (n < max)
			fields[n] = s;
		n++;
		while (*s != '\0' && *s != ' ' && *s != '\t' && *s != '\r')
			s++;
	}
}

int saba_parse_u64(const char *s, uint64_t *out)
{
	uint64_t v = 0;

	if (*s == '\0')
		return SABA_INVALID;
	for (; *s != '\0'; s++) {
		unsigned d = (unsigned)(*s - '0');

		if (d > 9 || v > (UINT64_MAX - d) / 10)
			return SABA_INVALID;
		v = v * 10 + d;
	}
	*out = v;
	return SABA_OK;
}
