#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "collector.h"
#include "crash.h"
#include "log.h"
#include "queue.h"
#ifndef _WIN32
#include "takeover.h"
#endif
#include "util.h"

/* No standing threads of its own: a tick's quick rounds go to the loop
 * thread (saba_collector_drain) or, without one, to one short-lived runner,
 * which collects them one after the other and leaves when none is left.
 * Rounds
 * still waiting SABA_POOL_PATIENCE_MS while every runner is inside a plugin
 * get a runner each (up to SABA_POOL_MAX), so a slow or hung plugin costs
 * one thread and never starves the others.  An instance whose round once
 * took SABA_POOL_SLOW_MS or more gets a runner of its own at each tick (up to
 * SABA_POOL_BASE runners at once) until SABA_POOL_SLOW_ROUNDS quick ones. */
#define SABA_POOL_BASE	      8
#define SABA_POOL_MAX	      64
#define SABA_POOL_PATIENCE_MS 250
#define SABA_POOL_SLOW_MS     50
#define SABA_POOL_SLOW_ROUNDS 3

struct saba_pool {
	pthread_mutex_t lock;
	pthread_cond_t done;	 /* a round finished, or a runner left */
	struct saba_ctx **queue; /* ring of pending rounds, one per instance at most */
	int qcap, qhead, qlen;
	int64_t queued_at; /* monotonic ms the oldest pending round began waiting */
	int runners;	   /* runner threads alive */
	int collecting;	   /* of which inside a plugin's collect() */
	int warned_full;
	int quit;
	/* With a loop thread that collects itself (saba_collector_inline):
	 * the quick instances' rounds wait here for it, not in the ring. */
	int inline_on;
	struct saba_ctx **mine;
	int nmine;
	int inline_busy;     /* loop threads inside a plugin's collect() */
	int64_t inline_tick; /* the tick of the last round begun there */
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

static void *saba_runner_main(void *arg)
{
	struct saba_pool *p = arg;

	pthread_mutex_lock(&p->lock);
	while (!p->quit && p->qlen > 0) {
		struct saba_ctx *ctx = saba_pool_take(p);
		int64_t tick = ctx->want_tick, t0;

		ctx->running = 1;
		p->collecting++;
		pthread_mutex_unlock(&p->lock);
		t0 = saba_now_ms();
		saba_collect_once(ctx, tick);
		t0 = saba_now_ms() - t0;
		pthread_mutex_lock(&p->lock);
		/* One long round (a plugin that waits, or a machine that did
		 * not schedule it) keeps its own runner until a few quick
		 * ones in a row: a passing stall does not cost threads for
		 * good. */
		if (t0 >= SABA_POOL_SLOW_MS)
			ctx->slow = SABA_POOL_SLOW_ROUNDS;
		else if (ctx->slow > 0)
			ctx->slow--;
		p->collecting--;
		ctx->running = 0;
		ctx->done_tick = tick;
		pthread_cond_broadcast(&p->done);
	}
	p->runners--;
	pthread_cond_broadcast(&p->done);
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

/* Start up to n runners (never beyond SABA_POOL_MAX), with the lock held. */
static void saba_pool_spawn(struct saba_pool *p, int n)
{
	for (; n > 0 && p->runners < SABA_POOL_MAX; n--) {
		pthread_t t;

		if (pthread_create(&t, NULL, saba_runner_main, p) != 0) {
			saba_err("cannot start a collect runner");
			return;
		}
		pthread_detach(t);
		p->runners++;
	}
}

void saba_collector_start(struct saba_instances *set)
{
	struct saba_pool *p;

	if (set->pool != NULL)
		return;
	p = saba_calloc(1, sizeof(*p));
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->done, NULL);
	p->qcap = set->n > 0 ? set->n : 1;
	p->queue = saba_calloc((size_t)p->qcap, sizeof(*p->queue));
	p->mine = saba_calloc((size_t)p->qcap, sizeof(*p->mine));
	set->pool = p;
}

void saba_collector_inline(struct saba_instances *set, int on)
{
	if (set->pool != NULL)
		set->pool->inline_on = on;
}

static int saba_round_wanted(const struct saba_ctx *ctx, enum saba_round which)
{
	int delta = (ctx->mod->desc.flags & SABA_PLUGIN_DELTA) != 0;

	if (ctx->mod->desc.collect == NULL)
		return 0;
	return which == SABA_ROUND_ALL || (which == SABA_ROUND_DELTA) == delta;
}

static void saba_pool_queue(struct saba_pool *p, struct saba_ctx *ctx, int64_t tick)
{
	ctx->want_tick = tick;
	ctx->queued = 1;
	p->queue[(p->qhead + p->qlen) % p->qcap] = ctx;
	p->qlen++;
}

void saba_collector_tick(struct saba_instances *set, int64_t tick, enum saba_round which)
{
	struct saba_pool *p = set->pool;
	int slow = 0, fast = 0, want;

	if (p == NULL)
		return;
	pthread_mutex_lock(&p->lock);
	if (p->qlen == 0)
		p->queued_at = saba_now_ms();
	/* The slow ones first, so that each of their runners takes one and
	 * the last runner the quick rest. */
	for (int pass = 0; pass < 2; pass++)
		for (int i = 0; i < set->n; i++) {
			struct saba_ctx *ctx = set->v[i];

			if (!saba_round_wanted(ctx, which) || (ctx->slow > 0) != (pass == 0))
				continue;
			if (ctx->want_tick == ctx->done_tick || ctx->queued) {
				/* One still waiting for a runner collects for
				 * this tick instead: the older round is lost
				 * either way. */
				if (ctx->queued) {
					ctx->want_tick = tick;
				} else if (p->inline_on && ctx->slow == 0) {
					ctx->want_tick = tick;
					ctx->queued = 1;
					p->mine[p->nmine++] = ctx;
					continue;
				} else {
					saba_pool_queue(p, ctx, tick);
				}
				slow += ctx->slow > 0;
				fast += ctx->slow == 0;
				continue;
			}
			/* Say it once per stuck round, not once per tick. */
			if (ctx->busy_warned != ctx->want_tick) {
				ctx->busy_warned = ctx->want_tick;
				saba_warn("%s: still %s the round of %lld; skipping rounds until "
					  "it returns",
					  ctx->label,
					  ctx->running ? "collecting" : "waiting to collect",
					  (long long)ctx->want_tick);
			}
		}
	/* Runners not inside a plugin take the new rounds too. */
	want = slow + (fast > 0) - (p->runners - p->collecting);
	if (want > SABA_POOL_BASE - p->collecting)
		want = SABA_POOL_BASE - p->collecting;
	saba_pool_spawn(p, want);
	pthread_mutex_unlock(&p->lock);
}

#ifndef _WIN32
/* One round on the calling (loop) thread, counted as a runner meanwhile so
 * that a stop waits for it, or leaves its instance alone, as for a runner. */
static void saba_pool_collect_here(struct saba_pool *p, struct saba_ctx *ctx)
{
	int64_t tick = ctx->want_tick, t0;

	ctx->queued = 0;
	ctx->running = 1;
	p->runners++;
	p->collecting++;
	p->inline_busy++;
	p->inline_tick = tick;
	pthread_mutex_unlock(&p->lock);
	t0 = saba_now_ms();
	saba_collect_once(ctx, tick);
	t0 = saba_now_ms() - t0;
	pthread_mutex_lock(&p->lock);
	p->inline_busy--;
	if (t0 >= SABA_POOL_SLOW_MS)
		ctx->slow = SABA_POOL_SLOW_ROUNDS;
	else if (ctx->slow > 0)
		ctx->slow--;
	p->collecting--;
	p->runners--;
	ctx->running = 0;
	ctx->done_tick = tick;
	pthread_cond_broadcast(&p->done);
}

int saba_collector_drain(struct saba_instances *set, struct saba_takeover *t, unsigned gen)
{
	struct saba_pool *p = set->pool; /* set may be gone once taken over */

	if (p == NULL)
		return 0;
	pthread_mutex_lock(&p->lock);
	if (p->nmine > 0 && p->inline_busy > 0 && p->mine[0]->want_tick == p->inline_tick) {
		/* The rest of a round a loop thread got stuck in: one runner
		 * each, so that no other hung one holds them up in turn. */
		if (p->qlen == 0)
			p->queued_at = saba_now_ms();
		for (int i = 0; i < p->nmine; i++)
			saba_pool_queue(p, p->mine[i], p->mine[i]->want_tick);
		saba_pool_spawn(p, p->nmine);
		p->nmine = 0;
	}
	if (p->nmine == 0) {
		pthread_mutex_unlock(&p->lock);
		return 0;
	}
	saba_takeover_enter(t, SABA_POOL_PATIENCE_MS);
	while (!p->quit && p->nmine > 0) {
		struct saba_ctx *ctx = p->mine[0];

		memmove(p->mine, p->mine + 1, (size_t)--p->nmine * sizeof(*p->mine));
		saba_pool_collect_here(p, ctx);
		/* Taken over while in the plugin: the new loop thread has the
		 * rest; this one only leaves. */
		if (saba_takeover_gen(t) != gen)
			break;
	}
	pthread_mutex_unlock(&p->lock);
	return saba_takeover_leave(t, gen);
}
#endif

int64_t saba_collector_due(struct saba_instances *set)
{
	struct saba_pool *p = set->pool;
	int64_t due = 0;

	if (p == NULL)
		return 0;
	pthread_mutex_lock(&p->lock);
	if (p->qlen > 0 && !p->quit)
		due = p->queued_at + SABA_POOL_PATIENCE_MS;
	pthread_mutex_unlock(&p->lock);
	return due;
}

/* With the lock held: rounds left waiting SABA_POOL_PATIENCE_MS while
 * every runner is stuck in a plugin get one more runner each.  (A runner
 * not in a plugin is only slow to be scheduled: it gets another patience.) */
static void saba_pool_poll(struct saba_pool *p)
{
	int stuck = p->collecting >= p->runners;

	if (p->qlen == 0 || p->quit || saba_now_ms() < p->queued_at + SABA_POOL_PATIENCE_MS)
		return;
	if (stuck && p->runners >= SABA_POOL_MAX) {
		if (!p->warned_full)
			saba_warn("all %d collect runners are busy; queued rounds wait",
				  p->runners);
		p->warned_full = 1;
	} else if (stuck) {
		p->warned_full = 0;
		saba_pool_spawn(p, p->qlen);
	}
	p->queued_at = saba_now_ms();
}

void saba_collector_poll(struct saba_instances *set)
{
	struct saba_pool *p = set->pool;

	if (p == NULL)
		return;
	pthread_mutex_lock(&p->lock);
	saba_pool_poll(p);
	pthread_mutex_unlock(&p->lock);
}

static int saba_pool_busy(const struct saba_instances *set)
{
	int busy = 0;

	for (int i = 0; i < set->n; i++)
		busy += set->v[i]->want_tick != set->v[i]->done_tick;
	return busy;
}

/* Wait until every instance finished its round or deadline_ms; returns
 * the number still busy, naming them unless quiet. */
static int saba_pool_wait(struct saba_instances *set, int64_t deadline_ms, int quiet)
{
	struct saba_pool *p = set->pool;
	int busy;

	if (p == NULL)
		return 0;
	pthread_mutex_lock(&p->lock);
	/* The waiting thread is the one that sees rounds stuck behind others. */
	while (saba_pool_busy(set) > 0 && saba_now_ms() < deadline_ms) {
		int64_t until = deadline_ms;

		if (p->qlen > 0 && p->queued_at + SABA_POOL_PATIENCE_MS < until)
			until = p->queued_at + SABA_POOL_PATIENCE_MS;
		saba_timed_wait(&p->done, &p->lock, until);
		saba_pool_poll(p);
	}
	busy = saba_pool_busy(set);
	for (int i = 0; !quiet && busy > 0 && i < set->n; i++)
		if (set->v[i]->want_tick != set->v[i]->done_tick)
			saba_warn("%s: collect did not return in time; its values are missing",
				  set->v[i]->label);
	pthread_mutex_unlock(&p->lock);
	return busy;
}

int saba_collector_wait(struct saba_instances *set, int64_t deadline_ms)
{
	return saba_pool_wait(set, deadline_ms, 0);
}

int saba_collector_settle(struct saba_instances *set, int64_t deadline_ms)
{
	return saba_pool_wait(set, deadline_ms, 1);
}

/* End the pool: rounds not started are dropped, running ones get until
 * deadline_ms.  Without `final` a pool whose runners are still busy is kept
 * for a later call; with it, their instances are abandoned (never
 * destroyed, module pinned) and the pool is left to the runners. */
static void saba_pool_end(struct saba_instances *set, int64_t deadline_ms, int final)
{
	struct saba_pool *p = set->pool;
	int threads;

	if (p == NULL)
		return;
	pthread_mutex_lock(&p->lock);
	p->quit = 1;
	for (; p->nmine > 0; p->nmine--) {
		p->mine[p->nmine - 1]->queued = 0;
		p->mine[p->nmine - 1]->done_tick = p->mine[p->nmine - 1]->want_tick;
	}
	for (; p->qlen > 0; p->qlen--) {
		struct saba_ctx *ctx = p->queue[p->qhead];

		ctx->queued = 0;
		ctx->done_tick = ctx->want_tick;
		p->qhead = (p->qhead + 1) % p->qcap;
	}
	while (p->runners > 0)
		if (saba_timed_wait(&p->done, &p->lock, deadline_ms) == ETIMEDOUT)
			break;
	threads = p->runners;
	for (int i = 0; threads > 0 && i < set->n; i++) {
		if (!set->v[i]->running)
			continue;
		/* Still in collect(): never unload its code. */
		set->v[i]->mod->pinned = 1;
		set->v[i]->abandoned |= final;
	}
	pthread_mutex_unlock(&p->lock);
	if (threads > 0) {
		/* Runners still use the pool: keep it, or leave it to them. */
		if (final)
			set->pool = NULL;
		return;
	}
	pthread_mutex_destroy(&p->lock);
	pthread_cond_destroy(&p->done);
	free(p->queue);
	free(p->mine);
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
