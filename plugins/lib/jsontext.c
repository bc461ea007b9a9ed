/* JSON text; see jsontext.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsontext.h"

static void saba_json_append(struct saba_json *j, const char *s, size_t n)
{
	if (j->failed)
		return;
	if (j->len + n + 1 > j->cap) {
		size_t cap = j->cap ? j->cap : 256;
		char *b;

		while (j->len + n + 1 > cap)
			cap *= 2;
		b = realloc(j->buf, cap);
		if (b == NULL) {
			j->failed = 1;
			return;
		}
		j->buf = b;
		j->cap = cap;
	}
	memcpy(j->buf + j->len, s, n);
	j->len += n;
	j->buf[j->len] = '\0';
}

void saba_json_raw(struct saba_json *j, const char *s)
{
	saba_json_append(j, s, strlen(s));
}

/* Length of the valid UTF-8 sequence at s, or 0. */
static size_t saba_utf8_len(const unsigned char *s)
{
	size_t n;
	uint32_t cp;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2, cp = s[0] & 0x1fu;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3, cp = s[0] & 0x0fu;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4, cp = s[0] & 0x07u;
	else
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3fu);
	}
	/* overlong forms, surrogates and beyond U+10FFFF are not UTF-8 */
	if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

void saba_json_str(struct saba_json *j, const char *str)
{
	const unsigned char *s = (const unsigned char *)str;
	char esc[8];

	saba_json_append(j, "\"", 1);
	while (*s != '\0') {
		size_t n = saba_utf8_len(s);

		if (*s == '"' || *s == '\\') {
			esc[0] = '\\';
			esc[1] = (char)*s;
			saba_json_append(j, esc, 2);
		} else if (*s < 0x20 || *s == 0x7f) {
			snprintf(esc, sizeof(esc), "\\u%04x", *s);
			saba_json_append(j, esc, 6);
		} else if (n == 0) {
			/* the API takes UTF-8 only; a byte of a mount path
			 * in another encoding must not void the whole spec */
			saba_json_append(j, "\\ufffd", 6);
			n = 1;
		} else {
			saba_json_append(j, (const char *)s, n);
		}
		s += n ? n : 1;
	}
	saba_json_append(j, "\"", 1);
}

void saba_json_key(struct saba_json *j, const char *key, int first)
{
	if (!first)
		saba_json_append(j, ",", 1);
	saba_json_str(j, key);
	saba_json_append(j, ":", 1);
}

void saba_json_u64(struct saba_json *j, uint64_t v)
{
	char num[24];

	snprintf(num, sizeof(num), "%llu", (unsigned long long)v);
	saba_json_raw(j, num);
}

void saba_json_free(struct saba_json *j)
{
	free(j->buf);
	j->buf = NULL;
	j->len = j->cap = 0;
}
