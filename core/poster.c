#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "api.h"
#include "conf.h"
#include "hostmap.h"
#include "log.h"
#include "metadata.h"
#include "outbox.h"
#include "poster.h"
#include "queue.h"
#include "register.h"
#include "tsdb.h"
#include "util.h"

/* At most this much in one POST: a backlog drains in a few big requests
 * rather than thousands of small ones, without huge bodies. */
#define SABA_POST_MAX_BATCHES 30
#define SABA_POST_MAX_POINTS  5000
#define SABA_POST_BACKOFF_CAP 60000

struct saba_poster {
	struct saba_runtime *rt;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond; /* monotonic */
	int pending;	     /* wake-ups not yet seen */
	int running;	     /* the thread is at work (not leaving) */
	int joinable;	     /* thread was started and not joined yet */
	int finishing;
	int inline_on;	     /* the loop thread posts (saba_poster_work) */
	int busy;	     /* ... and is at it now */
	int failures;	     /* posts failed in a row */
	int64_t next_try;    /* monotonic ms; 0: post as soon as there is data */
	int64_t deadline_ms; /* while finishing */
	json_t *spec;	     /* to PUT */
	struct saba_http *http;
	unsigned conf_gen;	    /* of the config http was made from */
	struct saba_hostmap *hosts; /* customIdentifier -> host id */
	struct saba_tsdb *tsdb;	    /* the bodies' kept parts */
};

struct saba_resolve {
	struct saba_poster *p;
	int64_t deadline;
	int missing; /* a lookup could not be made */
};

static const char *saba_poster_host_for(void *arg, const char *ci)
{
	struct saba_resolve *res = arg;
	const char *id = saba_hostmap_resolve(res->p->hosts, res->p->http, ci, res->deadline);

	if (id == NULL)
		res->missing = 1;
	return id;
}

/* Wait for work, a finish request, or ms; returns 1 when finishing.  Once
 * finishing, a backoff is still slept (bounded by the deadline) so a dead
 * API is not hammered. */
static int saba_poster_sleep(struct saba_poster *p, int64_t ms)
{
	struct timespec ts;
	int64_t until;
	int fin;

	pthread_mutex_lock(&p->lock);
	until = saba_now_ms() + ms;
	if (p->finishing && until > p->deadline_ms)
		until = p->deadline_ms;
	saba_abstime(CLOCK_MONOTONIC, until - saba_now_ms(), &ts);
	while (!p->pending && saba_now_ms() < until)
		if (pthread_cond_timedwait(&p->cond, &p->lock, &ts) == ETIMEDOUT)
			break;
	p->pending = 0;
	fin = p->finishing;
	pthread_mutex_unlock(&p->lock);
	return fin;
}

/* With nothing to do, the thread leaves (the next wake-up starts another):
 * at rest, posting has no thread. */
static int saba_poster_leave(struct saba_poster *p)
{
	int leave;

	pthread_mutex_lock(&p->lock);
	leave = !p->pending && !p->finishing;
	if (leave)
		p->running = 0;
	pthread_mutex_unlock(&p->lock);
	return leave;
}

/* One POST of the oldest batches.  Returns 0 when the queue moved on
 * (sent or dropped), else the backoff wanted in ms. */
static int64_t saba_post_some(struct saba_poster *p, int *failures, int64_t deadline)
{
	struct saba_runtime *rt = p->rt;
	struct saba_batch *b[SABA_POST_MAX_BATCHES];
	struct saba_api_result r = {.retry_after = -1};
	struct saba_resolve res = {.p = p, .deadline = deadline};
	size_t n, points = 0;
	int64_t wait = 0;
	char *host_id, *body;
	size_t sent;

	n = saba_queue_take(rt->queue, b, SABA_POST_MAX_BATCHES, SABA_POST_MAX_POINTS);
	if (n == 0)
		return 0;
	pthread_mutex_lock(&rt->lock);
	host_id = saba_strdup(rt->host_id);
	pthread_mutex_unlock(&rt->lock);
	for (size_t i = 0; i < n; i++)
		points += b[i]->n;
	body = saba_tsdb_body(p->tsdb, host_id, b, n, saba_poster_host_for, &res, &sent);
	if (res.missing) {
		/* Another host's id could not be looked up: keep it all. */
		r.status = SABA_API_RETRY;
		snprintf(r.message, sizeof(r.message), "customIdentifier lookup failed");
	} else if (!saba_runtime_send_begin(rt)) {
		/* This host is being retired: the retire keeps or drops them. */
		saba_queue_putback(rt->queue, b, n);
		free(host_id);
		free(body);
		return 100;
	} else {
		saba_api_call_text(p->http, "POST", "/api/v0/tsdb", body, deadline, &r);
		saba_runtime_send_end(rt);
		if (r.status == SABA_API_RETRY && saba_runtime_retiring(rt)) {
			/* Abandoned for the retire, not a failure of the API. */
			saba_queue_putback(rt->queue, b, n);
			saba_api_result_clear(&r);
			free(host_id);
			free(body);
			return 100;
		}
	}
	switch (r.status) {
	case SABA_API_OK:
		if (*failures > 0)
			saba_notice("posting metrics works again (%zu points sent)", sent);
		*failures = 0;
		break;
	case SABA_API_RETRY:
		for (size_t i = 0; i < n; i++)
			b[i]->attempts++;
		saba_queue_putback(rt->queue, b, n);
		n = 0;
		wait = r.retry_after >= 0 ? r.retry_after * 1000
					  : saba_backoff_ms(*failures, 1000, SABA_POST_BACKOFF_CAP);
		if (wait < 1)
			wait = 1;
		(*failures)++;
		saba_warn("cannot post metrics: %s; %zu batches queued, retrying in %.1f s",
			  r.message, saba_queue_length(rt->queue), (double)wait / 1000);
		break;
	default:
		/* The API said this data is wrong: retrying cannot help. */
		saba_err("the API refused %zu points, dropping them: %s", points, r.message);
		*failures = 0;
		break;
	}
	for (size_t i = 0; i < n; i++)
		saba_batch_free(b[i]);
	saba_api_result_clear(&r);
	free(host_id);
	free(body);
	return wait;
}

/* Graph definitions, check reports and host metadata, after the metrics. */
static int64_t saba_poster_outbox(struct saba_poster *p, int *failures, int64_t deadline)
{
	struct saba_runtime *rt = p->rt;
	int64_t wait;
	char *host_id;

	if (!saba_runtime_send_begin(rt))
		return 0; /* being retired */
	pthread_mutex_lock(&rt->lock);
	host_id = saba_strdup(rt->host_id);
	pthread_mutex_unlock(&rt->lock);
	wait = saba_outbox_send(rt->outbox, p->http, p->hosts, host_id, *failures, deadline);
	if (wait == 0)
		wait = saba_metadata_send(rt->metadata, p->http, host_id, rt->dry_run, *failures,
					  deadline);
	saba_runtime_send_end(rt);
	if (wait > 0 && saba_runtime_retiring(rt))
		wait = 0; /* abandoned for the retire */
	if (wait > 0)
		(*failures)++;
	free(host_id);
	return wait;
}

static int saba_poster_should_abort(void *arg);

/* After a reload: the API key, proxy, CA and timeout of the new config. */
static void saba_poster_refresh_http(struct saba_poster *p)
{
	unsigned gen = saba_runtime_conf_gen(p->rt);
	struct saba_http *h;

	if (gen == p->conf_gen)
		return;
	h = saba_runtime_http(p->rt);
	if (h == NULL)
		return; /* logged; the old one goes on */
	saba_http_set_abort(h, saba_poster_should_abort, p);
	saba_http_free(p->http);
	p->http = h;
	p->conf_gen = gen;
}

/* One go at what is waiting: the spec, the batches while the API takes
 * them, then the outbox.  Moves p->next_try on (0: all sent). */
static void saba_poster_pass(struct saba_poster *p, int64_t deadline)
{
	struct saba_runtime *rt = p->rt;
	int64_t wait = 0;
	json_t *spec;

	pthread_mutex_lock(&p->lock);
	spec = p->spec;
	p->spec = NULL;
	pthread_mutex_unlock(&p->lock);
	if (spec != NULL && saba_runtime_send_begin(rt)) {
		saba_register_update_spec(rt, p->http, spec);
		saba_runtime_send_end(rt);
	}
	json_decref(spec);
	/* New data does not cut a backoff short. */
	if (saba_now_ms() < p->next_try)
		return;
	while (!saba_runtime_retiring(rt) && saba_queue_length(rt->queue) > 0) {
		wait = saba_post_some(p, &p->failures, deadline);
		if (wait > 0)
			break;
	}
	if (wait == 0 && rt->outbox != NULL && !saba_runtime_retiring(rt))
		wait = saba_poster_outbox(p, &p->failures, deadline);
	p->next_try = wait > 0 ? saba_now_ms() + wait : 0;
}

static void *saba_poster_main(void *arg)
{
	struct saba_poster *p = arg;
	struct saba_runtime *rt = p->rt;

	for (;;) {
		int64_t now = saba_now_ms(), deadline = 0;
		int fin;

		if (p->next_try == 0 && saba_poster_leave(p))
			return NULL; /* p may be gone from here on */
		fin = saba_poster_sleep(p, p->next_try > now ? p->next_try - now : 3600 * 1000);
		saba_poster_refresh_http(p);
		if (fin) {
			pthread_mutex_lock(&p->lock);
			deadline = p->deadline_ms;
			pthread_mutex_unlock(&p->lock);
		}
		saba_poster_pass(p, deadline);
		if (!fin)
			continue;
		if (saba_runtime_retiring(rt) || saba_queue_length(rt->queue) == 0)
			break;
		if (p->next_try >= deadline || saba_now_ms() >= deadline) {
			saba_warn("shutdown: %zu batches of metrics could not be posted in time",
				  saba_queue_length(rt->queue));
			break;
		}
	}
	return NULL;
}

/* The loop thread posts itself (saba_poster_inline): when it should call
 * saba_poster_work() next (monotonic ms), 0 when nothing waits. */
int64_t saba_poster_due(struct saba_poster *p)
{
	int64_t due = 0;

	pthread_mutex_lock(&p->lock);
	if (p->inline_on && !p->running && !p->busy && !p->finishing) {
		if (p->next_try != 0)
			due = p->next_try;
		else if (p->pending)
			due = saba_now_ms();
	}
	pthread_mutex_unlock(&p->lock);
	return due;
}

void saba_poster_work(struct saba_poster *p)
{
	pthread_mutex_lock(&p->lock);
	if (p->running || p->busy || p->finishing) {
		pthread_mutex_unlock(&p->lock);
		return;
	}
	p->busy = 1;
	p->pending = 0;
	pthread_mutex_unlock(&p->lock);
	saba_poster_refresh_http(p);
	saba_poster_pass(p, 0);
	pthread_mutex_lock(&p->lock);
	p->busy = 0;
	pthread_cond_broadcast(&p->cond); /* a finish may wait for this pass */
	pthread_mutex_unlock(&p->lock);
}

void saba_poster_inline(struct saba_poster *p, int on)
{
	pthread_mutex_lock(&p->lock);
	p->inline_on = on;
	pthread_mutex_unlock(&p->lock);
}

/* A post in flight when the finish deadline passes, or when this host's
 * retire starts, is abandoned. */
static int saba_poster_should_abort(void *arg)
{
	struct saba_poster *p = arg;
	int late;

	pthread_mutex_lock(&p->lock);
	late = p->finishing && saba_now_ms() >= p->deadline_ms;
	pthread_mutex_unlock(&p->lock);
	return late || saba_runtime_retiring(p->rt);
}

struct saba_poster *saba_poster_start(struct saba_runtime *rt)
{
	struct saba_poster *p = saba_calloc(1, sizeof(*p));
	pthread_condattr_t ca;

	p->rt = rt;
	p->conf_gen = saba_runtime_conf_gen(rt);
	p->http = saba_runtime_http(rt);
	p->hosts = saba_hostmap_new(rt->dry_run);
	p->tsdb = saba_tsdb_new();
	pthread_mutex_init(&p->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&p->cond, &ca);
	pthread_condattr_destroy(&ca);
	if (p->http == NULL || p->tsdb == NULL) {
		saba_err("cannot start posting");
		saba_http_free(p->http);
		saba_tsdb_free(p->tsdb);
		saba_hostmap_free(p->hosts);
		pthread_cond_destroy(&p->cond);
		pthread_mutex_destroy(&p->lock);
		free(p);
		return NULL;
	}
	saba_http_set_abort(p->http, saba_poster_should_abort, p);
	return p;
}

/* With the lock held: there is work; the thread sees it, or a new one is
 * started (the one that left is joined first: it holds nothing now). */
static void saba_poster_kick(struct saba_poster *p)
{
	p->pending = 1;
	if (p->inline_on && !p->finishing)
		return; /* the loop thread sees it */
	if (p->running) {
		pthread_cond_signal(&p->cond);
		return;
	}
	if (p->joinable)
		pthread_join(p->thread, NULL);
	p->joinable = 0;
	if (pthread_create(&p->thread, NULL, saba_poster_main, p) != 0) {
		saba_err("cannot start the posting thread; the batches wait for the next try");
		return;
	}
	p->running = p->joinable = 1;
}

void saba_poster_wake(struct saba_poster *p)
{
	pthread_mutex_lock(&p->lock);
	saba_poster_kick(p);
	pthread_mutex_unlock(&p->lock);
}

void saba_poster_update_spec(struct saba_poster *p, json_t *spec)
{
	pthread_mutex_lock(&p->lock);
	json_decref(p->spec);
	p->spec = spec;
	saba_poster_kick(p);
	pthread_mutex_unlock(&p->lock);
}

void saba_poster_finish(struct saba_poster *p, int64_t deadline_ms)
{
	if (p == NULL)
		return;
	pthread_mutex_lock(&p->lock);
	p->finishing = 1;
	p->deadline_ms = deadline_ms;
	/* A pass of the loop thread's ends by the deadline (its post is
	 * abandoned then) before the last flush starts. */
	while (p->busy && saba_now_ms() < deadline_ms + 1000) {
		struct timespec ts;

		saba_abstime(CLOCK_MONOTONIC, deadline_ms + 1000 - saba_now_ms(), &ts);
		pthread_cond_timedwait(&p->cond, &p->lock, &ts);
	}
	if (p->busy) {
		/* Still in it (a hung DNS lookup, say): leave the poster to it. */
		pthread_mutex_unlock(&p->lock);
		saba_warn("shutdown: a post did not end in time; its batches were not posted");
		return;
	}
	saba_poster_kick(p);
	pthread_mutex_unlock(&p->lock);
	if (p->joinable)
		pthread_join(p->thread, NULL);
	json_decref(p->spec);
	saba_http_free(p->http);
	saba_hostmap_free(p->hosts);
	saba_tsdb_free(p->tsdb);
	pthread_cond_destroy(&p->cond);
	pthread_mutex_destroy(&p->lock);
	free(p);
}
