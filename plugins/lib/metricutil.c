/*
 * Helpers shared by the cpu, disk, interface and filesystem plugins (see
 * metricutil.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "metricutil.h"

/* a bigger "small file" is not procfs or sysfs we know */
#define SABA_READ_MAX (64u << 20)

int saba_read_file(const char *path, char **buf, size_t *len)
{
	size_t cap = 4096, n = 0;
	char *b = NULL, *nb;
	int fd, err = 0;

	*buf = NULL;
	*len = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno;
	for (;;) {
		ssize_t r;

		if (b == NULL || n + 1 >= cap) {
			if (b != NULL)
				cap *= 2;
			if (cap > SABA_READ_MAX) {
				err = EFBIG;
				goto out;
			}
			nb = realloc(b, cap);
			if (nb == NULL) {
				err = ENOMEM;
				goto out;
			}
			b = nb;
		}
		r = read(fd, b + n, cap - n - 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			err = errno;
			goto out;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	b[n] = '\0';
	*buf = b;
	*len = n;
	b = NULL;
out:
	free(b);
	close(fd);
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

static int saba_name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '-';
}

int saba_metric_name(char *buf, size_t len, const char *prefix, const char *raw, const char *suffix)
{
	size_t n = strlen(prefix), r = strlen(raw);

	if (n + r + strlen(suffix) + 1 > len)
		return SABA_INVALID;
	memcpy(buf, prefix, n);
	for (size_t i = 0; i < r; i++)
		buf[n + i] = saba_name_char(raw[i]) ? raw[i] : '_';
	strcpy(buf + n + r, suffix);
	return SABA_OK;
}

int saba_regex_setting(const struct saba_host *host, saba_ctx *ctx, const char *key, regex_t **re)
{
	const char *pattern = NULL;
	char msg[256];
	regex_t *r;
	int rc;

	*re = NULL;
	rc = host->config_string(ctx, key, &pattern);
	if (rc == SABA_NOTFOUND)
		return SABA_OK;
	if (rc != SABA_OK) {
		host->config_error(ctx, key, "must be a string, a POSIX extended regex");
		return SABA_INVALID;
	}
	r = malloc(sizeof(*r));
	if (r == NULL) {
		host->log(ctx, SABA_LOG_ERR, "out of memory");
		return SABA_ERROR;
	}
	/* REG_NOSUB: only "does it match" is asked */
	rc = regcomp(r, pattern, REG_EXTENDED | REG_NOSUB);
	if (rc != 0) {
		regerror(rc, r, msg, sizeof(msg));
		host->config_error(ctx, key, "bad regex \"%s\": %s", pattern, msg);
		free(r);
		return SABA_INVALID;
	}
	*re = r;
	return SABA_OK;
}

int saba_regex_match(const regex_t *re, const char *s)
{
	return re != NULL && regexec(re, s, 0, NULL, 0) == 0;
}

void saba_regex_free(regex_t *re)
{
	if (re == NULL)
		return;
	regfree(re);
	free(re);
}

char *saba_join(const char *dir, const char *file)
{
	size_t n = strlen(dir), f = strlen(file);
	char *path = malloc(n + 1 + f + 1);

	if (path == NULL)
		return NULL;
	memcpy(path, dir, n);
	path[n] = '/';
	memcpy(path + n + 1, file, f + 1);
	return path;
}

int saba_dir_setting(const struct saba_host *host, saba_ctx *ctx, const char *key, const char *def,
		     char **dir)
{
	const char *v = def;
	int rc = host->config_string(ctx, key, &v);
	size_t n;

	*dir = NULL;
	if (rc == SABA_NOTFOUND) {
		v = def;
	} else if (rc != SABA_OK || v[0] == '\0') {
		host->config_error(ctx, key,
				   "must be a non-empty string, a directory (e.g. \"%s\")", def);
		return SABA_INVALID;
	}
	n = strlen(v);
	/* "/sys/" and "/sys" name the same place; keep "/" itself */
	while (n > 1 && v[n - 1] == '/')
		n--;
	*dir = strndup(v, n);
	if (*dir == NULL) {
		host->log(ctx, SABA_LOG_ERR, "out of memory");
		return SABA_ERROR;
	}
	return SABA_OK;
}

double saba_monotonic(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int saba_samples_add(struct saba_samples *s, const char *name, uint64_t a, uint64_t b)
{
	struct saba_sample *v;
	char *copy;

	if (s->n == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 16;

		v = realloc(s->v, cap * sizeof(*v));
		if (v == NULL)
			return SABA_ERROR;
		s->v = v;
		s->cap = cap;
	}
	copy = strdup(name);
	if (copy == NULL)
		return SABA_ERROR;
	s->v[s->n].name = copy;
	s->v[s->n].v[0] = a;
	s->v[s->n].v[1] = b;
	s->n++;
	return SABA_OK;
}

const struct saba_sample *saba_samples_find(const struct saba_samples *s, const char *name,
					    size_t *hint)
{
	for (size_t k = 0; k < s->n; k++) {
		size_t i = (*hint + k) % s->n;

		if (strcmp(s->v[i].name, name) == 0) {
			*hint = i + 1;
			return &s->v[i];
		}
	}
	return NULL;
}

void saba_samples_clear(struct saba_samples *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->v[i].name);
	s->n = 0;
}

void saba_samples_free(struct saba_samples *s)
{
	saba_samples_clear(s);
	free(s->v);
	s->v = NULL;
	s->cap = 0;
}

int saba_counter_rate(uint64_t prev, uint64_t cur, double elapsed, double *rate)
{
	if (cur < prev || !(elapsed > 0))
		return SABA_NOTFOUND;
	*rate = (double)(cur - prev) / elapsed;
	return SABA_OK;
}

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
