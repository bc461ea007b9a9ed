#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include "collector.h"
#include "crash.h"
#include "log.h"
#include "queue.h"
#include "util.h"

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

static void *saba_collector_main(void *arg)
{
	struct saba_ctx *ctx = arg;

	pthread_mutex_lock(&ctx->lock);
	for (;;) {
		int64_t tick;

		while (!ctx->quit && ctx->want_tick == ctx->done_tick)
			pthread_cond_wait(&ctx->cond, &ctx->lock);
		if (ctx->quit)
			break;
		tick = ctx->want_tick;
		pthread_mutex_unlock(&ctx->lock);
		saba_collect_once(ctx, tick);
		pthread_mutex_lock(&ctx->lock);
		ctx->done_tick = tick;
		pthread_cond_broadcast(&ctx->cond);
	}
	/* A round asked for but not started is dropped: say we are gone. */
	ctx->exited = 1;
	pthread_cond_broadcast(&ctx->cond);
	pthread_mutex_unlock(&ctx->lock);
	return NULL;
}

void saba_collector_start(struct saba_instances *set)
{
	for (int i = 0; i < set->n; i++) {
		struct saba_ctx *ctx = set->v[i];

		if (ctx->mod->desc.collect == NULL || ctx->has_thread)
			continue;
		ctx->quit = 0;
		ctx->exited = 0;
		if (pthread_create(&ctx->thread, NULL, saba_collector_main, ctx) != 0) {
			saba_err("%s: cannot start its collect thread", ctx->label);
			continue;
		}
		ctx->has_thread = 1;
	}
}

void saba_collector_tick(struct saba_instances *set, int64_t tick, int only_delta)
{
	for (int i = 0; i < set->n; i++) {
		struct saba_ctx *ctx = set->v[i];
		int64_t busy_since = 0;

		if (!ctx->has_thread)
			continue;
		if (only_delta && !(ctx->mod->desc.flags & SABA_PLUGIN_DELTA))
			continue;
		pthread_mutex_lock(&ctx->lock);
		if (ctx->want_tick != ctx->done_tick)
			busy_since = ctx->want_tick;
		else
			ctx->want_tick = tick;
		pthread_cond_signal(&ctx->cond);
		pthread_mutex_unlock(&ctx->lock);
		/* Say it once per stuck round, not once per tick. */
		if (busy_since != 0 && ctx->busy_warned != busy_since) {
			ctx->busy_warned = busy_since;
			saba_warn(
				"%s: still collecting the round of %lld; skipping rounds until it "
				"returns",
				ctx->label, (long long)busy_since);
		}
	}
}

static int saba_timed_wait(pthread_cond_t *c, pthread_mutex_t *m, int64_t deadline_ms)
{
	int64_t left = deadline_ms - saba_now_ms();
	struct timespec ts;

	if (left <= 0)
		return ETIMEDOUT;
	saba_abstime(CLOCK_REALTIME, left, &ts);
	return pthread_cond_timedwait(c, m, &ts);
}

int saba_collector_wait(struct saba_instances *set, int64_t deadline_ms)
{
	int busy = 0;

	for (int i = 0; i < set->n; i++) {
		struct saba_ctx *ctx = set->v[i];

		if (!ctx->has_thread)
			continue;
		pthread_mutex_lock(&ctx->lock);
		while (ctx->want_tick != ctx->done_tick)
			if (saba_timed_wait(&ctx->cond, &ctx->lock, deadline_ms) == ETIMEDOUT)
				break;
		if (ctx->want_tick != ctx->done_tick) {
			busy++;
			saba_warn("%s: collect did not return in time; its values are missing",
				  ctx->label);
		}
		pthread_mutex_unlock(&ctx->lock);
	}
	return busy;
}

void saba_collector_stop(struct saba_instances *set, int64_t deadline_ms)
{
	for (int i = 0; i < set->n; i++) {
		struct saba_ctx *ctx = set->v[i];

		if (!ctx->has_thread)
			continue;
		pthread_mutex_lock(&ctx->lock);
		ctx->quit = 1;
		/* Busy since before the stop: likely hung, so it gets only a
		 * short grace; an idle thread leaves at once anyway. */
		ctx->stop_by = ctx->want_tick != ctx->done_tick ? saba_now_ms() + 200 : deadline_ms;
		if (ctx->stop_by > deadline_ms)
			ctx->stop_by = deadline_ms;
		pthread_cond_broadcast(&ctx->cond);
		pthread_mutex_unlock(&ctx->lock);
	}
	for (int i = 0; i < set->n; i++) {
		struct saba_ctx *ctx = set->v[i];
		int exited;

		if (!ctx->has_thread)
			continue;
		pthread_mutex_lock(&ctx->lock);
		while (!ctx->exited)
			if (saba_timed_wait(&ctx->cond, &ctx->lock, ctx->stop_by) == ETIMEDOUT)
				break;
		exited = ctx->exited;
		pthread_mutex_unlock(&ctx->lock);
		if (!exited) {
			/* Still in collect(): never unload its code.  The thread
			 * stays joinable; destroy gives it one more chance after
			 * the plugin's stop(), which may be what ends it. */
			ctx->mod->pinned = 1;
			continue;
		}
		pthread_join(ctx->thread, NULL);
		ctx->has_thread = 0;
	}
}
