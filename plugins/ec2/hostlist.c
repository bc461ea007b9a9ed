#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hostlist.h"

/* One host of a real list is a few kB (meta included); far beyond this is
 * not a host list. */
#define SABA_HOSTLIST_MAX_VALUE (4u << 20)

/* Where in {"hosts": [ ... ]} the reader is. */
enum saba_hostlist_at {
	SABA_HL_OPEN = 0,   /* expects '{' */
	SABA_HL_KEY,	    /* a key, or '}' right after '{' */
	SABA_HL_COLON,	    /* ':' */
	SABA_HL_VALUE,	    /* the value of a key other than "hosts" */
	SABA_HL_ARRAY,	    /* '[' of "hosts" */
	SABA_HL_ELEMENT,    /* an element, or ']' right after '[' */
	SABA_HL_AFTER_ELEM, /* ',' or ']' */
	SABA_HL_AFTER_PAIR, /* ',' or '}' */
	SABA_HL_END,	    /* only white space may follow */
};

struct saba_hostlist {
	saba_hostlist_fn fn;
	void *arg;
	const char *v; /* what is being decoded: v[pos..vlen) */
	size_t pos, vlen;
	char *buf; /* bytes left undecoded by the previous piece */
	size_t len, cap;
	int at;
	int first; /* the next KEY/ELEMENT may be the closing bracket */
	int key_is_hosts;
	int have_hosts;
	int failed;
	char error[160];
};

static int saba_hl_fail(struct saba_hostlist *l, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static int saba_hl_fail(struct saba_hostlist *l, const char *fmt, ...)
{
	va_list ap;

	if (!l->failed) {
		va_start(ap, fmt);
		vsnprintf(l->error, sizeof(l->error), fmt, ap);
		va_end(ap);
		l->failed = 1;
	}
	return -1;
}

struct saba_hostlist *saba_hostlist_new(saba_hostlist_fn fn, void *arg)
{
	struct saba_hostlist *l = calloc(1, sizeof(*l));

	if (l != NULL) {
		l->fn = fn;
		l->arg = arg;
	}
	return l;
}

void saba_hostlist_free(struct saba_hostlist *l)
{
	if (l == NULL)
		return;
	free(l->buf);
	free(l);
}

const char *saba_hostlist_error(const struct saba_hostlist *l)
{
	return l->error;
}

/* The next character that is not white space, or -1 when none is buffered
 * (a NUL byte is a character: it must not read as the end of the data). */
static int saba_hl_peek(struct saba_hostlist *l)
{
	while (l->pos < l->vlen && l->v[l->pos] != '\0' && strchr(" \t\r\n", l->v[l->pos]) != NULL)
		l->pos++;
	return l->pos < l->vlen ? (unsigned char)l->v[l->pos] : -1;
}

/* Whether s[0..n) ends inside a UTF-8 sequence: the piece was cut in the
 * middle of a character, which jansson reports as invalid UTF-8. */
static int saba_hl_cut_utf8(const char *s, size_t n)
{
	for (size_t back = 1; back <= 4 && back <= n; back++) {
		unsigned char c = (unsigned char)s[n - back];
		size_t need;

		if ((c & 0xc0) == 0x80)
			continue; /* a continuation byte: look further back */
		need = (c & 0xe0) == 0xc0 ? 2 : (c & 0xf0) == 0xe0 ? 3 : (c & 0xf8) == 0xf0 ? 4 : 1;
		return need > back;
	}
	return 0;
}

/* Decode one JSON value at pos.  Returns 1 and *out (caller frees), 0 when
 * more bytes are needed, -1 on an error.  A value that ends exactly at the
 * end of what is buffered may go on ("12" of "123"): unless final, it waits. */
static int saba_hl_value(struct saba_hostlist *l, int final, json_t **out)
{
	json_error_t e;
	size_t avail = l->vlen - l->pos;
	json_t *v = json_loadb(l->v + l->pos, avail, JSON_DECODE_ANY | JSON_DISABLE_EOF_CHECK, &e);

	if (v == NULL) {
		/* At the end of what is buffered, "tru" or "-1." may be cut short. */
		if (!final && (json_error_code(&e) == json_error_premature_end_of_input ||
			       (e.position >= 0 && (size_t)e.position >= avail) ||
			       saba_hl_cut_utf8(l->v + l->pos, avail))) {
			if (avail > SABA_HOSTLIST_MAX_VALUE)
				return saba_hl_fail(l, "a value of the host list exceeds %u bytes",
						    SABA_HOSTLIST_MAX_VALUE);
			return 0;
		}
		return saba_hl_fail(l, "the host list is not JSON: %s", e.text);
	}
	if (e.position < 0 || (size_t)e.position > avail) {
		json_decref(v);
		return saba_hl_fail(l, "the host list is not JSON");
	}
	if (!final && (size_t)e.position == avail) {
		json_decref(v);
		return 0;
	}
	l->pos += (size_t)e.position;
	*out = v;
	return 1;
}

/* One step of the walk; 1 when it advanced, 0 when it needs more bytes. */
static int saba_hl_step(struct saba_hostlist *l, int final)
{
	int c = saba_hl_peek(l);
	json_t *v = NULL;
	int r;

	if (c < 0)
		return 0;
	switch (l->at) {
	case SABA_HL_OPEN:
		if (c != '{')
			return saba_hl_fail(l, "the host list is not a JSON object");
		l->pos++;
		l->at = SABA_HL_KEY;
		l->first = 1;
		return 1;
	case SABA_HL_KEY:
		if (c == '}' && l->first) {
			l->pos++;
			l->at = SABA_HL_END;
			return 1;
		}
		r = saba_hl_value(l, final, &v);
		if (r <= 0)
			return r;
		if (!json_is_string(v)) {
			json_decref(v);
			return saba_hl_fail(l, "the host list has a key that is not a string");
		}
		l->key_is_hosts = strcmp(json_string_value(v), "hosts") == 0;
		json_decref(v);
		l->at = SABA_HL_COLON;
		return 1;
	case SABA_HL_COLON:
		if (c != ':')
			return saba_hl_fail(l, "the host list is not JSON: ':' expected");
		l->pos++;
		l->at = l->key_is_hosts ? SABA_HL_ARRAY : SABA_HL_VALUE;
		return 1;
	case SABA_HL_VALUE:
		r = saba_hl_value(l, final, &v);
		json_decref(v);
		if (r > 0)
			l->at = SABA_HL_AFTER_PAIR;
		return r;
	case SABA_HL_ARRAY:
		if (c != '[' || l->have_hosts)
			return saba_hl_fail(l, "\"hosts\" is not an array, or twice");
		l->pos++;
		l->have_hosts = 1;
		l->at = SABA_HL_ELEMENT;
		l->first = 1;
		return 1;
	case SABA_HL_ELEMENT:
		if (c == ']' && l->first) {
			l->pos++;
			l->at = SABA_HL_AFTER_PAIR;
			return 1;
		}
		r = saba_hl_value(l, final, &v);
		if (r <= 0)
			return r;
		r = l->fn(l->arg, v);
		json_decref(v);
		if (r != 0)
			return saba_hl_fail(l, "stopped by the caller");
		l->at = SABA_HL_AFTER_ELEM;
		return 1;
	case SABA_HL_AFTER_ELEM:
	case SABA_HL_AFTER_PAIR:
		if (c == ',') {
			l->pos++;
			l->at = l->at == SABA_HL_AFTER_ELEM ? SABA_HL_ELEMENT : SABA_HL_KEY;
			l->first = 0;
			return 1;
		}
		if (c == (l->at == SABA_HL_AFTER_ELEM ? ']' : '}')) {
			l->pos++;
			l->at = l->at == SABA_HL_AFTER_ELEM ? SABA_HL_AFTER_PAIR : SABA_HL_END;
			return 1;
		}
		return saba_hl_fail(l, "the host list is not JSON: ',' or a closing bracket "
				       "expected");
	default:
		return saba_hl_fail(l, "the host list has data after its end");
	}
}

/* Decode what v[0..vlen) allows. */
static int saba_hl_run(struct saba_hostlist *l, const char *v, size_t vlen, int final)
{
	int r;

	l->v = v;
	l->vlen = vlen;
	l->pos = 0;
	while ((r = saba_hl_step(l, final)) > 0)
		;
	return r < 0 ? -1 : 0;
}

/* Append data to the undecoded bytes. */
static int saba_hl_keep(struct saba_hostlist *l, const char *data, size_t len)
{
	if (len == 0)
		return 0;
	if (l->len + len > l->cap) {
		size_t cap = l->cap != 0 ? l->cap : 65536;
		char *p;

		while (cap < l->len + len)
			cap *= 2;
		p = realloc(l->buf, cap);
		if (p == NULL)
			return saba_hl_fail(l, "out of memory");
		l->buf = p;
		l->cap = cap;
	}
	memcpy(l->buf + l->len, data, len);
	l->len += len;
	return 0;
}

int saba_hostlist_feed(struct saba_hostlist *l, const char *data, size_t len)
{
	if (l->failed)
		return -1;
	/* JSON has no raw NUL anywhere, and jansson miscounts the position
	 * of a value it ends ("[2<NUL>]" reads as [2], one byte short). */
	if (memchr(data, '\0', len) != NULL)
		return saba_hl_fail(l, "the host list is not JSON: a NUL byte");
	if (l->len == 0) {
		/* Nothing pending: decode the piece where it is, keep the rest. */
		if (saba_hl_run(l, data, len, 0) != 0)
			return -1;
		return saba_hl_keep(l, data + l->pos, len - l->pos);
	}
	if (saba_hl_keep(l, data, len) != 0 || saba_hl_run(l, l->buf, l->len, 0) != 0)
		return -1;
	memmove(l->buf, l->buf + l->pos, l->len - l->pos);
	l->len -= l->pos;
	return 0;
}

int saba_hostlist_finish(struct saba_hostlist *l)
{
	if (l->failed || saba_hl_run(l, l->buf != NULL ? l->buf : "", l->len, 1) != 0)
		return -1;
	if (l->at != SABA_HL_END)
		return saba_hl_fail(l, "the host list ends early");
	if (!l->have_hosts)
		return saba_hl_fail(l, "the host list has no \"hosts\" array");
	return 0;
}
