/* The Windows command line of an argv and cmd's UTF-16 output; see
 * cmdline.h. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmdline.h"

/* A growing string; ok drops to 0 when out of memory. */
struct saba_cl_buf {
	char *s;
	size_t len, size;
	int ok;
};

static void saba_cl_put(struct saba_cl_buf *b, char c, size_t n)
{
	if (!b->ok)
		return;
	if (b->len + n + 1 > b->size) {
		size_t size = b->size ? b->size : 256;
		char *p;

		while (size < b->len + n + 1)
			size *= 2;
		p = realloc(b->s, size);
		if (p == NULL) {
			b->ok = 0;
			return;
		}
		b->s = p;
		b->size = size;
	}
	memset(b->s + b->len, c, n);
	b->len += n;
	b->s[b->len] = '\0';
}

/* One argument for CommandLineToArgvW: quoted when it has a blank or a
 * quote (or is empty); backslashes doubled only before a quote, the
 * closing one included. */
static void saba_cl_arg(struct saba_cl_buf *b, const char *arg, int quote)
{
	size_t slashes = 0;

	if (!quote) {
		for (; *arg != '\0'; arg++)
			saba_cl_put(b, *arg, 1);
		return;
	}
	saba_cl_put(b, '"', 1);
	for (; *arg != '\0'; arg++) {
		if (*arg == '\\') {
			slashes++;
			continue;
		}
		if (*arg == '"') {
			saba_cl_put(b, '\\', slashes * 2 + 1);
		} else {
			saba_cl_put(b, '\\', slashes);
		}
		slashes = 0;
		saba_cl_put(b, *arg, 1);
	}
	saba_cl_put(b, '\\', slashes * 2);
	saba_cl_put(b, '"', 1);
}

int saba_cmdline_is_batch(const char *path)
{
	size_t n = strlen(path);
	const char *ext = n >= 4 ? path + n - 4 : "";

	return ext[0] == '.' &&
	       ((((ext[1] | 0x20) == 'b') && ((ext[2] | 0x20) == 'a') &&
		 ((ext[3] | 0x20) == 't')) ||
		(((ext[1] | 0x20) == 'c') && ((ext[2] | 0x20) == 'm') && ((ext[3] | 0x20) == 'd')));
}

char *saba_cmdline_join(const char *const *argv, size_t argc, int batch, char *err, size_t errlen)
{
	struct saba_cl_buf b = {.ok = 1};

	if (argc == 0 || argv[0][0] == '\0' || strpbrk(argv[0], "\"\r\n") != NULL) {
		snprintf(err, errlen, "the program name must not be empty or contain '\"'");
		return NULL;
	}
	/* the program: quoted, as a path (no escapes apply to argv[0]) */
	saba_cl_put(&b, '"', 1);
	saba_cl_arg(&b, argv[0], 0);
	saba_cl_put(&b, '"', 1);
	for (size_t i = 1; i < argc; i++) {
		const char *a = argv[i];
		int quote = *a == '\0' || strpbrk(a, " \t\n\v\"") != NULL;

		if (batch) {
			/* cmd.exe parses these: % expands even in quotes, and
			 * a quote cannot be escaped */
			if (strpbrk(a, "\"%\r\n") != NULL) {
				snprintf(err, errlen,
					 "argument %zu of a batch file contains '\"', '%%' or a "
					 "line "
					 "break, which cmd.exe would reinterpret: use the string "
					 "form",
					 i);
				free(b.s);
				return NULL;
			}
			quote = quote || strpbrk(a, "&|<>^(),;=\f") != NULL;
		}
		saba_cl_put(&b, ' ', 1);
		saba_cl_arg(&b, a, quote);
	}
	if (!b.ok) {
		free(b.s);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	return b.s;
}

/* Append code point c as UTF-8 to p; returns the new end. */
static char *saba_cl_utf8(char *p, uint32_t c)
{
	if (c < 0x80) {
		*p++ = (char)c;
	} else if (c < 0x800) {
		*p++ = (char)(0xc0 | (c >> 6));
		*p++ = (char)(0x80 | (c & 0x3f));
	} else if (c < 0x10000) {
		*p++ = (char)(0xe0 | (c >> 12));
		*p++ = (char)(0x80 | ((c >> 6) & 0x3f));
		*p++ = (char)(0x80 | (c & 0x3f));
	} else {
		*p++ = (char)(0xf0 | (c >> 18));
		*p++ = (char)(0x80 | ((c >> 12) & 0x3f));
		*p++ = (char)(0x80 | ((c >> 6) & 0x3f));
		*p++ = (char)(0x80 | (c & 0x3f));
	}
	return p;
}

int saba_cmdline_utf16_text(const char *buf, size_t len, char **out, size_t *outlen)
{
	const unsigned char *u = (const unsigned char *)buf;
	size_t n = len / 2;
	char *text, *p;

	/* mackerel-agent's test: an even length with a NUL byte somewhere */
	if (len % 2 != 0 || memchr(buf, '\0', len) == NULL)
		return 0;
	/* a UTF-16 unit becomes at most 3 bytes; a pair (2 units) 4 */
	text = malloc(n * 3 + 1);
	if (text == NULL)
		return -1;
	p = text;
	for (size_t i = 0; i < n; i++) {
		uint32_t c = (uint32_t)u[2 * i] | (uint32_t)u[2 * i + 1] << 8;

		if (c >= 0xd800 && c < 0xdc00 && i + 1 < n) {
			uint32_t lo = (uint32_t)u[2 * i + 2] | (uint32_t)u[2 * i + 3] << 8;

			if (lo >= 0xdc00 && lo < 0xe000) {
				c = 0x10000 + ((c - 0xd800) << 10) + (lo - 0xdc00);
				i++;
			} else {
				c = 0xfffd;
			}
		} else if (c >= 0xd800 && c < 0xe000) {
			c = 0xfffd;
		}
		p = saba_cl_utf8(p, c);
	}
	*p = '\0';
	*out = text;
	*outlen = (size_t)(p - text);
	return 1;
}
