#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "conf.h"
#include "idfile.h"
#include "log.h"
#include "register.h"
#include "util.h"

/* Like upstream's 20 attempts, but with backoff, and a stop request ends
 * the wait at once. */
#define SABA_REGISTER_ATTEMPTS 20

/* The wait before attempt i + 2: the answer's Retry-After, else backoff. */
static int64_t saba_retry_delay(const struct saba_api_result *r, int i)
{
	return r->retry_after >= 0 ? r->retry_after * 1000 : saba_backoff_ms(i, 1000, 30000);
}

/* Returns 1 when a stop request ended the wait. */
static int saba_retry_wait(struct saba_runtime *rt, struct saba_api_result *r, int64_t wait, int i,
			   int attempts)
{
	saba_warn("%s; retrying in %.1f s (attempt %d of %d)", r->message, (double)wait / 1000,
		  i + 1, attempts);
	if (!saba_runtime_wait(rt, wait))
		return 0;
	snprintf(r->message, sizeof(r->message), "interrupted by stop");
	return 1;
}

/* One API call retried on network errors, 5xx and 429.  Returns the final
 * status; r holds the last answer. */
static int saba_call_retry(struct saba_runtime *rt, struct saba_http *h, const char *method,
			   const char *path, json_t *body, int attempts, struct saba_api_result *r)
{
	for (int i = 0;; i++) {
		saba_api_call(h, method, path, body != NULL ? json_incref(body) : NULL, 0, r);
		if (r->status != SABA_API_RETRY || i + 1 >= attempts)
			return r->status;
		if (saba_retry_wait(rt, r, saba_retry_delay(r, i), i, attempts))
			return r->status;
	}
}

/* The host id of an answer, or NULL: it becomes the id file and a path
 * component, so only what Mackerel ids are made of ("" would read back as
 * no id, and the next start would register the machine again). */
static const char *saba_answer_id(json_t *v)
{
	const char *id = json_string_value(v);

	if (id == NULL || *id == '\0' ||
	    strspn(id, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-") !=
		    strlen(id))
		return NULL;
	return id;
}

/* The stored host must exist, not be retired, and not be another
 * machine's (a copied id file or a cloned image). */
static int saba_check_stored(struct saba_runtime *rt, struct saba_http *h, const char *id,
			     json_t *spec)
{
	struct saba_api_result r = {.retry_after = -1};
	char *path = saba_asprintf("/api/v0/hosts/%s", id);
	const char *root = rt->conf->root;
	json_t *host;
	const char *theirs, *ours;
	int rc = 1;

	saba_call_retry(rt, h, "GET", path, NULL, SABA_REGISTER_ATTEMPTS, &r);
	if (rt->dry_run) {
		rc = 0; /* nothing was asked, nothing can be checked */
		goto out;
	}
	if (r.status == SABA_API_NOT_FOUND) {
		saba_err("host %s (from %s/id) was not found on Mackerel: it was deleted or "
			 "belongs to another organization. Remove %s/id to register this machine "
			 "as a new host.",
			 id, root, root);
		goto out;
	}
	if (r.status != SABA_API_OK) {
		saba_err("cannot look up host %s: %s", id, r.message);
		goto out;
	}
	host = json_object_get(r.json, "host");
	if (!json_is_object(host)) {
		saba_err("GET %s: the answer has no \"host\" object", path);
		goto out;
	}
	if (json_is_true(json_object_get(host, "isRetired")) ||
	    (json_is_string(json_object_get(host, "status")) &&
	     strcmp(json_string_value(json_object_get(host, "status")), "retired") == 0)) {
		saba_err(
			"host %s (from %s/id) is retired on Mackerel; retirement cannot be undone. "
			"Remove %s/id to register this machine as a new host.",
			id, root, root);
		goto out;
	}
	theirs = json_string_value(json_object_get(host, "customIdentifier"));
	ours = json_string_value(json_object_get(spec, "customIdentifier"));
	if (theirs != NULL && *theirs != '\0' && (ours == NULL || strcmp(theirs, ours) != 0)) {
		saba_err("host %s has customIdentifier \"%s\" but this machine's is \"%s\": %s/id "
			 "may have been copied from another host. Remove it and restart the agent.",
			 id, theirs, ours != NULL ? ours : "", root);
		goto out;
	}
	rc = 0;
out:
	saba_api_result_clear(&r);
	free(path);
	return rc;
}

/* A host AWS integration or an earlier install created: adopt it. */
/* 0 with *id (NULL: no such host) or -1 when the API could not tell: then
 * nothing is created, or a second host could appear for this machine. */
static int saba_find_by_ci(struct saba_runtime *rt, struct saba_http *h, const char *ci, char **id)
{
	struct saba_api_result r = {.retry_after = -1};
	char *esc = saba_api_escape(ci);
	char *path =
		saba_asprintf("/api/v0/hosts?customIdentifier=%s&" SABA_API_LIVE_STATUSES, esc);
	json_t *hosts, *first;
	int rc = -1;

	*id = NULL;
	saba_call_retry(rt, h, "GET", path, NULL, SABA_REGISTER_ATTEMPTS, &r);
	if (r.status != SABA_API_OK) {
		saba_err("cannot look up hosts by customIdentifier %s: %s; not registering a "
			 "new host while one may exist",
			 ci, r.message);
		goto out;
	}
	hosts = json_object_get(r.json, "hosts");
	first = json_array_get(hosts, 0);
	if (saba_answer_id(json_object_get(first, "id")) != NULL)
		*id = saba_strdup(saba_answer_id(json_object_get(first, "id")));
	else if (first != NULL)
		saba_warn("GET %s: the first host has no valid id; registering anew", path);
	else
		saba_info("no host with customIdentifier %s yet", ci);
	rc = 0;
out:
	saba_api_result_clear(&r);
	free(path);
	free(esc);
	return rc;
}

/* The meta key of the registration token (core/idfile.h).  The hourly
 * spec PUT drops it again: by then the id file names the host. */
#define SABA_TOKEN_KEY "saba-registration"

/* The host a POST carrying p's token created, looked up by p's name: OK
 * with *id (NULL: none yet), else the lookup's failure, in r. */
static int saba_find_by_token(struct saba_http *h, const struct saba_pending *p, char **id,
			      struct saba_api_result *r)
{
	char *esc = saba_api_escape(p->name);
	char *path = saba_asprintf("/api/v0/hosts?name=%s&" SABA_API_LIVE_STATUSES, esc);
	size_t i, found = 0;
	json_t *host;

	*id = NULL;
	if (saba_api_call(h, "GET", path, NULL, 0, r) != SABA_API_OK)
		goto out;
	json_array_foreach(json_object_get(r->json, "hosts"), i, host)
	{
		const char *token = json_string_value(
			json_object_get(json_object_get(host, "meta"), SABA_TOKEN_KEY));
		const char *hid = saba_answer_id(json_object_get(host, "id"));

		if (token == NULL || strcmp(token, p->token) != 0 || hid == NULL)
			continue;
		if (found++ == 0)
			*id = saba_strdup(hid);
		else
			saba_warn("host %s was also created by this registration; keeping %s. "
				  "Retire %s on Mackerel.",
				  hid, *id, hid);
	}
out:
	free(path);
	free(esc);
	return r->status;
}

/* How long after it was sent a POST whose answer never came may still
 * create its host: three times the time the agent waited for the answer.
 * Lookups by token must come up empty until then before a new POST. */
static int64_t saba_settle_ms(const struct saba_runtime *rt)
{
	return 3 * (int64_t)rt->conf->http_timeout * 1000;
}

/* POST the spec with p's token in its meta.  A failure that may hide a
 * created host (no answer, 5xx, an unreadable 2xx: "unclear") is followed
 * by lookups by token, not by another POST, until the host shows up or
 * the settle time has passed; unclear is also where a pending record
 * from an earlier run starts. */
static char *saba_create_host(struct saba_runtime *rt, struct saba_http *h, json_t *spec,
			      struct saba_pending *p, int unclear)
{
	struct saba_api_result r = {.retry_after = -1};
	const char *name = json_string_value(json_object_get(spec, "name"));
	json_t *body = json_deep_copy(spec), *meta = json_object_get(body, "meta");
	char *id = NULL, err[512];

	if (!json_is_object(meta)) {
		meta = json_object();
		json_object_set_new(body, "meta", meta);
	}
	json_object_set_new(meta, SABA_TOKEN_KEY, json_string(p->token));
	for (int i = 0; i < SABA_REGISTER_ATTEMPTS; i++) {
		int64_t wait = i > 0 ? saba_retry_delay(&r, i - 1) : 0;
		int64_t settled = p->since_ms + saba_settle_ms(rt) - saba_wall_ms();

		if (unclear && settled > 0 && settled < wait)
			wait = settled; /* look once more when it has settled */
		if (i > 0 && saba_retry_wait(rt, &r, wait, i - 1, SABA_REGISTER_ATTEMPTS))
			break;
		if (unclear) {
			if (saba_find_by_token(h, p, &id, &r) != SABA_API_OK)
				continue;
			if (id != NULL) {
				saba_notice(
					"host %s was created by an earlier request whose answer "
					"never arrived; using it",
					id);
				goto out;
			}
			/* measured again: the wait and the lookup took time */
			if (saba_wall_ms() - p->since_ms < saba_settle_ms(rt)) {
				snprintf(r.message, sizeof(r.message),
					 "no host carries this registration's token yet");
				continue;
			}
			unclear = 0;
		}
		if (saba_pending_save(rt->conf->root, p, name != NULL ? name : "", err,
				      sizeof(err)) != 0) {
			saba_err("not registering: %s", err);
			goto out;
		}
		saba_api_call(h, "POST", "/api/v0/hosts", json_incref(body), 0, &r);
		if (r.status == SABA_API_OK &&
		    saba_answer_id(json_object_get(r.json, "id")) != NULL) {
			id = saba_strdup(saba_answer_id(json_object_get(r.json, "id")));
			goto out;
		}
		if (r.status == SABA_API_OK) /* created, but which host? */
			snprintf(r.message, sizeof(r.message),
				 "POST /api/v0/hosts: the answer has no valid host id");
		else if (r.status != SABA_API_RETRY)
			break;
		unclear = r.http_status != 429;
	}
	saba_err("cannot register this host: %s", r.message);
out:
	saba_api_result_clear(&r);
	json_decref(body);
	return id;
}

/* Registration without an id file: a pending record means an earlier run
 * may have created the host already. */
static char *saba_register_new(struct saba_runtime *rt, struct saba_http *h, json_t *spec)
{
	const char *root = rt->conf->root;
	const char *ci = json_string_value(json_object_get(spec, "customIdentifier"));
	struct saba_pending p = {0};
	char *id = NULL, err[512];
	int pending;

	pending = rt->dry_run ? 1 : saba_pending_read(root, &p, err, sizeof(err));
	if (pending < 0) {
		saba_err("%s", err);
		goto out;
	}
	if (pending == 0)
		saba_notice("%s/id.pending: an earlier run was registering this machine as \"%s\"; "
			    "looking for the host it may have created",
			    root, p.name);
	if (ci != NULL && *ci != '\0' && saba_find_by_ci(rt, h, ci, &id) != 0)
		goto out;
	if (id != NULL) {
		saba_notice("adopted host %s by customIdentifier %s", id, ci);
		goto out;
	}
	if (rt->dry_run) {
		struct saba_api_result r = {.retry_after = -1};

		saba_api_call(h, "POST", "/api/v0/hosts", json_incref(spec), 0, &r);
		saba_api_result_clear(&r);
		saba_notice("dry-run: not registering; using the host id \"dry-run\"");
		id = saba_strdup("dry-run");
		goto out;
	}
	if (pending != 0 && saba_pending_new(&p, err, sizeof(err)) != 0) {
		saba_err("not registering: %s", err);
		goto out;
	}
	id = saba_create_host(rt, h, spec, &p, pending == 0);
	if (id != NULL)
		saba_notice("registered this machine as host %s", id);
out:
	saba_pending_clear(&p);
	return id;
}

int saba_register(struct saba_runtime *rt, struct saba_http *h, json_t *spec)
{
	const char *root = rt->conf->root;
	char *id = NULL, err[512];
	int rc = 1, how;

	if (!rt->dry_run)
		saba_idfile_clean_temps(root);
	how = saba_idfile_read(root, &id, err, sizeof(err));
	if (how < 0) {
		saba_err("%s", err);
		goto out;
	}
	if (how == 0) {
		if (saba_check_stored(rt, h, id, spec) != 0)
			goto out;
		saba_info("using host %s from %s/id", id, root);
	} else {
		id = saba_register_new(rt, h, spec);
		if (id == NULL)
			goto out;
		if (!rt->dry_run && saba_idfile_write(root, id, err, sizeof(err)) != 0) {
			saba_err("host %s is registered but its id cannot be saved: %s. Fix %s and "
				 "restart: the next start finds this host again.",
				 id, err, root);
			goto out;
		}
	}
	/* The id file is the record now; a stale pending one would only make
	 * a later run without it search (never create) needlessly. */
	if (!rt->dry_run && saba_pending_remove(root, err, sizeof(err)) != 0)
		saba_warn("%s", err);
	saba_runtime_set_host_id(rt, id);
	rc = 0;
out:
	free(id);
	return rc;
}

void saba_register_update_spec(struct saba_runtime *rt, struct saba_http *h, json_t *spec)
{
	struct saba_api_result r = {.retry_after = -1};
	char *path;

	pthread_mutex_lock(&rt->lock);
	path = saba_asprintf("/api/v0/hosts/%s", rt->host_id);
	pthread_mutex_unlock(&rt->lock);
	if (saba_api_call(h, "PUT", path, json_incref(spec), 0, &r) != SABA_API_OK)
		saba_err("cannot update the host spec: %s", r.message);
	saba_api_result_clear(&r);
	free(path);
}

int saba_register_status(struct saba_runtime *rt, struct saba_http *h, const char *status,
			 int attempts, int64_t deadline_ms)
{
	struct saba_api_result r = {.retry_after = -1};
	json_t *body = json_pack("{s:s}", "status", status);
	char *path;
	int rc;

	pthread_mutex_lock(&rt->lock);
	path = saba_asprintf("/api/v0/hosts/%s/status", rt->host_id);
	pthread_mutex_unlock(&rt->lock);
	if (attempts > 1)
		rc = saba_call_retry(rt, h, "POST", path, body, attempts, &r);
	else
		rc = saba_api_call(h, "POST", path, json_incref(body), deadline_ms, &r);
	if (rc != SABA_API_OK)
		saba_err("cannot set the host status to %s: %s", status, r.message);
	json_decref(body);
	saba_api_result_clear(&r);
	free(path);
	return rc == SABA_API_OK ? 0 : -1;
}
