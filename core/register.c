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
		/* libcurl refusing the URL says so every time: no retries */
		if (r->status != SABA_API_RETRY || r->permanent || i + 1 >= attempts)
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

	return saba_host_id_valid(id) ? id : NULL;
}

/* Where the registration token goes (enum saba_token): meta under this
 * key, or the customIdentifier, as this prefix and the token. */
#define SABA_TOKEN_KEY	     "saba-registration"
#define SABA_TOKEN_CI_PREFIX "saba-registration-"

/* A registration token carried as customIdentifier (by any saba-agent). */
static int saba_is_token_ci(const char *ci)
{
	size_t n = strlen(SABA_TOKEN_CI_PREFIX);

	return ci != NULL && strncmp(ci, SABA_TOKEN_CI_PREFIX, n) == 0 && strlen(ci + n) == 32 &&
	       strspn(ci + n, "0123456789abcdef") == 32;
}

static void saba_set_clear_token(struct saba_runtime *rt, int on)
{
	pthread_mutex_lock(&rt->lock);
	rt->clear_token_ci = on;
	pthread_mutex_unlock(&rt->lock);
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
	if (saba_is_token_ci(theirs)) {
		/* The spec PUT after its registration never came: it comes now. */
		saba_info("host %s still carries its registration token as customIdentifier; "
			  "the spec update replaces it",
			  id);
		saba_set_clear_token(rt, 1);
	} else if (theirs != NULL && *theirs != '\0' &&
		   (ours == NULL || strcmp(theirs, ours) != 0)) {
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

/* Where the next POST carries p's token, into p->via and p->ci.  A
 * customIdentifier a plugin contributes (a cloud's) always wins: it is the
 * key then, and no token is needed.  Once the API refused the token:
 * nowhere. */
static void saba_choose_via(struct saba_runtime *rt, json_t *spec, struct saba_pending *p)
{
	const char *ci = json_string_value(json_object_get(spec, "customIdentifier"));
	int mode = rt->token_refused ? SABA_TOKEN_NONE : rt->conf->registration_token;

	free(p->ci);
	p->ci = NULL;
	if (ci != NULL && *ci != '\0') {
		p->via = SABA_VIA_CUSTOM_IDENTIFIER;
		p->ci = saba_strdup(ci);
	} else if (mode == SABA_TOKEN_META) {
		p->via = SABA_VIA_META;
	} else if (mode == SABA_TOKEN_CUSTOM_IDENTIFIER) {
		p->via = SABA_VIA_CUSTOM_IDENTIFIER;
		p->ci = saba_asprintf(SABA_TOKEN_CI_PREFIX "%s", p->token);
	} else {
		p->via = SABA_VIA_NONE;
	}
}

static int saba_carries_token(const struct saba_pending *p)
{
	return p->via == SABA_VIA_META ||
	       (p->via == SABA_VIA_CUSTOM_IDENTIFIER && saba_is_token_ci(p->ci));
}

/* The spec with the token (or the key) where p says. */
static json_t *saba_post_body(json_t *spec, const struct saba_pending *p)
{
	json_t *body = json_deep_copy(spec), *meta = json_object_get(body, "meta");

	if (p->via == SABA_VIA_CUSTOM_IDENTIFIER) {
		json_object_set_new(body, "customIdentifier", json_string(p->ci));
	} else if (p->via == SABA_VIA_META) {
		if (!json_is_object(meta)) {
			meta = json_object();
			json_object_set_new(body, "meta", meta);
		}
		json_object_set_new(meta, SABA_TOKEN_KEY, json_string(p->token));
	}
	return body;
}

/* Does this host of a lookup carry p's token (or key)? */
static int saba_created_by(json_t *host, const struct saba_pending *p)
{
	const char *v, *want = p->token;

	if (p->via == SABA_VIA_CUSTOM_IDENTIFIER) {
		v = json_string_value(json_object_get(host, "customIdentifier"));
		want = p->ci;
	} else {
		v = json_string_value(
			json_object_get(json_object_get(host, "meta"), SABA_TOKEN_KEY));
	}
	return v != NULL && strcmp(v, want) == 0;
}

/* The host a POST described by p created: looked up by its
 * customIdentifier, or by name for a token in meta.  OK with *id (NULL:
 * none yet), else the lookup's failure, in r. */
static int saba_find_created(struct saba_http *h, const struct saba_pending *p, char **id,
			     struct saba_api_result *r)
{
	int by_ci = p->via == SABA_VIA_CUSTOM_IDENTIFIER;
	char *esc = saba_api_escape(by_ci ? p->ci : p->name);
	char *path = saba_asprintf("/api/v0/hosts?%s=%s&" SABA_API_LIVE_STATUSES,
				   by_ci ? "customIdentifier" : "name", esc);
	size_t i, found = 0;
	json_t *host;

	*id = NULL;
	if (saba_api_call(h, "GET", path, NULL, 0, r) != SABA_API_OK)
		goto out;
	json_array_foreach(json_object_get(r->json, "hosts"), i, host)
	{
		const char *hid = saba_answer_id(json_object_get(host, "id"));

		if (!saba_created_by(host, p) || hid == NULL)
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
 * Lookups must come up empty until then before a new POST. */
static int64_t saba_settle_ms(const struct saba_runtime *rt)
{
	return 3 * (int64_t)rt->conf->http_timeout * 1000;
}

/* Save the record, then POST the spec with the token where it says.
 * -1 when the record cannot be saved (logged): no POST then. */
static int saba_post_host(struct saba_runtime *rt, struct saba_http *h, json_t *spec,
			  struct saba_pending *p, struct saba_api_result *r)
{
	const char *name = json_string_value(json_object_get(spec, "name"));
	char err[512];

	saba_choose_via(rt, spec, p);
	if (saba_pending_save(rt->conf->root, p, name != NULL ? name : "", err, sizeof(err)) != 0) {
		saba_err("not registering: %s", err);
		return -1;
	}
	saba_api_call(h, "POST", "/api/v0/hosts", saba_post_body(spec, p), 0, r);
	return 0;
}

/* A 400 to a POST carrying the token: the API may refuse a customIdentifier
 * or meta key it does not like.  Nothing was created, so the same POST
 * without the token is sent at once, as mackerel-agent's would be, and no
 * later POST of this process carries it. */
static int saba_post_without_token(struct saba_runtime *rt, struct saba_http *h, json_t *spec,
				   struct saba_pending *p, struct saba_api_result *r)
{
	if (r->http_status != 400 || !saba_carries_token(p) || rt->token_refused)
		return 0;
	saba_warn("%s with the registration token in %s; registering without it, as "
		  "mackerel-agent does (a lost answer cannot be told from no host then)",
		  r->message, p->via == SABA_VIA_META ? "meta" : "customIdentifier");
	rt->token_refused = 1;
	return saba_post_host(rt, h, spec, p, r);
}

/* POST the spec with p's token.  A failure that may hide a created host
 * (no answer, 5xx, an unreadable 2xx: "unclear") is followed by lookups,
 * not by another POST, until the host shows up or the settle time has
 * passed; unclear is also where a pending record from an earlier run
 * starts.  Without a token there is nothing to look for: a POST again,
 * as mackerel-agent does. */
static char *saba_create_host(struct saba_runtime *rt, struct saba_http *h, json_t *spec,
			      struct saba_pending *p, int unclear)
{
	struct saba_api_result r = {.retry_after = -1};
	char *id = NULL;

	for (int i = 0; i < SABA_REGISTER_ATTEMPTS; i++) {
		int64_t wait = i > 0 ? saba_retry_delay(&r, i - 1) : 0;
		int64_t settled = p->since_ms + saba_settle_ms(rt) - saba_wall_ms();

		if (p->via == SABA_VIA_NONE)
			unclear = 0;
		if (unclear && settled > 0 && settled < wait)
			wait = settled; /* look once more when it has settled */
		if (i > 0 && saba_retry_wait(rt, &r, wait, i - 1, SABA_REGISTER_ATTEMPTS))
			break;
		if (unclear) {
			if (saba_find_created(h, p, &id, &r) != SABA_API_OK) {
				if (r.permanent)
					break;
				continue;
			}
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
		if (saba_post_host(rt, h, spec, p, &r) != 0 ||
		    saba_post_without_token(rt, h, spec, p, &r) != 0)
			goto out;
		if (r.status == SABA_API_OK &&
		    saba_answer_id(json_object_get(r.json, "id")) != NULL) {
			id = saba_strdup(saba_answer_id(json_object_get(r.json, "id")));
			goto out;
		}
		if (r.status == SABA_API_OK) /* created, but which host? */
			snprintf(r.message, sizeof(r.message),
				 "POST /api/v0/hosts: the answer has no valid host id");
		else if (r.status != SABA_API_RETRY || r.permanent)
			break;
		unclear = r.http_status != 429;
	}
	saba_err("cannot register this host: %s", r.message);
out:
	/* The token is the host's customIdentifier until the spec PUT. */
	if (id != NULL && p->via == SABA_VIA_CUSTOM_IDENTIFIER && saba_is_token_ci(p->ci))
		saba_set_clear_token(rt, 1);
	saba_api_result_clear(&r);
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

	json_t *body = json_incref(spec);
	const char *ci = json_string_value(json_object_get(spec, "customIdentifier"));
	char *path;
	int clear;

	pthread_mutex_lock(&rt->lock);
	path = saba_asprintf("/api/v0/hosts/%s", rt->host_id);
	clear = rt->clear_token_ci;
	pthread_mutex_unlock(&rt->lock);
	if (clear && (ci == NULL || *ci == '\0')) {
		/* "" on PUT sets it to null (the API documents it) */
		json_decref(body);
		body = json_deep_copy(spec);
		json_object_set_new(body, "customIdentifier", json_string(""));
	}
	if (saba_api_call(h, "PUT", path, body, 0, &r) != SABA_API_OK)
		saba_err("cannot update the host spec: %s", r.message);
	else if (clear)
		saba_set_clear_token(rt, 0);
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
