/*
 * The config file's text before libconfig parses it: read from a regular
 * file only (a FIFO planted in its place never blocks), at most
 * SABA_CONF_MAX_BYTES (libconfig's scanner takes quadratic time on a long
 * line), and every integer that would not fit in 32 bits refused:
 * libconfig stores it wrapped ("interval = 4294967357" would read as 61).
 */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "conftext.h"
#include "util.h"

static int saba_ident_char(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '-' || c == '*' || c == '.';
}

static int saba_hex_digit(int c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* One number token at s (a digit, or a sign before one): its length, and
 * whether libconfig would wrap it (a plain integer beyond 32 bits; an L
 * suffix makes a 64-bit integer, a dot or exponent a float). */
static size_t saba_number(const char *s, int *wraps)
{
	const char *p = s;
	int neg = 0, hex = 0;
	uint64_t v = 0, limit;
	int overflow = 0;

	*wraps = 0;
	if (*p == '-' || *p == '+')
		neg = *p++ == '-';
	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X') && saba_hex_digit(p[2])) {
		hex = 1;
		p += 2;
	}
	for (; hex ? saba_hex_digit(*p) : (*p >= '0' && *p <= '9'); p++) {
		unsigned d = *p <= '9' ? (unsigned)(*p - '0') : (unsigned)((*p | 0x20) - 'a' + 10);

		if (v > (UINT64_MAX - d) / (hex ? 16 : 10))
			overflow = 1;
		else
			v = v * (hex ? 16 : 10) + d;
	}
	if (!hex && (*p == '.' || *p == 'e' || *p == 'E'))
		return (size_t)(p - s); /* a float: libconfig's own business */
	if (*p == 'L' || *p == 'l')
		return (size_t)(p - s) + 1 + (p[1] == 'L' || p[1] == 'l');
	limit = neg ? (uint64_t)INT32_MAX + 1 : (uint64_t)INT32_MAX;
	*wraps = overflow || v > limit;
	return (size_t)(p - s);
}

int saba_conf_text_check(const char *file, const char *text)
{
	const char *p = text;
	int line = 1, problems = 0;

	while (*p != '\0') {
		if (*p == '\n') {
			line++;
			p++;
		} else if (*p == '"') {
			/* a string, escapes included */
			for (p++; *p != '\0' && *p != '"'; p++) {
				if (*p == '\\' && p[1] != '\0')
					p++;
				if (*p == '\n')
					line++;
			}
			if (*p == '"')
				p++;
		} else if (*p == '#' || (p[0] == '/' && p[1] == '/')) {
			while (*p != '\0' && *p != '\n')
				p++;
		} else if (p[0] == '/' && p[1] == '*') {
			for (p += 2; *p != '\0' && !(p[0] == '*' && p[1] == '/'); p++)
				if (*p == '\n')
					line++;
			if (*p != '\0')
				p += 2;
		} else if (((*p >= '0' && *p <= '9') ||
			    ((*p == '-' || *p == '+') && p[1] >= '0' && p[1] <= '9')) &&
			   (p == text || !saba_ident_char((unsigned char)p[-1]))) {
			int wraps;
			size_t n = saba_number(p, &wraps);

			if (wraps) {
				saba_conf_problem(file, line,
						  "%.*s does not fit in 32 bits (libconfig would "
						  "wrap it around); use a smaller value",
						  (int)(n < 40 ? n : 40), p);
				problems++;
			}
			p += n;
		} else {
			/* identifiers run together: "disk2" holds no number */
			for (p++; saba_ident_char((unsigned char)p[-1]) && saba_ident_char(*p);)
				p++;
		}
	}
	return problems;
}

char *saba_conf_text_read(const char *file, int *problems)
{
	char *text = saba_read_file(file, SABA_CONF_MAX_BYTES, NULL);
	int n;

	if (text == NULL) {
		if (errno == EFBIG)
			saba_conf_problem(file, 0,
					  "larger than %d bytes; refusing to parse it (a config "
					  "file this size is a mistake)",
					  SABA_CONF_MAX_BYTES);
		else
			saba_conf_problem(file, 0, "cannot read: %s", saba_file_strerror(errno));
		(*problems)++;
		return NULL;
	}
	n = saba_conf_text_check(file, text);
	if (n > 0) {
		free(text);
		*problems += n;
		return NULL;
	}
	return text;
}
