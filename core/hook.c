/*
 * Plugin hooks the main thread waits for (create, start, stop, destroy,
 * host_spec, shutdown), bounded: each runs on a thread of its own while
 * the main thread waits for it, at most a bound, and less when a stop was
 * asked for and the caller may give up then.  A hook that outlives its
 * wait keeps running, left alone: the caller abandons its instance (never
 * destroyed, module pinned) and carries on, so a hung plugin never holds
 * the agent's start, a reload or a stop.
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include "crash.h"
#include "hook.h"
#include "log.h"
#include "util.h"

struct saba_hook_call {
	pthread_mutex_t lock;
	pthread_cond_t done_cond; /* monotonic */
	int done;
	int refs; /* the waiter and the thread; the last one frees */
	const char *label, *hook;
	saba_hook_fn fn;
	void *arg;
};

static void saba_hook_unref(struct saba_hook_call *c)
{
	int last;

	pthread_mutex_lock(&c->lock);
	last = --c->refs == 0;
	pthread_mutex_unlock(&c->lock);
	if (!last)
		return;
	pthread_cond_destroy(&c->done_cond);
	pthread_mutex_destroy(&c->lock);
	free(c);
}

static void *saba_hook_main(void *arg)
{
	struct saba_hook_call *c = arg;
	struct saba_crash_frame cf;

	saba_crash_enter(&cf, c->label, c->hook);
	c->fn(c->arg);
	saba_crash_leave(&cf);
	pthread_mutex_lock(&c->lock);
	c->done = 1;
	pthread_cond_broadcast(&c->done_cond);
	pthread_mutex_unlock(&c->lock);
	saba_hook_unref(c);
	return NULL;
}

int saba_hook_run(const char *label, const char *hook, saba_hook_fn fn, void *arg,
		  int64_t timeout_ms, int (*give_up)(void *), void *give_up_arg)
{
	struct saba_hook_call *c = saba_calloc(1, sizeof(*c));
	int64_t deadline = saba_now_ms() + timeout_ms;
	pthread_condattr_t ca;
	pthread_t t;
	int done, started;

	*c = (struct saba_hook_call){.refs = 2, .label = label, .hook = hook, .fn = fn, .arg = arg};
	pthread_mutex_init(&c->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&c->done_cond, &ca);
	pthread_condattr_destroy(&ca);
	started = pthread_create(&t, NULL, saba_hook_main, c) == 0;
	if (!started) {
		/* No thread to spare: the hook runs here, unbounded. */
		struct saba_crash_frame cf;

		saba_crash_enter(&cf, label, hook);
		fn(arg);
		saba_crash_leave(&cf);
		c->refs = 1;
		saba_hook_unref(c);
		return 0;
	}
	/* The stop request is polled: a few times a second is enough. */
	for (;;) {
		pthread_mutex_lock(&c->lock);
		done = c->done;
		if (!done && saba_now_ms() < deadline) {
			struct timespec ts;
			int64_t left = deadline - saba_now_ms();

			saba_abstime(CLOCK_MONOTONIC, left < 200 ? left : 200, &ts);
			pthread_cond_timedwait(&c->done_cond, &c->lock, &ts);
			done = c->done;
		}
		pthread_mutex_unlock(&c->lock);
		if (done || saba_now_ms() >= deadline || (give_up != NULL && give_up(give_up_arg)))
			break;
	}
	/* A thread that is done is joined, so none is still ending while the
	 * agent exits (LeakSanitizer's exit check stops every thread; a stop
	 * with it set up that way failed once in CI, cause not proven). */
	if (done) {
		pthread_join(t, NULL);
	} else {
		pthread_detach(t);
		saba_err("%s: %s() did not return within %.0f s%s; leaving it running and the "
			 "instance alone",
			 label, hook, (double)timeout_ms / 1000,
			 saba_now_ms() < deadline ? " before the stop" : "");
	}
	saba_hook_unref(c);
	return done ? 0 : -1;
}
