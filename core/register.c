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

/* One API call retried on network errors, 5xx and 429.  Returns the final
 * status; r holds the last answer. */
static int saba_call_retry(struct saba_runtime *rt, struct saba_http *h, const char *method,
			   const char *path, json_t *body, int attempts, struct saba_api_result *r)
{
	for (int i = 0;; i++) {
		int64_t wait;

		saba_api_call(h, method, path, body != NULL ? json_incref(body) : NULL, 0, r);
		if (r->status != SABA_API_RETRY || i + 1 >= attempts)
			return r->status;
		wait = r->retry_after >= 0 ? r->retry_after * 1000
					   : saba_backoff_ms(i, 1000, 30000);
		saba_warn("%s; retrying in %.1f s (attempt %d of %d)", r->message,
			  (double)wait / 1000, i + 1, attempts);
		if (saba_runtime_wait(rt, wait)) {
			snprintf(r->message, sizeof(r->message), "%s %s: interrupted by stop",
				 method, path);
			return r->status;
		}
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
	char *path = saba_asprintf("/api/v0/hosts?customIdentifier=%s&status=working&"
				   "status=standby&status=maintenance&status=poweroff",
				   esc);
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

static char *saba_create_host(struct saba_runtime *rt, struct saba_http *h, json_t *spec)
{
	struct saba_api_result r = {.retry_after = -1};
	char *id = NULL;

	saba_call_retry(rt, h, "POST", "/api/v0/hosts", spec, SABA_REGISTER_ATTEMPTS, &r);
	if (r.status != SABA_API_OK) {
		saba_err("cannot register this host: %s", r.message);
		goto out;
	}
	if (rt->dry_run) {
		id = saba_strdup("dry-run");
		goto out;
	}
	if (saba_answer_id(json_object_get(r.json, "id")) == NULL) {
		saba_err("POST /api/v0/hosts: the answer has no valid host id");
		goto out;
	}
	id = saba_strdup(saba_answer_id(json_object_get(r.json, "id")));
out:
	saba_api_result_clear(&r);
	return id;
}

int saba_register(struct saba_runtime *rt, struct saba_http *h, json_t *spec)
{
	const char *root = rt->conf->root;
	const char *ci = json_string_value(json_object_get(spec, "customIdentifier"));
	char *id = NULL, err[512];
	int rc = 1, how;

	how = saba_idfile_read(root, &id, err, sizeof(err));
	if (how < 0) {
		saba_err("%s", err);
		goto out;
	}
	if (how == 0) {
		if (saba_check_stored(rt, h, id, spec) != 0)
			goto out;
		saba_info("using host %s from %s/id", id, root);
		saba_runtime_set_host_id(rt, id);
		rc = 0;
		goto out;
	}
	if (ci != NULL && *ci != '\0' && saba_find_by_ci(rt, h, ci, &id) != 0)
		goto out;
	if (id != NULL) {
		saba_notice("adopted host %s by customIdentifier %s", id, ci);
	} else {
		id = saba_create_host(rt, h, spec);
		if (id == NULL)
			goto out;
		if (rt->dry_run)
			saba_notice("dry-run: not registering; using the host id \"%s\"", id);
		else
			saba_notice("registered this machine as host %s", id);
	}
	if (!rt->dry_run && saba_idfile_write(root, id, err, sizeof(err)) != 0) {
		saba_err("host %s is registered but its id cannot be saved: %s. Fix %s and "
			 "write the id there, or the next start registers another host.",
			 id, err, root);
		goto out;
	}
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
