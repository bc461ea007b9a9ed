#include "config.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "idfile.h"
#include "log.h"
#include "metadata.h"
#include "util.h"

/* One namespace: the value waiting to be sent and the one last sent. */
struct saba_md_entry {
	char *ns;
	json_t *pending; /* NULL: nothing waits */
	json_t *sent;	 /* NULL: nothing known */
	char *sent_host; /* the host sent was sent to */
	int loaded;	 /* the file was read */
};

struct saba_metadata {
	pthread_mutex_t lock; /* guards the entries; sends run unlocked */
	char *dir;
	struct saba_md_entry *v;
	size_t n;
};

struct saba_metadata *saba_metadata_new(const char *dir)
{
	struct saba_metadata *m = saba_calloc(1, sizeof(*m));

	pthread_mutex_init(&m->lock, NULL);
	m->dir = saba_strdup(dir);
	return m;
}

void saba_metadata_free(struct saba_metadata *m)
{
	if (m == NULL)
		return;
	for (size_t i = 0; i < m->n; i++) {
		free(m->v[i].ns);
		json_decref(m->v[i].pending);
		json_decref(m->v[i].sent);
		free(m->v[i].sent_host);
	}
	free(m->v);
	free(m->dir);
	pthread_mutex_destroy(&m->lock);
	free(m);
}

int saba_metadata_valid_ns(const char *ns, char *why, size_t len)
{
	if (ns == NULL || *ns == '\0') {
		snprintf(why, len, "the namespace is empty");
		return 0;
	}
	for (const char *p = ns; *p != '\0'; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '-' || *p == '_')) {
			snprintf(why, len,
				 "namespace \"%.64s\": only letters, digits, '-' and '_' are "
				 "allowed",
				 ns);
			return 0;
		}
	if (strncmp(ns, "mackerel", 8) == 0) {
		snprintf(why, len,
			 "namespace \"%.64s\": names beginning with \"mackerel\" are "
			 "Mackerel's own",
			 ns);
		return 0;
	}
	return 1;
}

json_t *saba_metadata_parse(const char *text, size_t len, char *why, size_t why_len)
{
	json_error_t e;
	json_t *v;

	if (len > SABA_METADATA_MAX_BYTES) {
		snprintf(why, why_len, "%zu bytes of output, more than the API's %d", len,
			 SABA_METADATA_MAX_BYTES);
		return NULL;
	}
	v = json_loadb(text, len, JSON_DECODE_ANY, &e);
	/* Go reads every number as a float64: an integer past 64 bits is
	 * still JSON to mackerel-agent. */
	if (v == NULL && json_error_code(&e) == json_error_numeric_overflow)
		v = json_loadb(text, len, JSON_DECODE_ANY | JSON_DECODE_INT_AS_REAL, &e);
	if (v == NULL)
		snprintf(why, why_len, "not valid JSON (line %d, column %d: %s)", e.line, e.column,
			 e.text);
	return v;
}

/* The entry of ns, made on first use (lock held). */
static struct saba_md_entry *saba_md_entry(struct saba_metadata *m, const char *ns)
{
	for (size_t i = 0; i < m->n; i++)
		if (strcmp(m->v[i].ns, ns) == 0)
			return &m->v[i];
	m->v = saba_realloc(m->v, (m->n + 1) * sizeof(*m->v));
	memset(&m->v[m->n], 0, sizeof(m->v[m->n]));
	m->v[m->n].ns = saba_strdup(ns);
	return &m->v[m->n++];
}

void saba_metadata_put(struct saba_metadata *m, const char *ns, json_t *value)
{
	struct saba_md_entry *e;

	pthread_mutex_lock(&m->lock);
	e = saba_md_entry(m, ns);
	json_decref(e->pending);
	e->pending = value;
	pthread_mutex_unlock(&m->lock);
}

/* What the file says was last sent for e: {"hostId": ..., "value": ...}.
 * A file that cannot be read is no news: the value is sent again. */
static void saba_md_load(struct saba_metadata *m, struct saba_md_entry *e)
{
	char *path = saba_asprintf("%s/%s", m->dir, e->ns);
	json_t *doc = json_load_file(path, JSON_DECODE_ANY, NULL);
	const char *host = json_string_value(json_object_get(doc, "hostId"));
	json_t *value = json_object_get(doc, "value");

	if (host != NULL && value != NULL) {
		e->sent = json_incref(value);
		e->sent_host = saba_strdup(host);
	} else if (doc != NULL) {
		saba_warn("%s: not a metadata record; the value is sent again", path);
	}
	e->loaded = 1;
	json_decref(doc);
	free(path);
}

static void saba_md_save(struct saba_metadata *m, const char *ns, const char *host_id,
			 json_t *value)
{
	char err[256];
	json_t *doc = json_pack("{s:s, s:O}", "hostId", host_id, "value", value);
	char *text = doc != NULL ? json_dumps(doc, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;

	if (text == NULL)
		saba_warn("cannot keep metadata %s: out of memory", ns);
	else if (saba_state_write(m->dir, ns, text, err, sizeof(err)) != 0)
		saba_warn("cannot keep metadata %s: %s (it may be sent again after a restart)", ns,
			  err);
	free(text);
	json_decref(doc);
}

/* The next namespace with a value waiting after index *i: its name
 * (malloc'd), its value referenced and whether the host already has it;
 * NULL when none is left.  *i moves past it. */
static char *saba_md_next(struct saba_metadata *m, size_t *i, const char *host_id, json_t **value,
			  int *same)
{
	char *ns = NULL;

	pthread_mutex_lock(&m->lock);
	for (; *i < m->n && ns == NULL; (*i)++) {
		struct saba_md_entry *e = &m->v[*i];

		if (e->pending == NULL)
			continue;
		if (!e->loaded)
			saba_md_load(m, e);
		ns = saba_strdup(e->ns);
		*value = json_incref(e->pending);
		*same = e->sent != NULL && strcmp(e->sent_host, host_id) == 0 &&
			json_equal(e->sent, e->pending);
	}
	pthread_mutex_unlock(&m->lock);
	return ns;
}

/* value is done with: no longer pending unless a newer one came meanwhile;
 * when sent (host_id not NULL), it is what the host has. */
static void saba_md_done(struct saba_metadata *m, size_t i, json_t *value, const char *host_id)
{
	struct saba_md_entry *e;

	pthread_mutex_lock(&m->lock);
	e = &m->v[i];
	if (e->pending == value) {
		json_decref(e->pending);
		e->pending = NULL;
	}
	if (host_id != NULL) {
		json_decref(e->sent);
		e->sent = json_incref(value);
		free(e->sent_host);
		e->sent_host = saba_strdup(host_id);
	}
	pthread_mutex_unlock(&m->lock);
}

int64_t saba_metadata_send(struct saba_metadata *m, struct saba_http *h, const char *host_id,
			   int dry_run, int attempt, int64_t deadline_ms)
{
	struct saba_api_result r = {.retry_after = -1};
	int64_t wait = 0;
	json_t *value = NULL;
	char *ns;
	int same = 0;

	if (m == NULL || host_id == NULL)
		return 0;
	/* Entries are found again by index: a put() may grow the array
	 * while a request is under way, but never removes one. */
	for (size_t i = 0; (ns = saba_md_next(m, &i, host_id, &value, &same)) != NULL;) {
		char *path;

		if (same) {
			saba_debug("metadata %s unchanged; not sent", ns);
			saba_md_done(m, i - 1, value, NULL);
			json_decref(value);
			free(ns);
			continue;
		}
		path = saba_asprintf("/api/v0/hosts/%s/metadata/%s", host_id, ns);
		saba_api_call(h, "PUT", path, json_incref(value), deadline_ms, &r);
		free(path);
		if (r.status == SABA_API_RETRY) {
			saba_warn("cannot put metadata %s: %s; will retry", ns, r.message);
			wait = r.retry_after >= 0 ? r.retry_after * 1000
						  : saba_backoff_ms(attempt, 1000, 60000);
			json_decref(value);
			free(ns);
			break;
		}
		if (r.status == SABA_API_OK) {
			saba_info("metadata %s sent", ns);
			if (!dry_run)
				saba_md_save(m, ns, host_id, value);
			saba_md_done(m, i - 1, value, host_id);
		} else {
			saba_err("the API refused metadata %s: %s; sent again when the plugin "
				 "next reports it",
				 ns, r.message);
			saba_md_done(m, i - 1, value, NULL);
		}
		json_decref(value);
		free(ns);
	}
	saba_api_result_clear(&r);
	return wait;
}
