#include "config.h"

#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tsdb.h"
#include "util.h"

#define SABA_TSDB_BUCKETS 256
/* Fragments kept at most; beyond, a post encodes the rest afresh. */
#define SABA_TSDB_MAX 4096
/* A fragment unused for this many posts goes (a removed disk, say). */
#define SABA_TSDB_KEEP 16
/* Room for one number as jansson writes it (int64, or %.15g plus ".0"). */
#define SABA_TSDB_NUM 40

/* {"hostId":<id>,"name":<name>,"time": for one host id and name, in one
 * allocation with its key (text, then host and name after it). */
struct saba_tsdb_frag {
	struct saba_tsdb_frag *next;
	uint64_t hash;
	unsigned long used;	 /* the post it was last used in */
	const char *host, *name; /* the key, in text[] */
	size_t len;		 /* of text; 0: jansson refused the id or the name */
	char text[];
};

struct saba_tsdb {
	struct saba_tsdb_frag *bucket[SABA_TSDB_BUCKETS];
	size_t count;
	unsigned long post;
	json_t *time, *value; /* scratch numbers, set and dumped per value */
	/* The last time written, as text: a batch's values share it. */
	int64_t last_time;
	char last_text[SABA_TSDB_NUM];
	size_t last_len; /* 0: none yet */
};

struct saba_tsdb_out {
	char *s;
	size_t len, cap;
};

struct saba_tsdb *saba_tsdb_new(void)
{
	struct saba_tsdb *t = saba_calloc(1, sizeof(*t));

	t->time = json_integer(0);
	t->value = json_real(0);
	if (t->time == NULL || t->value == NULL) {
		saba_tsdb_free(t);
		return NULL;
	}
	return t;
}

void saba_tsdb_free(struct saba_tsdb *t)
{
	if (t == NULL)
		return;
	for (size_t i = 0; i < SABA_TSDB_BUCKETS; i++)
		while (t->bucket[i] != NULL) {
			struct saba_tsdb_frag *f = t->bucket[i];

			t->bucket[i] = f->next;
			free(f);
		}
	json_decref(t->time);
	json_decref(t->value);
	free(t);
}

/* A fragment encoded by jansson: the object {"hostId":..,"name":..} with
 * its closing brace turned into the start of the next member. */
static struct saba_tsdb_frag *saba_tsdb_frag_new(const char *host, const char *name, uint64_t hash)
{
	static const char next[] = ",\"time\":";
	json_t *o = json_object();
	char *text = NULL;
	size_t len = 0;
	struct saba_tsdb_frag *f;

	if (o != NULL && json_object_set_new_nocheck(o, "hostId", json_string(host)) == 0 &&
	    json_object_set_new_nocheck(o, "name", json_string(name)) == 0)
		text = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	if (text != NULL)
		len = strlen(text) - 1 + sizeof(next) - 1;
	f = saba_calloc(1, sizeof(*f) + len + 1 + strlen(host) + 1 + strlen(name) + 1);
	f->hash = hash;
	f->host = strcpy(f->text + len + 1, host);
	f->name = strcpy(f->text + len + 1 + strlen(host) + 1, name);
	if (text != NULL) {
		/* keys come out in insertion order (jansson >= 2.8) */
		memcpy(f->text, text, strlen(text) - 1);
		memcpy(f->text + strlen(text) - 1, next, sizeof(next));
		f->len = len;
	}
	free(text);
	return f;
}

/* The kept fragment for host and name, made if missing.  *temp is set to
 * one the caller frees when the cache is full. */
static struct saba_tsdb_frag *saba_tsdb_frag(struct saba_tsdb *t, const char *host,
					     uint64_t host_hash, const char *name,
					     struct saba_tsdb_frag **temp)
{
	uint64_t h = saba_hash(name) * 1099511628211u ^ host_hash;
	struct saba_tsdb_frag **slot = &t->bucket[h % SABA_TSDB_BUCKETS], *f;

	for (f = *slot; f != NULL; f = f->next)
		if (f->hash == h && strcmp(f->name, name) == 0 && strcmp(f->host, host) == 0)
			break;
	if (f == NULL) {
		f = saba_tsdb_frag_new(host, name, h);
		if (t->count >= SABA_TSDB_MAX) {
			*temp = f;
			return f;
		}
		f->next = *slot;
		*slot = f;
		t->count++;
	}
	f->used = t->post;
	return f;
}

static void saba_tsdb_sweep(struct saba_tsdb *t)
{
	for (size_t i = 0; i < SABA_TSDB_BUCKETS; i++)
		for (struct saba_tsdb_frag **pp = &t->bucket[i]; *pp != NULL;) {
			struct saba_tsdb_frag *f = *pp;

			if (t->post - f->used <= SABA_TSDB_KEEP) {
				pp = &f->next;
				continue;
			}
			*pp = f->next;
			free(f);
			t->count--;
		}
}

/* Room for n more bytes and a NUL. */
static char *saba_tsdb_room(struct saba_tsdb_out *o, size_t n)
{
	if (o->len + n + 1 > o->cap) {
		while (o->len + n + 1 > o->cap)
			o->cap *= 2;
		o->s = saba_realloc(o->s, o->cap);
	}
	return o->s + o->len;
}

static void saba_tsdb_put(struct saba_tsdb_out *o, const char *s, size_t n)
{
	memcpy(saba_tsdb_room(o, n), s, n);
	o->len += n;
	o->s[o->len] = '\0';
}

/* A number as jansson writes it; 0 when it will not (never for these). */
static size_t saba_tsdb_number(struct saba_tsdb_out *o, const json_t *num)
{
	size_t n = json_dumpb(num, saba_tsdb_room(o, SABA_TSDB_NUM), SABA_TSDB_NUM,
			      JSON_ENCODE_ANY | JSON_REAL_PRECISION(15));

	if (n == 0 || n >= SABA_TSDB_NUM)
		return 0;
	o->len += n;
	o->s[o->len] = '\0';
	return n;
}

/* One value, or nothing when a part is refused. */
static void saba_tsdb_point(struct saba_tsdb *t, struct saba_tsdb_out *o,
			    const struct saba_tsdb_frag *f, const struct saba_point *p)
{
	size_t start = o->len;

	if (f->len == 0 || json_real_set(t->value, p->value) != 0)
		return; /* not UTF-8, or not finite */
	if (start > 1)
		saba_tsdb_put(o, ",", 1);
	saba_tsdb_put(o, f->text, f->len);
	if (t->last_len == 0 || p->time != t->last_time) {
		size_t at = o->len;

		json_integer_set(t->time, (json_int_t)p->time);
		t->last_len = saba_tsdb_number(o, t->time);
		if (t->last_len == 0)
			goto drop;
		memcpy(t->last_text, o->s + at, t->last_len);
		t->last_time = p->time;
	} else {
		saba_tsdb_put(o, t->last_text, t->last_len);
	}
	saba_tsdb_put(o, ",\"value\":", 9);
	if (saba_tsdb_number(o, t->value) == 0)
		goto drop;
	saba_tsdb_put(o, "}", 1);
	return;
drop:
	o->len = start;
	o->s[o->len] = '\0';
}

char *saba_tsdb_body(struct saba_tsdb *t, const char *host_id, struct saba_batch **b, size_t n,
		     const char *(*host_for)(void *arg, const char *ci), void *arg, size_t *count)
{
	struct saba_tsdb_out o = {.cap = 256};
	uint64_t own = saba_hash(host_id);
	size_t values = 0;

	for (size_t i = 0; i < n; i++)
		values += b[i]->n;
	/* About what a value takes, so the buffer rarely grows. */
	while (o.cap < values * 112 + 2)
		o.cap *= 2;
	o.s = saba_calloc(1, o.cap);
	saba_tsdb_put(&o, "[", 1);
	t->post++;
	*count = 0;
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < b[i]->n; j++) {
			const struct saba_point *p = &b[i]->points[j];
			const char *id = p->ci == NULL	    ? host_id
					 : host_for != NULL ? host_for(arg, p->ci)
							    : NULL;
			struct saba_tsdb_frag *f, *temp = NULL;
			size_t before = o.len;

			/* Another host's value, and that host is unknown. */
			if (id == NULL || *id == '\0')
				continue;
			f = saba_tsdb_frag(t, id, p->ci == NULL ? own : saba_hash(id), p->name,
					   &temp);
			saba_tsdb_point(t, &o, f, p);
			free(temp);
			if (o.len > before)
				(*count)++;
		}
	saba_tsdb_put(&o, "]", 1);
	if (t->post % SABA_TSDB_KEEP == 0)
		saba_tsdb_sweep(t);
	return o.s;
}
