#include "config.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "conf.h"
#include "crash.h"
#include "http.h"
#include "idfile.h"
#include "instance.h"
#include "log.h"
#include "notify.h"
#include "queue.h"
#include "retire.h"
#include "util.h"

/* Where the once-only routine is (not a result: those are the ABI's
 * enum saba_retire_result). */
enum saba_routine_state { SABA_ROUTINE_IDLE, SABA_ROUTINE_RUNNING, SABA_ROUTINE_FINAL };

/* The package's prerm creates this file before it stops the agent for a
 * removal and deletes it afterwards: that stop is not the machine going
 * away, even when a trigger's retire_on lists "stop".  A leftover (a
 * failed removal) counts only this long; /run is emptied at boot. */
#ifndef _WIN32
#define SABA_REMOVAL_MARKER "/run/saba-agent.removing"
#else
#define SABA_REMOVAL_MARKER NULL
#endif
#define SABA_REMOVAL_MARKER_MAX_AGE 300

struct saba_retire {
	pthread_mutex_t lock;
	pthread_cond_t done;
	int state;  /* enum saba_routine_state */
	int result; /* enum saba_retire_result, valid in SABA_ROUTINE_FINAL */
	saba_retire_send_fn send;
	void *send_arg;
	const char *removal_marker; /* NULL: none */
};

const char *saba_retire_result_name(int result)
{
	switch (result) {
	case SABA_RETIRE_DONE:
		return "retired";
	case SABA_RETIRE_DECLINED:
		return "declined";
	case SABA_RETIRE_DRY_RUN:
		return "dry-run";
	default:
		return "failed";
	}
}

/* The real sender: POST /api/v0/hosts/<id>/retire with {}. */
static int saba_retire_send_api(void *arg, struct saba_runtime *rt, const char *host_id,
				int64_t deadline_ms, struct saba_api_result *r)
{
	struct saba_http *h = saba_runtime_http(rt);
	char *path = saba_asprintf("/api/v0/hosts/%s/retire", host_id);
	int rc;

	if (h == NULL) {
		snprintf(r->message, sizeof(r->message), "cannot set up HTTP");
		r->status = SABA_API_RETRY;
		free(path);
		return r->status;
	}
	rc = saba_api_call(h, "POST", path, json_object(), deadline_ms, r);
	saba_http_free(h);
	free(path);
	return rc;
}

struct saba_retire *saba_retire_new(void)
{
	struct saba_retire *r = saba_calloc(1, sizeof(*r));

	pthread_mutex_init(&r->lock, NULL);
	pthread_cond_init(&r->done, NULL);
	r->send = saba_retire_send_api;
	r->removal_marker = SABA_REMOVAL_MARKER;
	return r;
}

void saba_retire_free(struct saba_retire *r)
{
	if (r == NULL)
		return;
	pthread_mutex_destroy(&r->lock);
	pthread_cond_destroy(&r->done);
	free(r);
}

void saba_retire_set_sender(struct saba_retire *r, saba_retire_send_fn fn, void *arg)
{
	r->send = fn;
	r->send_arg = arg;
}

void saba_retire_set_removal_marker(struct saba_retire *r, const char *path)
{
	r->removal_marker = path;
}

/* Is the package being removed?  Seconds since the marker was made, or -1.
 * A marker from the future (the clock stepped back) counts too: on doubt,
 * do not retire. */
static long long saba_removal_age(const struct saba_retire *r)
{
	struct stat st;
	long long age;

	if (r->removal_marker == NULL || stat(r->removal_marker, &st) != 0)
		return -1;
	age = (long long)time(NULL) - (long long)st.st_mtime;
	if (age > SABA_REMOVAL_MARKER_MAX_AGE)
		return -1;
	return age < 0 ? 0 : age;
}

/* Kinds that come from the OS alone: an EC2 stop powers the OS off just
 * like a terminate, so these need the cloud's word when a cloud plugin is
 * loaded (or always, with retire.confirm = "always"). */
static int saba_needs_confirmation(int kind)
{
	return kind != SABA_STOP_MANUAL && kind != SABA_STOP_TERMINATE;
}

/* Ask every instance that can confirm.  Returns 1 to go ahead. */
static int saba_confirm(struct saba_runtime *rt, const struct saba_conf *c, const char *who,
			const struct saba_retire_request *req)
{
	int policy = c->retire_confirm, yes = 0;
	struct saba_instances *set = rt->instances;

	if (policy == SABA_POLICY_CONFIRM_NEVER || !saba_needs_confirmation(req->kind))
		return 1;
	for (int i = 0; set != NULL && i < set->n; i++) {
		struct saba_ctx *ctx = set->v[i];
		char evidence[512] = "";
		struct saba_crash_frame cf;
		int answer;

		if (ctx->mod->desc.confirm_retire == NULL)
			continue;
		saba_crash_enter(&cf, ctx->label, "confirm_retire");
		answer = ctx->mod->desc.confirm_retire(ctx->state, req, evidence, sizeof(evidence));
		saba_crash_leave(&cf);
		if (answer == SABA_CONFIRM_NOT_APPLICABLE)
			continue;
		if (answer != SABA_CONFIRM_YES) {
			saba_notice("retire requested by %s (%s) declined: %s does not confirm: %s",
				    who, saba_stop_kind_name(req->kind), ctx->label,
				    evidence[0] ? evidence : "no evidence given");
			return 0;
		}
		saba_info("retire requested by %s confirmed by %s: %s", who, ctx->label, evidence);
		yes++;
	}
	if (policy == SABA_POLICY_CONFIRM_ALWAYS && yes == 0) {
		saba_notice("retire requested by %s (%s) declined: retire.confirm = \"always\" and "
			    "no plugin confirmed",
			    who, saba_stop_kind_name(req->kind));
		return 0;
	}
	return 1;
}

static const char *saba_reason(const struct saba_retire_request *req)
{
	return req->reason != NULL && *req->reason != '\0' ? req->reason : "no reason given";
}

static void saba_sleep_ms(int64_t ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000};

	while (ms > 0 && nanosleep(&ts, &ts) != 0)
		;
}

/* Send until success, a refusal or the deadline.  Returns DONE (retired
 * or already gone), FAILED or DRY_RUN. */
static int saba_retire_attempts(struct saba_retire *r, struct saba_runtime *rt,
				const struct saba_conf *c, const char *who, const char *host_id,
				const struct saba_retire_request *req)
{
	int64_t deadline = saba_now_ms() + (int64_t)c->retire_timeout * 1000;
	struct saba_api_result res = {.retry_after = -1};
	int attempt = 0, result = SABA_RETIRE_FAILED;

	saba_notify_extend((uint64_t)c->retire_timeout * 1000000u + 5000000u);
	for (;;) {
		int64_t wait, left;

		saba_api_result_clear(&res);
		r->send(r->send_arg, rt, host_id, deadline, &res);
		attempt++;
		if (res.status == SABA_API_OK && res.dry_run) {
			saba_notice("dry-run: would retire host %s (requested by %s: %s: %s)",
				    host_id, who, saba_stop_kind_name(req->kind), saba_reason(req));
			result = SABA_RETIRE_DRY_RUN;
			break;
		}
		if (res.status == SABA_API_OK || res.status == SABA_API_NOT_FOUND) {
			if (res.status == SABA_API_NOT_FOUND)
				saba_notice("host %s is already gone from Mackerel (%s)", host_id,
					    res.message);
			result = SABA_RETIRE_DONE;
			break;
		}
		if (res.status == SABA_API_REFUSED) {
			saba_err("retiring host %s failed: %s", host_id, res.message);
			break;
		}
		left = deadline - saba_now_ms();
		wait = res.retry_after >= 0 ? res.retry_after * 1000
					    : saba_backoff_ms(attempt - 1, 1000, 5000);
		/* Use the whole budget: a last, shorter wait beats giving up
		 * with seconds left. */
		if (wait > left - 200)
			wait = left - 200;
		if (wait < 100) {
			saba_err("retiring host %s failed: gave up after %d attempts within "
				 "retire.timeout (%d s): %s",
				 host_id, attempt, c->retire_timeout, res.message);
			break;
		}
		saba_warn("retiring host %s: %s; retrying in %.1f s", host_id, res.message,
			  (double)wait / 1000);
		saba_sleep_ms(wait);
	}
	saba_api_result_clear(&res);
	return result;
}

/* This agent's own host: retire, then forget the id and stop posting. */
static int saba_retire_send(struct saba_retire *r, struct saba_runtime *rt,
			    const struct saba_conf *c, const char *who, const char *host_id,
			    const struct saba_retire_request *req)
{
	char err[512];
	int result;

	/* No metric may land after the retire: a post in flight is abandoned
	 * (its batches stay queued) and none starts until this is decided. */
	saba_runtime_retire_begin(rt);
	result = saba_retire_attempts(r, rt, c, who, host_id, req);
	if (result == SABA_RETIRE_DONE) {
		pthread_mutex_lock(&rt->lock);
		rt->retired = 1;
		pthread_cond_broadcast(&rt->wake);
		pthread_mutex_unlock(&rt->lock);
	}
	saba_runtime_retire_end(rt);
	if (result != SABA_RETIRE_DONE)
		return result;
	/* Only now is the id file removed: a failed retire keeps the host. */
	if (saba_idfile_remove(c->root, err, sizeof(err)) != 0)
		saba_err("host %s retired, but %s", host_id, err);
	if (rt->queue != NULL)
		saba_queue_clear(rt->queue);
	saba_notice("retired host %s (requested by %s: %s: %s)", host_id, who,
		    saba_stop_kind_name(req->kind), saba_reason(req));
	return result;
}

int saba_retire_reached_api(struct saba_retire *r)
{
	int final;

	pthread_mutex_lock(&r->lock);
	final = r->state == SABA_ROUTINE_FINAL;
	pthread_mutex_unlock(&r->lock);
	return final;
}

int saba_retire_other(struct saba_runtime *rt, const char *who, const char *host_id,
		      const struct saba_retire_request *req)
{
	struct saba_conf *c;
	int own, result;

	if (req == NULL || req->struct_size < sizeof(*req) || host_id == NULL || *host_id == '\0') {
		saba_err("retire of another host requested by %s with an invalid request; "
			 "declined",
			 who);
		return SABA_RETIRE_DECLINED;
	}
	if (req->kind != SABA_STOP_TERMINATE) {
		saba_notice("retire of host %s requested by %s for a %s declined: only a "
			    "terminated machine retires another host",
			    host_id, who, saba_stop_kind_name(req->kind));
		return SABA_RETIRE_DECLINED;
	}
	pthread_mutex_lock(&rt->lock);
	own = rt->host_id != NULL && strcmp(rt->host_id, host_id) == 0;
	pthread_mutex_unlock(&rt->lock);
	if (own) {
		saba_notice("retire of host %s requested by %s declined: it is this agent's own "
			    "host, which is running",
			    host_id, who);
		return SABA_RETIRE_DECLINED;
	}
	saba_notice("retiring host %s (requested by %s: %s: %s)", host_id, who,
		    saba_stop_kind_name(req->kind), saba_reason(req));
	c = saba_runtime_conf(rt); /* a reload may replace it meanwhile */
	result = saba_retire_attempts(rt->retire, rt, c, who, host_id, req);
	saba_conf_free(c);
	if (result == SABA_RETIRE_DONE)
		saba_notice("retired host %s (requested by %s: %s: %s)", host_id, who,
			    saba_stop_kind_name(req->kind), saba_reason(req));
	return result;
}

int saba_retire_run(struct saba_runtime *rt, const char *who, const struct saba_retire_request *req)
{
	struct saba_retire *r = rt->retire;
	struct saba_conf *c;
	char *host_id = NULL;
	int result, registered;
	long long age;

	if (req == NULL || req->struct_size < sizeof(*req)) {
		saba_err("retire requested by %s with an invalid request; declined", who);
		return SABA_RETIRE_DECLINED;
	}
	if (req->kind == SABA_STOP_RESTART || req->kind == SABA_STOP_UNKNOWN || req->kind < 0 ||
	    req->kind > SABA_STOP_MANUAL) {
		saba_notice("retire requested by %s for a %s stop declined: it never retires", who,
			    saba_stop_kind_name(req->kind));
		return SABA_RETIRE_DECLINED;
	}
	/* Only the OS's word is overruled: a cloud's termination notice and
	 * the operator's `saba-agent retire` still count. */
	if (saba_needs_confirmation(req->kind) && (age = saba_removal_age(r)) >= 0) {
		saba_notice("retire requested by %s (%s) declined: the package manager is "
			    "removing saba-agent (%s, %lld s old)",
			    who, saba_stop_kind_name(req->kind), r->removal_marker, age);
		return SABA_RETIRE_DECLINED;
	}
	pthread_mutex_lock(&r->lock);
	while (r->state == SABA_ROUTINE_RUNNING)
		pthread_cond_wait(&r->done, &r->lock);
	if (r->state == SABA_ROUTINE_FINAL) {
		result = r->result;
		pthread_mutex_unlock(&r->lock);
		saba_info("retire requested by %s: already %s", who,
			  saba_retire_result_name(result));
		return result;
	}
	r->state = SABA_ROUTINE_RUNNING;
	pthread_mutex_unlock(&r->lock);

	pthread_mutex_lock(&rt->lock);
	host_id = rt->host_id != NULL ? saba_strdup(rt->host_id) : NULL;
	pthread_mutex_unlock(&rt->lock);
	registered = host_id != NULL;
	c = saba_runtime_conf(rt); /* a reload may replace it meanwhile */

	if (!registered) {
		saba_err("retire requested by %s: this host is not registered", who);
		result = SABA_RETIRE_FAILED;
	} else if (!saba_confirm(rt, c, who, req)) {
		result = SABA_RETIRE_DECLINED;
	} else {
		saba_notice("retiring host %s (requested by %s: %s: %s)", host_id, who,
			    saba_stop_kind_name(req->kind), saba_reason(req));
		result = saba_retire_send(r, rt, c, who, host_id, req);
	}
	saba_conf_free(c);
	free(host_id);

	pthread_mutex_lock(&r->lock);
	/* Declined or "not registered yet" leave the door open for better
	 * evidence later; anything that reached the API is final. */
	if (result == SABA_RETIRE_DECLINED || !registered) {
		r->state = SABA_ROUTINE_IDLE;
	} else {
		r->state = SABA_ROUTINE_FINAL;
		r->result = result;
	}
	pthread_cond_broadcast(&r->done);
	pthread_mutex_unlock(&r->lock);
	return result;
}
