#include "config.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "hostmap.h"
#include "log.h"
#include "outbox.h"
#include "util.h"

/* The API keeps check messages to 1024 characters (upstream cuts them). */
#define SABA_CHECK_MESSAGE_MAX 1024
/* Bound what waits while the API is down: the oldest reports go first. */
#define SABA_OUTBOX_MAX_CHECKS 10000

struct saba_outbox {
	pthread_mutex_t lock;
	json_t *graph_defs; /* array */
	json_t *checks;	    /* array */
	size_t dropped_checks;
};

struct saba_outbox *saba_outbox_new(void)
{
	struct saba_outbox *o = saba_calloc(1, sizeof(*o));

	pthread_mutex_init(&o->lock, NULL);
	o->graph_defs = json_array();
	o->checks = json_array();
	return o;
}

void saba_outbox_free(struct saba_outbox *o)
{
	if (o == NULL)
		return;
	json_decref(o->graph_defs);
	json_decref(o->checks);
	pthread_mutex_destroy(&o->lock);
	free(o);
}

void saba_outbox_graph_defs(struct saba_runtime *rt, json_t *defs)
{
	struct saba_outbox *o = rt->outbox;

	if (o == NULL) {
		json_decref(defs);
		return;
	}
	pthread_mutex_lock(&o->lock);
	json_array_extend(o->graph_defs, defs);
	pthread_mutex_unlock(&o->lock);
	json_decref(defs);
}

/* Length of the UTF-8 sequence starting at s, or 0 when invalid. */
static size_t saba_utf8_len(const unsigned char *s)
{
	size_t n = s[0] < 0x80		 ? 1
		   : (s[0] >> 5) == 0x6	 ? 2
		   : (s[0] >> 4) == 0xe	 ? 3
		   : (s[0] >> 3) == 0x1e ? 4
					 : 0;

	for (size_t i = 1; i < n; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	return n;
}

json_t *saba_json_text(const char *s, size_t max_chars)
{
	size_t len = s != NULL ? strlen(s) : 0, used = 0, chars = 0;
	char *out = saba_calloc(1, len + 1);
	json_t *j;

	for (size_t i = 0; i < len && chars < max_chars; chars++) {
		size_t n = saba_utf8_len((const unsigned char *)s + i);

		if (n == 0) {
			out[used++] = '?';
			i++;
			continue;
		}
		memcpy(out + used, s + i, n);
		used += n;
		i += n;
	}
	j = json_stringn(out, used);
	free(out);
	return j != NULL ? j : json_string("");
}

void saba_outbox_check(struct saba_runtime *rt, const struct saba_check_report *r)
{
	static const char *const names[] = {"OK", "WARNING", "CRITICAL", "UNKNOWN"};
	struct saba_outbox *o = rt->outbox;
	json_t *rep;

	if (o == NULL)
		return;
	rep = json_pack("{s:{s:s, s:n}, s:o, s:s, s:o, s:I}", "source", "type", "host", "hostId",
			"name", saba_json_text(r->name, 1024), "status", names[r->status],
			"message", saba_json_text(r->message, SABA_CHECK_MESSAGE_MAX), "occurredAt",
			(json_int_t)r->occurred_at);
	if (rep == NULL)
		return;
	if (r->notification_interval > 0)
		json_object_set_new(rep, "notificationInterval",
				    json_integer(r->notification_interval < 10
							 ? 10
							 : r->notification_interval));
	if (r->max_check_attempts > 0)
		json_object_set_new(rep, "maxCheckAttempts", json_integer(r->max_check_attempts));
	if (r->custom_identifier != NULL && *r->custom_identifier != '\0')
		json_object_set_new(rep, "_ci", json_string(r->custom_identifier));
	pthread_mutex_lock(&o->lock);
	if (json_array_size(o->checks) >= SABA_OUTBOX_MAX_CHECKS) {
		json_array_remove(o->checks, 0);
		if (o->dropped_checks++ % 100 == 0)
			saba_warn("check reports queue full: dropping the oldest (%zu so far)",
				  o->dropped_checks);
	}
	json_array_append_new(o->checks, rep);
	pthread_mutex_unlock(&o->lock);
}

json_t *saba_outbox_take_graph_defs(struct saba_outbox *o)
{
	json_t *defs = NULL;

	pthread_mutex_lock(&o->lock);
	if (json_array_size(o->graph_defs) > 0) {
		defs = o->graph_defs;
		o->graph_defs = json_array();
	}
	pthread_mutex_unlock(&o->lock);
	return defs;
}

void saba_outbox_putback_graph_defs(struct saba_outbox *o, json_t *defs)
{
	pthread_mutex_lock(&o->lock);
	json_array_extend(defs, o->graph_defs);
	json_decref(o->graph_defs);
	o->graph_defs = defs;
	pthread_mutex_unlock(&o->lock);
}

json_t *saba_outbox_take_checks(struct saba_outbox *o, size_t max)
{
	json_t *out = NULL;

	pthread_mutex_lock(&o->lock);
	if (json_array_size(o->checks) > 0) {
		out = json_array();
		while (json_array_size(out) < max && json_array_size(o->checks) > 0) {
			json_array_append(out, json_array_get(o->checks, 0));
			json_array_remove(o->checks, 0);
		}
	}
	pthread_mutex_unlock(&o->lock);
	return out;
}

void saba_outbox_putback_checks(struct saba_outbox *o, json_t *reports)
{
	pthread_mutex_lock(&o->lock);
	json_array_extend(reports, o->checks);
	json_decref(o->checks);
	o->checks = reports;
	pthread_mutex_unlock(&o->lock);
}

/* The API takes up to 100 reports a request; upstream sends 20. */
#define SABA_CHECKS_PER_POST 20

/* Backoff after a retryable answer, honouring Retry-After. */
static int64_t saba_outbox_backoff(const struct saba_api_result *r, int attempt)
{
	return r->retry_after >= 0 ? r->retry_after * 1000 : saba_backoff_ms(attempt, 1000, 60000);
}

/* Fill each report's host id; reports for unknown hosts are dropped.
 * Returns -1 when a customIdentifier could not be looked up yet. */
static int saba_outbox_address(json_t *reports, struct saba_http *h, struct saba_hostmap *m,
			       const char *host_id, int64_t deadline_ms)
{
	for (size_t i = 0; i < json_array_size(reports);) {
		json_t *rep = json_array_get(reports, i);
		const char *ci = json_string_value(json_object_get(rep, "_ci"));
		const char *id = ci != NULL ? saba_hostmap_resolve(m, h, ci, deadline_ms) : host_id;

		if (id == NULL)
			return -1;
		if (*id == '\0') {
			json_array_remove(reports, i);
			continue;
		}
		json_object_set_new(json_object_get(rep, "source"), "hostId", json_string(id));
		json_object_del(rep, "_ci");
		i++;
	}
	return 0;
}

int64_t saba_outbox_send(struct saba_outbox *o, struct saba_http *h, struct saba_hostmap *m,
			 const char *host_id, int attempt, int64_t deadline_ms)
{
	struct saba_api_result r = {.retry_after = -1};
	json_t *defs = saba_outbox_take_graph_defs(o), *reports = NULL;
	int64_t wait = 0;

	if (defs != NULL) {
		saba_api_call(h, "POST", "/api/v0/graph-defs/create", json_incref(defs),
			      deadline_ms, &r);
		if (r.status == SABA_API_RETRY) {
			saba_warn("cannot post graph definitions: %s; will retry", r.message);
			saba_outbox_putback_graph_defs(o, defs);
			wait = saba_outbox_backoff(&r, attempt);
			goto out;
		}
		if (r.status != SABA_API_OK)
			saba_err("the API refused %zu graph definitions, dropping them: %s",
				 json_array_size(defs), r.message);
		json_decref(defs);
	}
	while ((reports = saba_outbox_take_checks(o, SABA_CHECKS_PER_POST)) != NULL) {
		json_t *copy = json_deep_copy(reports);

		if (saba_outbox_address(copy, h, m, host_id, deadline_ms) != 0) {
			json_decref(copy);
			saba_outbox_putback_checks(o, reports);
			wait = saba_backoff_ms(attempt, 1000, 60000);
			goto out;
		}
		if (json_array_size(copy) == 0) {
			json_decref(copy);
			json_decref(reports);
			continue;
		}
		saba_api_call(h, "POST", "/api/v0/monitoring/checks/report",
			      json_pack("{s:o}", "reports", copy), deadline_ms, &r);
		if (r.status == SABA_API_RETRY) {
			saba_warn("cannot post check reports: %s; will retry", r.message);
			saba_outbox_putback_checks(o, reports);
			wait = saba_outbox_backoff(&r, attempt);
			goto out;
		}
		if (r.status != SABA_API_OK)
			saba_err("the API refused %zu check reports, dropping them: %s",
				 json_array_size(reports), r.message);
		json_decref(reports);
	}
out:
	saba_api_result_clear(&r);
	return wait;
}
