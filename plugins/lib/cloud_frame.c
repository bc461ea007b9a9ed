/* The frame of a cloud plugin; see cloud_frame.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "cloud_frame.h"
#include "cloud_http.h"
#include "cloud_text.h"
#include "clock.h"
#include "hostcheck.h"
#include "plugconf.h"

#define SABA_CLOUD_ID_ATTEMPTS 3 /* identity lookups at start, 1 s apart */
#define SABA_CLOUD_RETRY_S     5 /* background retries without a poller */

/* ------------------------------------------------------------------ */
/* settings                                                             */

int saba_cloud_string_setting(struct saba_cloud *c, const char *key, const char **out)
{
	int rc = c->host->config_string(c->ctx, key, out);

	if (rc == SABA_NOTFOUND)
		*out = NULL;
	return rc == SABA_OK || rc == SABA_NOTFOUND ? SABA_OK : SABA_INVALID;
}

int saba_cloud_bool_setting(struct saba_cloud *c, const char *key, int *out)
{
	if (c->host->config_bool(c->ctx, key, out) != SABA_OK) {
		c->host->config_error(c->ctx, key,
				      "has no value (the agent is older than plugin ABI 1.3)");
		return SABA_INVALID;
	}
	return SABA_OK;
}

/* A URL setting, else the environment variable (a host[:port], as Google's
 * client libraries read GCE_METADATA_HOST), else def (may be NULL). */
static int saba_cloud_url_setting(struct saba_cloud *c, const char *key, const char *env,
				  const char *def, char **out)
{
	const char *v = NULL, *e = env != NULL ? getenv(env) : NULL;

	if (saba_cloud_string_setting(c, key, &v) != SABA_OK)
		return SABA_INVALID;
	*out = NULL;
	if (v == NULL && e != NULL && *e != '\0') {
		size_t n = strlen(e) + 8;

		if ((*out = malloc(n)) == NULL)
			return SABA_ERROR;
		snprintf(*out, n, "http://%s", e);
		return SABA_OK;
	}
	if (v == NULL)
		v = def;
	if (v == NULL)
		return SABA_OK;
	if (strncmp(v, "http://", 7) != 0 && strncmp(v, "https://", 8) != 0) {
		c->host->config_error(c->ctx, key, "must be an http:// or https:// URL, not \"%s\"",
				      v);
		return SABA_INVALID;
	}
	if ((*out = strdup(v)) == NULL)
		return SABA_ERROR;
	/* without a trailing slash: paths are appended */
	for (size_t n = strlen(*out); n > 0 && (*out)[n - 1] == '/'; n--)
		(*out)[n - 1] = '\0';
	return SABA_OK;
}

static int saba_cloud_scopes_setting(struct saba_cloud *c, int (*ok)(const char *))
{
	const char *key = c->ops->scopes_key;
	int n = c->host->config_count(c->ctx, key);

	if (n == SABA_NOTFOUND)
		return SABA_OK;
	if (n < 0)
		return SABA_INVALID;
	if (n == 0) {
		c->host->config_error(c->ctx, key, "must name at least one");
		return SABA_INVALID;
	}
	if ((c->scopes = calloc((size_t)n, sizeof(*c->scopes))) == NULL)
		return SABA_ERROR;
	for (int i = 0; i < n; i++) {
		const char *s = NULL;

		if (c->host->config_element(c->ctx, key, i, NULL, &s) != SABA_OK)
			return SABA_INVALID;
		if (ok != NULL && !ok(s)) {
			c->host->config_error(c->ctx, key, "\"%s\" is not a valid name", s);
			return SABA_INVALID;
		}
		if ((c->scopes[c->nscopes++] = strdup(s)) == NULL)
			return SABA_ERROR;
	}
	return SABA_OK;
}

static int saba_cloud_platform_setting(struct saba_cloud *c)
{
	const char *p = NULL;

	if (saba_cloud_string_setting(c, "cloud_platform", &p) != SABA_OK)
		return SABA_INVALID;
	/* the agent checked it against the allowed values */
	if (p == NULL || strcmp(p, "auto") == 0) {
		c->platform = SABA_CLOUD_AUTO;
	} else if (strcmp(p, c->ops->platform) == 0) {
		c->platform = SABA_CLOUD_ON;
	} else if (strcmp(p, "none") == 0) {
		c->platform = SABA_CLOUD_OFF;
	} else {
		c->host->config_error(c->ctx, "cloud_platform",
				      "must be \"auto\", \"%s\" or \"none\", not \"%s\"",
				      c->ops->platform, p);
		return SABA_INVALID;
	}
	return SABA_OK;
}

static int saba_cloud_init(struct saba_cloud *c, const struct saba_cloud_ops *ops,
			   const struct saba_host *host, saba_ctx *ctx)
{
	const char *sysfs = NULL;
	int md_s, api_s, rc;

	c->ops = ops;
	c->host = host;
	c->ctx = ctx;
	pthread_mutex_init(&c->lock, NULL);
	saba_clock_cond_init(&c->wake);
	if ((rc = saba_cloud_platform_setting(c)) != SABA_OK ||
	    (rc = saba_cloud_string_setting(c, "sysfs", &sysfs)) != SABA_OK ||
	    (rc = saba_cloud_url_setting(c, "metadata_endpoint", ops->md_env, ops->md_default,
					 &c->md_endpoint)) != SABA_OK ||
	    (rc = saba_cloud_url_setting(c, "api_endpoint", NULL, ops->api_default,
					 &c->api_endpoint)) != SABA_OK ||
	    (rc = saba_plugconf_int(host, ctx, "metadata_timeout", &md_s)) != SABA_OK ||
	    (rc = saba_plugconf_int(host, ctx, "api_timeout", &api_s)) != SABA_OK ||
	    (rc = saba_plugconf_int(host, ctx, "poll_interval", &c->poll_interval)) != SABA_OK ||
	    (rc = saba_cloud_bool_setting(c, "confirm", &c->confirm)) != SABA_OK ||
	    (rc = saba_cloud_bool_setting(c, "sweep", &c->sweep)) != SABA_OK ||
	    (rc = saba_plugconf_int(host, ctx, "sweep_interval", &c->sweep_interval)) != SABA_OK ||
	    (rc = saba_plugconf_int(host, ctx, "absent_grace", &c->absent_grace)) != SABA_OK ||
	    (rc = saba_cloud_scopes_setting(c, ops->scope_ok)) != SABA_OK)
		return rc;
	/* the agent checked sysfs and supplies its default */
	if (sysfs == NULL) {
		host->config_error(ctx, "sysfs",
				   "has no value (the agent is older than plugin ABI 1.3)");
		return SABA_INVALID;
	}
	if ((c->sysfs = strdup(sysfs)) == NULL)
		return SABA_ERROR;
	c->md_timeout_ms = md_s * 1000L;
	c->api_timeout_ms = api_s * 1000L;
	if (c->sweep && c->platform == SABA_CLOUD_OFF && c->nscopes == 0) {
		host->config_error(ctx, ops->scopes_key,
				   "is required for sweep = true with cloud_platform = \"none\"");
		return SABA_INVALID;
	}
	if (c->sweep && (!SABA_HOST_HAS(host, api_request) || !SABA_HOST_HAS(host, retire_host))) {
		host->config_error(ctx, "sweep", "needs an agent with plugin ABI 1.2 or later");
		return SABA_INVALID;
	}
	return SABA_OK;
}

void saba_cloud_destroy(void *instance)
{
	struct saba_cloud *c = instance;

	if (c == NULL)
		return;
	if (c->ops->teardown != NULL)
		c->ops->teardown(c);
	for (int i = 0; i < c->nscopes; i++)
		free(c->scopes[i]);
	free(c->scopes);
	free(c->md_endpoint);
	free(c->api_endpoint);
	free(c->sysfs);
	free(c->cloud_json);
	free(c->verified_host);
	pthread_cond_destroy(&c->wake);
	pthread_mutex_destroy(&c->lock);
	free(c);
}

int saba_cloud_create(const struct saba_cloud_ops *ops, const struct saba_host *host, saba_ctx *ctx,
		      void **instance)
{
	struct saba_cloud *c = calloc(1, ops->size);
	int rc;

	if (c == NULL) {
		host->log(ctx, SABA_LOG_ERR, "out of memory");
		return SABA_ERROR;
	}
	rc = saba_cloud_init(c, ops, host, ctx);
	if (rc == SABA_OK && ops->setup != NULL)
		rc = ops->setup(c);
	if (rc != SABA_OK) {
		if (rc == SABA_ERROR)
			host->log(ctx, SABA_LOG_ERR, "out of memory");
		saba_cloud_destroy(c);
		return rc;
	}
	*instance = c;
	return SABA_OK;
}

/* ------------------------------------------------------------------ */
/* identity                                                             */

int saba_cloud_dmi_read(const char *sysfs, const char *file, char *buf, size_t len)
{
	char path[512];
	FILE *f;
	int rc = 0;

	snprintf(path, sizeof(path), "%s/devices/virtual/dmi/id/%s", sysfs, file);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	if (fgets(buf, (int)len, f) == NULL)
		rc = -1;
	else
		buf[saba_cloud_chomp(buf, strlen(buf))] = '\0';
	fclose(f);
	return rc;
}

/* Where this machine is, from the setting, DMI, then the metadata service. */
static int saba_cloud_where(struct saba_cloud *c, char *why, size_t len)
{
	char evidence[256] = "";
	int dmi, p;

	if (c->platform == SABA_CLOUD_OFF) {
		snprintf(why, len, "cloud_platform is \"none\"");
		return SABA_CLOUD_ELSEWHERE;
	}
	if (c->platform == SABA_CLOUD_ON)
		return SABA_CLOUD_HERE;
	dmi = c->ops->dmi(c->sysfs, evidence, sizeof(evidence));
	if (dmi == SABA_CLOUD_DMI_YES)
		return SABA_CLOUD_HERE;
	if (dmi == SABA_CLOUD_DMI_NO) {
		snprintf(why, len, "not %s: %.200s", c->ops->name, evidence);
		return SABA_CLOUD_ELSEWHERE;
	}
	p = c->ops->probe(c, why, len);
	if (p < 0) {
		size_t n = strlen(why);

		snprintf(why + n, len - n, " (%.100s): cannot tell whether this is %s", evidence,
			 c->ops->name);
	}
	return p > 0 ? SABA_CLOUD_HERE : p == 0 ? SABA_CLOUD_ELSEWHERE : SABA_CLOUD_UNDECIDED;
}

int saba_cloud_identify(struct saba_cloud *c, char *why, size_t len)
{
	int where, known;

	pthread_mutex_lock(&c->lock);
	where = c->where;
	known = c->known;
	pthread_mutex_unlock(&c->lock);
	if (where == SABA_CLOUD_ELSEWHERE || (where == SABA_CLOUD_HERE && known))
		return where;
	if (where == SABA_CLOUD_UNDECIDED) {
		where = saba_cloud_where(c, why, len);
		pthread_mutex_lock(&c->lock);
		if (c->where == SABA_CLOUD_UNDECIDED && where != SABA_CLOUD_UNDECIDED) {
			c->where = where;
			if (where == SABA_CLOUD_HERE)
				c->host->log(c->ctx, SABA_LOG_INFO, "this machine is on %s",
					     c->ops->name);
			else
				c->host->log(c->ctx, SABA_LOG_INFO, "%s", why);
		}
		pthread_mutex_unlock(&c->lock);
		if (where != SABA_CLOUD_HERE)
			return where;
	}
	if (c->ops->learn(c, why, len) == 0) {
		pthread_mutex_lock(&c->lock);
		c->known = 1;
		pthread_mutex_unlock(&c->lock);
	}
	return SABA_CLOUD_HERE;
}

int saba_cloud_host_spec(void *instance)
{
	struct saba_cloud *c = instance;
	char why[256] = "", ci[128], json[160], *cloud;
	int where = SABA_CLOUD_UNDECIDED, known = 0, attempts;

	if (c->platform == SABA_CLOUD_OFF)
		return SABA_OK;
	/* The first lookup decides adoption by customIdentifier: give a slow
	 * metadata service a few chances, as mackerel-agent does. */
	attempts = c->spec_calls++ == 0 ? SABA_CLOUD_ID_ATTEMPTS : 1;
	for (int i = 0; i < attempts; i++) {
		where = saba_cloud_identify(c, why, sizeof(why));
		pthread_mutex_lock(&c->lock);
		known = c->known;
		pthread_mutex_unlock(&c->lock);
		if (where == SABA_CLOUD_ELSEWHERE || known)
			break;
		if (i + 1 < attempts)
			nanosleep(&(struct timespec){.tv_sec = 1}, NULL);
	}
	if (where == SABA_CLOUD_ELSEWHERE)
		return SABA_OK;
	if (!known || c->ops->custom_identifier(c, ci, sizeof(ci)) != 0) {
		c->host->log(c->ctx, SABA_LOG_WARNING,
			     "no %s identity for the host spec (no customIdentifier): %s",
			     c->ops->name, why);
		return SABA_OK;
	}
	snprintf(json, sizeof(json), "\"%s\"", ci);
	c->host->spec_set(c->ctx, "customIdentifier", json);
	cloud = c->ops->meta(c, why, sizeof(why));
	pthread_mutex_lock(&c->lock);
	if (cloud != NULL) {
		free(c->cloud_json);
		c->cloud_json = cloud;
	} else if (c->cloud_json != NULL) {
		c->host->log(c->ctx, SABA_LOG_WARNING,
			     "meta.cloud: %s; sending the last complete answer", why);
	} else {
		c->host->log(c->ctx, SABA_LOG_WARNING, "no meta.cloud: %s", why);
	}
	if (c->cloud_json != NULL)
		c->host->spec_set(c->ctx, "meta.cloud", c->cloud_json);
	pthread_mutex_unlock(&c->lock);
	return SABA_OK;
}

/* ------------------------------------------------------------------ */
/* the Mackerel host                                                    */

/* The api_request() sink: the answer, up to 1 MiB. */
static int saba_cloud_collect(void *arg, const char *data, size_t len)
{
	return saba_cloud_buf_append(arg, data, len, 1024 * 1024) != 0;
}

int saba_cloud_check_host(struct saba_cloud *c, char *evidence, size_t len)
{
	struct saba_cloud_buf body = {0};
	char host_id[128], path[200], ci[128], err[256] = "";
	long status;
	int ok;

	if (c->host->host_id(c->ctx, host_id, sizeof(host_id)) != SABA_OK) {
		snprintf(evidence, len, "this agent has no host id");
		return -1;
	}
	if (c->ops->custom_identifier(c, ci, sizeof(ci)) != 0) {
		snprintf(evidence, len, "no customIdentifier for this machine");
		return 0;
	}
	if (c->host->dry_run(c->ctx)) {
		snprintf(evidence, len, "dry-run: customIdentifier of host %s not checked",
			 host_id);
		return 1;
	}
	if (!SABA_HOST_HAS(c->host, api_request)) {
		snprintf(evidence, len, "the agent cannot query its host (plugin ABI < 1.2)");
		return 0;
	}
	snprintf(path, sizeof(path), "/api/v0/hosts/%s", host_id);
	status = c->host->api_request(c->ctx, "GET", path, NULL, saba_cloud_collect, &body, err,
				      sizeof(err));
	ok = saba_host_matches(status, body.data, body.len, ci, evidence, len);
	pthread_mutex_lock(&c->lock);
	if (status == 200 || (status >= 400 && status < 500 && status != 429)) {
		/* A definitive answer replaces what an earlier check found. */
		free(c->verified_host);
		c->verified_host = ok ? strdup(host_id) : NULL;
	} else if (status >= 0) {
		ok = -1; /* 5xx, 429: ask again later */
	} else if (c->verified_host != NULL && strcmp(c->verified_host, host_id) == 0) {
		snprintf(evidence, len,
			 "host %.40s had customIdentifier %.60s when checked earlier (%.100s)",
			 host_id, ci, err);
		ok = 1;
	} else {
		snprintf(evidence, len, "cannot check host %.40s: %.160s", host_id, err);
		ok = -1;
	}
	pthread_mutex_unlock(&c->lock);
	free(body.data);
	return ok;
}

/* ------------------------------------------------------------------ */
/* the poller                                                           */

/* Log a poll outcome only when it changes. */
static void saba_cloud_note(struct saba_cloud *c, int level, const char *what)
{
	if (strcmp(c->last_poll, what) == 0)
		return;
	snprintf(c->last_poll, sizeof(c->last_poll), "%s", what);
	c->host->log(c->ctx, level, "%s", what);
}

static void saba_cloud_poll(struct saba_cloud *c)
{
	char evidence[256] = "", why[256] = "", note[600];
	struct saba_retire_request req = {sizeof(req), SABA_STOP_TERMINATE, evidence};
	int rc = c->ops->poll(c, evidence, sizeof(evidence));

	if (rc != SABA_CLOUD_POLL_GOING) {
		saba_cloud_note(c, rc == SABA_CLOUD_POLL_NOTE ? SABA_LOG_INFO : SABA_LOG_DEBUG,
				evidence);
		return;
	}
	if (saba_cloud_check_host(c, why, sizeof(why)) <= 0) {
		snprintf(note, sizeof(note), "%s, but not retiring: %s", evidence, why);
		saba_cloud_note(c, SABA_LOG_WARNING, note);
		return;
	}
	c->host->log(c->ctx, SABA_LOG_NOTICE, "%s (%s): asking to retire this host", evidence, why);
	rc = c->host->retire(c->ctx, &req);
	pthread_mutex_lock(&c->lock);
	c->retire_final = rc != SABA_RETIRE_DECLINED;
	pthread_mutex_unlock(&c->lock);
	if (c->ops->retired != NULL)
		c->ops->retired(c, rc);
}

static void saba_cloud_start_sweeper(struct saba_cloud *c, const char *own)
{
	const char *one[1] = {own};
	struct saba_cloud_sweep_config cfg = {
		.host = c->host,
		.ctx = c->ctx,
		.cloud = &c->sweep_cloud,
		.scopes = c->nscopes > 0 ? (const char *const *)c->scopes : one,
		.nscopes = c->nscopes > 0 ? c->nscopes : 1,
		.interval_s = c->sweep_interval,
		.absent_grace_s = c->absent_grace,
	};
	struct saba_cloud_sweep *s;

	c->sweep_tried = 1; /* one attempt: a failure is a configuration error */
	c->sweep_cloud = *c->ops->sweep_cloud;
	c->sweep_cloud.arg = c;
	s = saba_cloud_sweep_new(&cfg);
	if (s == NULL || saba_cloud_sweep_start(s) != SABA_OK) {
		c->host->log(c->ctx, SABA_LOG_ERR, "the fleet sweeper could not start");
		saba_cloud_sweep_free(s);
		s = NULL;
	}
	pthread_mutex_lock(&c->lock);
	c->sweeper = s;
	pthread_mutex_unlock(&c->lock);
}

/* Wait until quit or ms passed; returns quit. */
static int saba_cloud_wait(struct saba_cloud *c, int64_t ms)
{
	struct timespec ts;
	int quit;

	saba_clock_cond_deadline(ms, &ts);
	pthread_mutex_lock(&c->lock);
	while (!c->quit)
		if (pthread_cond_timedwait(&c->wake, &c->lock, &ts) != 0)
			break;
	quit = c->quit;
	pthread_mutex_unlock(&c->lock);
	return quit;
}

static void *saba_cloud_main(void *arg)
{
	struct saba_cloud *c = arg;
	int checked = -1; /* the start check: -1 until the API answered */

	for (;;) {
		char why[256] = "", *own = NULL;
		int where = saba_cloud_identify(c, why, sizeof(why)), known, final, pending;

		pthread_mutex_lock(&c->lock);
		known = c->known;
		final = c->retire_final;
		pthread_mutex_unlock(&c->lock);
		if (known && checked < 0 && c->confirm) {
			/* Once at start: a later check that cannot reach the
			 * API (the agent stopping) can rely on this one. */
			checked = saba_cloud_check_host(c, why, sizeof(why));
			if (checked >= 0)
				c->host->log(c->ctx, checked ? SABA_LOG_INFO : SABA_LOG_WARNING,
					     "customIdentifier check: %s", why);
		}
		if (c->sweep && !c->sweep_tried && known && (own = c->ops->own_scope(c)) != NULL)
			saba_cloud_start_sweeper(c, own);
		free(own);
		if (known && c->poll_interval > 0 && !final)
			saba_cloud_poll(c);
		pending = where == SABA_CLOUD_UNDECIDED ||
			  (where == SABA_CLOUD_HERE && (!known || (c->confirm && checked < 0) ||
							(c->sweep && !c->sweep_tried)));
		if (where == SABA_CLOUD_HERE && known && c->poll_interval > 0 && !final) {
			if (saba_cloud_wait(c, c->poll_interval * 1000LL))
				break;
		} else if (pending) {
			if (saba_cloud_wait(c, SABA_CLOUD_RETRY_S * 1000LL))
				break;
		} else {
			break;
		}
	}
	return NULL;
}

int saba_cloud_start(void *instance)
{
	struct saba_cloud *c = instance;

	if (c->sweep && c->nscopes > 0) /* no need to wait for the metadata service */
		saba_cloud_start_sweeper(c, NULL);
	if (c->platform == SABA_CLOUD_OFF)
		return SABA_OK;
	c->quit = 0;
	__atomic_store_n(&c->aborted, 0, __ATOMIC_RELAXED);
	if (pthread_create(&c->thread, NULL, saba_cloud_main, c) != 0) {
		c->host->log(c->ctx, SABA_LOG_ERR, "cannot start the %s poller", c->ops->name);
		return SABA_ERROR;
	}
	c->has_thread = 1;
	return SABA_OK;
}

void saba_cloud_stop(void *instance)
{
	struct saba_cloud *c = instance;
	struct saba_cloud_sweep *s;

	pthread_mutex_lock(&c->lock);
	c->quit = 1;
	pthread_cond_broadcast(&c->wake);
	pthread_mutex_unlock(&c->lock);
	/* Requests in flight end now; a retire in flight is bounded by the
	 * core's retire.timeout. */
	__atomic_store_n(&c->aborted, 1, __ATOMIC_RELAXED);
	if (c->has_thread) {
		pthread_join(c->thread, NULL);
		c->has_thread = 0;
	}
	/* Only now: the thread may have started the sweeper until it ended. */
	pthread_mutex_lock(&c->lock);
	s = c->sweeper;
	c->sweeper = NULL;
	pthread_mutex_unlock(&c->lock);
	saba_cloud_sweep_free(s); /* stops it first */
}

/* ------------------------------------------------------------------ */
/* confirmation                                                         */

/* Stop kinds whose retirement the cloud must confirm: the OS powering off
 * (a cloud stop looks the same from inside). */
static int saba_cloud_needs_state(int kind)
{
	return kind == SABA_STOP_POWEROFF || kind == SABA_STOP_HALT || kind == SABA_STOP_SHUTDOWN;
}

int saba_cloud_confirm(void *instance, const struct saba_retire_request *req, char *evidence,
		       size_t len)
{
	struct saba_cloud *c = instance;
	char why[256] = "";
	int64_t deadline, budget_ms;
	int answer = SABA_CONFIRM_NO, where, known, ok;
	size_t used;

	if (c->platform == SABA_CLOUD_OFF || !c->confirm)
		return SABA_CONFIRM_NOT_APPLICABLE;
	where = saba_cloud_identify(c, why, sizeof(why));
	if (where == SABA_CLOUD_ELSEWHERE) {
		snprintf(evidence, len, "%s", why);
		return SABA_CONFIRM_NOT_APPLICABLE;
	}
	pthread_mutex_lock(&c->lock);
	known = c->known;
	pthread_mutex_unlock(&c->lock);
	if (where == SABA_CLOUD_UNDECIDED || !known) {
		snprintf(evidence, len, "this machine's %s identity is unknown: %s", c->ops->name,
			 why);
		goto out;
	}
	if (req == NULL || !saba_cloud_needs_state(req->kind)) {
		snprintf(evidence, len, "a %s VM keeps running through this kind of stop",
			 c->ops->name);
		goto out;
	}
	/* Leave at least half of the shutdown budget to the retire call. */
	budget_ms = c->host->shutdown_budget(c->ctx) * 1000LL / 2;
	deadline = 2 * c->api_timeout_ms;
	if (budget_ms > 0 && budget_ms < deadline)
		deadline = budget_ms;
	answer = c->ops->confirm(c, saba_clock_ms() + deadline, evidence, len);
	if (answer != SABA_CONFIRM_YES)
		goto out;
	ok = saba_cloud_check_host(c, why, sizeof(why)) > 0;
	used = strlen(evidence);
	snprintf(evidence + used, len - used, "%s%s", ok ? "; " : ", but ", why);
	if (!ok)
		answer = SABA_CONFIRM_NO;
out:
	c->host->log(c->ctx, SABA_LOG_NOTICE, "confirm %s: %s",
		     answer == SABA_CONFIRM_YES ? "yes" : "no", evidence);
	return answer;
}
