#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "collector.h"
#include "crash.h"
#include "log.h"
#include "queue.h"
#include "util.h"

/* Workers for rounds that return promptly, and the ceiling when plugins are
 * slow or hang: a round that waits SABA_POOL_PATIENCE_MS while every worker
 * is busy gets a new worker, so a hung plugin costs one thread (up to the
 * ceiling) and never starves the others.  Workers beyond the base leave after
 * SABA_POOL_IDLE_MS without work. */
#define SABA_POOL_BASE	      8
#define SABA_POOL_MAX	      64
#define SABA_POOL_PATIENCE_MS 250
#define SABA_POOL_IDLE_MS     120000

struct saba_pool {
	pthread_mutex_t lock;
	pthread_cond_t work;	 /* a round was queued, or quit */
	pthread_cond_t done;	 /* a round finished, or a thread left */
	struct saba_ctx **queue; /* ring of pending rounds, one per instance at most */
	int qcap, qhead, qlen;
	int64_t queued_at; /* monotonic ms the oldest pending round began waiting */
	int workers;	   /* worker threads alive */
	int idle;	   /* of which waiting for work */
	int threads;	   /* workers + the supervisor */
	int warned_full;
	int quit;
};

static int saba_timed_wait(pthread_cond_t *c, pthread_mutex_t *m, int64_t deadline_ms)
{
	int64_t left = deadline_ms - saba_now_ms();
	struct timespec ts;

	if (left <= 0)
		return ETIMEDOUT;
	saba_abstime(CLOCK_REALTIME, left, &ts);
	return pthread_cond_timedwait(c, m, &ts);
}

static void saba_collect_once(struct saba_ctx *ctx, int64_t tick)
{
	struct saba_runtime *rt = ctx->rt;
	struct saba_crash_frame cf;
	int rc;

	ctx->nbuf = 0;
	ctx->cur_tick = tick;
	saba_crash_enter(&cf, ctx->label, "collect");
	rc = ctx->mod->desc.collect(ctx->state);
	saba_crash_leave(&cf);
	ctx->cur_tick = 0;
	if (rc != SABA_OK)
		saba_warn("%s: collect failed (error %d)", ctx->label, rc);
	if (rt->queue != NULL && !saba_runtime_stopping(rt))
		saba_queue_stage(rt->queue, ctx->buf, ctx->nbuf);
	for (size_t i = 0; i < ctx->nbuf; i++)
		saba_point_clear(&ctx->buf[i]);
	ctx->nbuf = 0;
}

static struct saba_ctx *saba_pool_take(struct saba_pool *p)
{
	struct saba_ctx *ctx = p->queue[p->qhead];

	p->qhead = (p->qhead + 1) % p->qcap;
	p->qlen--;
	p->queued_at = saba_now_ms(); /* the next one waits from now on */
	ctx->queued = 0;
	return ctx;
}

static void *saba_worker_main(void *arg)
{
	struct saba_pool *p = arg;

	pthread_mutex_lock(&p->lock);
	for (;;) {
		int64_t idle_until = saba_now_ms() + SABA_POOL_IDLE_MS, tick;
		struct saba_ctx *ctx;
		int timed_out = 0;

		p->idle++;
		while (!p->quit && p->qlen == 0 && !timed_out)
			timed_out = saba_timed_wait(&p->work, &p->lock, idle_until) == ETIMEDOUT;
		p->idle--;
		if (p->quit || (p->qlen == 0 && p->workers > SABA_POOL_BASE))
			break;
		if (p->qlen == 0)
			continue;
		ctx = saba_pool_take(p);
		ctx->running = 1;
		tick = ctx->want_tick;
		pthread_mutex_unlock(&p->lock);
		saba_collect_once(ctx, tick);
		pthread_mutex_lock(&p->lock);
		ctx->running = 0;
		ctx->done_tick = tick;
		pthread_cond_broadcast(&p->done);
	}
	p->workers--;
	p->threads--;
	pthread_cond_broadcast(&p->done);
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

/* Start up to n workers, with the pool's lock held. */
static void saba_pool_spawn(struct saba_pool *p, int n)
{
	for (; n > 0 && p->workers < SABA_POOL_MAX; n--) {
		pthread_t t;

		if (pthread_create(&t, NULL, saba_worker_main, p) != 0) {
			saba_err("cannot start a collect worker");
			return;
		}
		pthread_detach(t);
		p->workers++;
		p->threads++;
	}
}

/* Rounds left waiting SABA_POOL_PATIENCE_MS while every worker is busy get
 * a worker each, up to the ceiling. */
static void *saba_supervisor_main(void *arg)
{
	struct saba_pool *p = arg;

	pthread_mutex_lock(&p->lock);
	while (!p->quit) {
		int64_t due = p->queued_at + SABA_POOL_PATIENCE_MS;

		if (p->qlen == 0 || p->idle > 0) {
			pthread_cond_wait(p->qlen == 0 ? &p->work : &p->done, &p->lock);
			continue;
		}
		if (saba_now_ms() < due) {
			saba_timed_wait(&p->done, &p->lock, due);
			continue;
		}
		if (p->workers >= SABA_POOL_MAX) {
			if (!p->warned_full)
				saba_warn("all %d collect workers are busy; queued rounds wait",
					  p->workers);
			p->warned_full = 1;
			pthread_cond_wait(&p->done, &p->lock);
			continue;
		}
		p->warned_full = 0;
		saba_pool_spawn(p, p->qlen);
		p->queued_at = saba_now_ms();
	}
	p->threads--;
	pthread_cond_broadcast(&p->done);
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

void saba_collector_start(struct saba_instances *set)
{
	struct saba_pool *p;
	pthread_t t;

	if (set->pool != NULL)
		return;
	p = saba_calloc(1, sizeof(*p));
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->work, NULL);
	pthread_cond_init(&p->done, NULL);
	p->qcap = set->n > 0 ? set->n : 1;
	p->queue = saba_calloc((size_t)p->qcap, sizeof(*p->queue));
	if (pthread_create(&t, NULL, saba_supervisor_main, p) == 0) {
		pthread_detach(t);
		p->threads++;
	} else {
		saba_err("cannot start the collect supervisor; a hung plugin may delay others");
	}
	set->pool = p;
}

void saba_collector_tick(struct saba_instances *set, int64_t tick, int only_delta)
{
	struct saba_pool *p = set->pool;
	int want;

	if (p == NULL)
		return;
	pthread_mutex_lock(&p->lock);
	if (p->qlen == 0)
		p->queued_at = saba_now_ms();
	for (int i = 0; i < set->n; i++) {
		struct saba_ctx *ctx = set->v[i];
		int64_t busy_since;

		if (ctx->mod->desc.collect == NULL)
			continue;
		if (only_delta && !(ctx->mod->desc.flags & SABA_PLUGIN_DELTA))
			continue;
		if (ctx->want_tick == ctx->done_tick) {
			ctx->want_tick = tick;
			ctx->queued = 1;
			p->queue[(p->qhead + p->qlen) % p->qcap] = ctx;
			p->qlen++;
			continue;
		}
		/* Say it once per stuck round, not once per tick. */
		busy_since = ctx->want_tick;
		if (ctx->busy_warned != busy_since) {
			ctx->busy_warned = busy_since;
			saba_warn("%s: still %s the round of %lld; skipping rounds until it "
				  "returns",
				  ctx->label, ctx->running ? "collecting" : "waiting to collect",
				  (long long)busy_since);
		}
	}
	/* Up to the base size at once; the supervisor adds more if needed. */
	want = p->qlen - p->idle;
	if (want > SABA_POOL_BASE - p->workers)
		want = SABA_POOL_BASE - p->workers;
	saba_pool_spawn(p, want);
	pthread_cond_broadcast(&p->work);
	pthread_mutex_unlock(&p->lock);
}

static int saba_pool_busy(const struct saba_instances *set)
{
	int busy = 0;

	for (int i = 0; i < set->n; i++)
		busy += set->v[i]->want_tick != set->v[i]->done_tick;
	return busy;
}

int saba_collector_wait(struct saba_instances *set, int64_t deadline_ms)
{
	struct saba_pool *p = set->pool;
	int busy;

	if (p == NULL)
		return 0;
	pthread_mutex_lock(&p->lock);
	while (saba_pool_busy(set) > 0)
		if (saba_timed_wait(&p->done, &p->lock, deadline_ms) == ETIMEDOUT)
			break;
	busy = saba_pool_busy(set);
	for (int i = 0; busy > 0 && i < set->n; i++)
		if (set->v[i]->want_tick != set->v[i]->done_tick)
			saba_warn("%s: collect did not return in time; its values are missing",
				  set->v[i]->label);
	pthread_mutex_unlock(&p->lock);
	return busy;
}

/* End the pool: rounds not started are dropped, running ones get until
 * deadline_ms.  Without `final` a pool whose workers are still busy is kept
 * for a later call; with it, their instances are abandoned (never
 * destroyed, module pinned) and the pool is left to the workers. */
static void saba_pool_end(struct saba_instances *set, int64_t deadline_ms, int final)
{
	struct saba_pool *p = set->pool;
	int threads;

	if (p == NULL)
		return;
	pthread_mutex_lock(&p->lock);
	p->quit = 1;
	for (; p->qlen > 0; p->qlen--) {
		struct saba_ctx *ctx = p->queue[p->qhead];

		ctx->queued = 0;
		ctx->done_tick = ctx->want_tick;
		p->qhead = (p->qhead + 1) % p->qcap;
	}
	pthread_cond_broadcast(&p->work);
	while (p->threads > 0)
		if (saba_timed_wait(&p->done, &p->lock, deadline_ms) == ETIMEDOUT)
			break;
	threads = p->threads;
	for (int i = 0; threads > 0 && i < set->n; i++) {
		if (!set->v[i]->running)
			continue;
		/* Still in collect(): never unload its code. */
		set->v[i]->mod->pinned = 1;
		set->v[i]->abandoned |= final;
	}
	pthread_mutex_unlock(&p->lock);
	if (threads > 0) {
		/* Workers still use the pool: keep it, or leave it to them. */
		if (final)
			set->pool = NULL;
		return;
	}
	pthread_mutex_destroy(&p->lock);
	pthread_cond_destroy(&p->work);
	pthread_cond_destroy(&p->done);
	free(p->queue);
	free(p);
	set->pool = NULL;
}

void saba_collector_stop(struct saba_instances *set, int64_t deadline_ms)
{
	/* A round in progress since before the stop is likely hung: it gets
	 * only a short grace. */
	int64_t stop_by = saba_now_ms() + 200;

	saba_pool_end(set, stop_by < deadline_ms ? stop_by : deadline_ms, 0);
}

void saba_collector_release(struct saba_instances *set)
{
	/* One more short wait: the plugins' stop() may have ended them. */
	saba_pool_end(set, saba_now_ms() + 300, 1);
}
