#include "config.h"

#include <pthread.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "agent.h"
#include "collector.h"
#include "conf.h"
#include "crash.h"
#include "hook.h"
#include "http.h"
#include "idfile.h"
#include "instance.h"
#include "lock.h"
#include "log.h"
#include "notify.h"
#include "metadata.h"
#include "outbox.h"
#include "pidfile.h"
#include "poster.h"
#include "queue.h"
#include "register.h"
#include "retire.h"
#include "spec.h"
#include "util.h"
#ifdef _WIN32
#include "os/win32/console.h"
#else
#include "signals.h"
#include "takeover.h"
#endif

#define SABA_SPEC_INTERVAL_MS (3600 * 1000)
#define SABA_FIRST_ROUND_MS   250

struct saba_reload;

struct saba_agent {
	struct saba_runtime rt;
	struct saba_instances set;
	struct saba_reload *reload; /* being prepared, or ready to apply */
	int reload_again;	    /* SIGHUP while one was being prepared */
	const struct saba_options *opts;
	struct saba_poster *poster;
	/* The loop's state: here, not on a thread's stack, so that another
	 * loop thread can take over (core/takeover.h). */
	int interval;
	int64_t offset, next_tick, next_seal, next_spec;
	int first_done, retired_seen;
#ifndef _WIN32
	struct saba_signals sig;
	struct saba_takeover *takeover; /* NULL: the loop runs on the calling thread */
	pthread_t main_thread;		/* takes the signals while the loop thread runs */
	int loop_over;			/* under rt.lock */
#endif
};

/* Wait on the runtime until the monotonic deadline or any news. */
static void saba_agent_sleep(struct saba_runtime *rt, int64_t ms, int retired_seen)
{
	struct timespec ts;

	if (ms <= 0)
		return;
	saba_abstime(CLOCK_MONOTONIC, ms, &ts);
	pthread_mutex_lock(&rt->lock);
	while (!rt->stop_requested && !rt->reload_requested && !rt->reload_ready &&
	       rt->retired == retired_seen)
		if (pthread_cond_timedwait(&rt->wake, &rt->lock, &ts) != 0)
			break;
	pthread_mutex_unlock(&rt->lock);
}

static int saba_agent_should_abort(void *arg)
{
	return saba_runtime_stopping(arg);
}

/*
 * SIGHUP.  One rule for every setting: the new file applies at once, all
 * of it, except what says which host this is and where it is registered
 * (root, apibase, registration.token): those keep their running values
 * until the next start, and the log names each one that changed.  A new
 * config replaces the old only when it loads and every plugin instance is
 * created; otherwise the old one keeps running.
 *
 * The new config is prepared off the loop thread, which keeps collecting
 * and posting meanwhile: loaded, its instances created and started, its
 * host spec built, every plugin hook bounded.  The loop thread swaps it in
 * once it is ready.
 */
struct saba_reload {
	struct saba_agent *a;
	pthread_t thread;
	struct saba_conf *nc;
	struct saba_instances fresh;
	json_t *spec;
	int ok;
};

static void saba_reload_keep(const char *name, const char *running, char **next)
{
	if (strcmp(running, *next) == 0)
		return;
	saba_warn("%s changed to \"%s\"; that takes effect at the next start (the agent keeps "
		  "\"%s\" until then)",
		  name, *next, running);
	free(*next);
	*next = saba_strdup(running);
}

static void saba_reload_keep_identity(const struct saba_conf *run, struct saba_conf *nc)
{
	saba_reload_keep("root", run->root, &nc->root);
	saba_reload_keep("apibase", run->apibase, &nc->apibase);
	if (nc->registration_token != run->registration_token) {
		saba_warn("registration.token changed; that takes effect at the next start");
		nc->registration_token = run->registration_token;
	}
}

static void *saba_reload_main(void *arg)
{
	struct saba_reload *r = arg;
	struct saba_agent *a = r->a;
	struct saba_runtime *rt = &a->rt;

	saba_notice("SIGHUP: reloading %s", a->opts->config);
	/* rt->conf changes only when the loop thread applies this reload. */
	if (saba_conf_load(a->opts->config, &a->opts->ov, &r->nc) > 0) {
		r->nc = NULL;
	} else {
		saba_reload_keep_identity(rt->conf, r->nc);
		r->ok = saba_instances_create(rt, r->nc, &r->fresh) == 0;
	}
	if (r->ok) {
		saba_instances_start(&r->fresh);
		r->spec = saba_spec_build(r->nc, &r->fresh);
	} else {
		saba_err("reload failed; keeping the running configuration");
		saba_conf_free(r->nc);
		r->nc = NULL;
	}
	pthread_mutex_lock(&rt->lock);
	rt->reload_ready = 1;
	pthread_cond_broadcast(&rt->wake);
	pthread_mutex_unlock(&rt->lock);
	return NULL;
}

static void saba_agent_reload_start(struct saba_agent *a)
{
	struct saba_reload *r;

	if (a->reload != NULL) {
		a->reload_again = 1; /* once this one is applied: the file changed again */
		return;
	}
	a->reload_again = 0;
	r = saba_calloc(1, sizeof(*r));
	r->a = a;
	saba_notify("RELOADING=1");
	if (pthread_create(&r->thread, NULL, saba_reload_main, r) != 0) {
		saba_err("cannot reload: no thread; keeping the running configuration");
		saba_notify("READY=1");
		free(r);
		return;
	}
	a->reload = r;
}

/* Wait for the reload thread and take its result (NULL: none). */
static struct saba_reload *saba_agent_reload_join(struct saba_agent *a)
{
	struct saba_reload *r = a->reload;

	if (r == NULL)
		return NULL;
	pthread_join(r->thread, NULL);
	a->reload = NULL;
	pthread_mutex_lock(&a->rt.lock);
	a->rt.reload_ready = 0;
	pthread_mutex_unlock(&a->rt.lock);
	return r;
}

static void saba_agent_reload_apply(struct saba_agent *a)
{
	struct saba_reload *r = saba_agent_reload_join(a);
	struct saba_runtime *rt = &a->rt;
	struct saba_conf *nc;

	if (r == NULL)
		return;
	if (r->ok) {
		nc = r->nc;
		saba_collector_stop(&a->set, saba_now_ms() + 2000);
		saba_instances_stop(&a->set);
		saba_instances_destroy(&a->set);
		a->set = r->fresh;
		saba_runtime_set_conf(rt, nc); /* the old one goes with its last reader */
		saba_conf_apply_log_level(nc);
		saba_queue_set_limits(rt->queue, (size_t)(nc->queue_max_age / nc->interval) + 1,
				      (size_t)nc->queue_max_bytes);
		saba_collector_start(&a->set);
#ifndef _WIN32
		saba_collector_inline(&a->set, a->takeover != NULL);
#endif
		saba_poster_update_spec(a->poster, r->spec);
		saba_notice("configuration reloaded: %d plugin instances", a->set.n);
	}
	saba_notify("READY=1");
	free(r);
}

/* At a stop: a reload still in the making is dropped. */
static void saba_agent_reload_cancel(struct saba_agent *a)
{
	struct saba_reload *r = saba_agent_reload_join(a);

	if (r == NULL)
		return;
	if (r->ok) {
		saba_instances_stop(&r->fresh);
		saba_instances_destroy(&r->fresh);
		json_decref(r->spec);
		saba_conf_free(r->nc);
	}
	free(r);
}

/* The quick instances' rounds, on the loop thread when it collects
 * itself.  Returns 1 when another loop thread took over meanwhile. */
static int saba_agent_drain(struct saba_agent *a, struct saba_takeover *t, unsigned gen)
{
#ifndef _WIN32
	if (t != NULL)
		return saba_collector_drain(&a->set, t, gen);
#else
	(void)a, (void)t, (void)gen;
#endif
	return 0;
}

/* What waits to be posted, when the loop thread posts itself: guarded
 * until the next tick, so a slow API never delays a round.  Returns 1 when
 * taken over. */
static int saba_agent_post(struct saba_agent *a, struct saba_takeover *t, unsigned gen)
{
#ifndef _WIN32
	int64_t due = saba_poster_due(a->poster), budget;

	if (t == NULL || due == 0 || saba_now_ms() < due)
		return 0;
	budget = a->next_tick * 1000 - saba_wall_ms();
	saba_takeover_enter(t, budget > 250 ? budget : 250);
	saba_poster_work(a->poster);
	return saba_takeover_leave(t, gen);
#else
	(void)a, (void)t, (void)gen;
	return 0;
#endif
}

/* Values that need no earlier sample are collected and posted at once,
 * rather than a tick and the posting offset later.  Returns 1 when taken
 * over. */
static int saba_agent_first_round(struct saba_agent *a, struct saba_takeover *t, unsigned gen)
{
	struct saba_runtime *rt = &a->rt;
	int interval = rt->conf->interval;

	a->first_done = 1;
	if (saba_runtime_stopping(rt))
		return 0;
	/* Stamped with the tick just passed, as every value is on a tick. */
	saba_collector_tick(&a->set, saba_wall_ms() / 1000 / interval * interval, SABA_ROUND_PLAIN);
	if (saba_agent_drain(a, t, gen))
		return 1;
	/* A slow one's values go with the next batch; rounds behind a hung
	 * one get runners of their own. */
	saba_collector_settle(&a->set, saba_now_ms() + SABA_FIRST_ROUND_MS);
	if (saba_queue_staged(rt->queue) > 0) {
		saba_queue_seal(rt->queue, saba_wall_ms() / 1000);
		saba_poster_wake(a->poster);
	}
	return 0;
}

/* Ticks on wall-clock multiples of interval; each tick's values are sealed
 * into a batch at a per-host offset so a fleet does not post at once. */
static void saba_agent_loop_init(struct saba_agent *a)
{
	struct saba_runtime *rt = &a->rt;
	uint64_t h = saba_hash(rt->host_id);
	int64_t span;

	a->interval = rt->conf->interval;
	span = (a->interval < 60 ? a->interval : 60) * 1000;
	a->offset = span <= 1000 ? 500 : 500 + (int64_t)(h % (uint64_t)(span - 1000));
	a->next_tick = (saba_wall_ms() / 1000 / a->interval + 1) * a->interval;
	a->next_spec = saba_now_ms() + SABA_SPEC_INTERVAL_MS;
	saba_info("collecting every %d s; posting %.1f s after each tick", a->interval,
		  (double)a->offset / 1000);
}

/* The loop, on the calling thread; t (may be NULL) guards its own rounds
 * and posts, gen is this thread's.  Returns 1 when another loop thread
 * took over: the caller then touches nothing of the agent's. */
static int saba_agent_loop(struct saba_agent *a, struct saba_takeover *t, unsigned gen)
{
	struct saba_runtime *rt = &a->rt;

	if (!a->first_done && saba_agent_first_round(a, t, gen))
		return 1;
	for (;;) {
		int64_t now, wake, due;
		int stop, reload, ready, retired;

		/* Rounds a thread taken over left, or this tick's. */
		if (saba_agent_drain(a, t, gen) || saba_agent_post(a, t, gen))
			return 1;
		pthread_mutex_lock(&rt->lock);
		stop = rt->stop_requested;
		reload = rt->reload_requested;
		rt->reload_requested = 0;
		ready = rt->reload_ready;
		retired = rt->retired;
		pthread_mutex_unlock(&rt->lock);
		if (stop)
			break;
		if (retired) {
			if (!a->retired_seen)
				saba_notice("host retired: collection and posting stopped; waiting "
					    "to be stopped");
			a->retired_seen = 1;
			saba_agent_sleep(rt, 3600 * 1000, 1);
			continue;
		}
		if (reload)
			saba_agent_reload_start(a);
		if (ready) {
			saba_agent_reload_apply(a);
			if (a->reload_again)
				saba_agent_reload_start(a);
			if (rt->conf->interval != a->interval) {
				a->interval = rt->conf->interval;
				a->next_tick =
					(saba_wall_ms() / 1000 / a->interval + 1) * a->interval;
			}
		}
		now = saba_wall_ms();
		if (now >= a->next_tick * 1000) {
			saba_collector_tick(&a->set, a->next_tick, SABA_ROUND_ALL);
			a->next_seal = a->next_tick * 1000 + a->offset;
			/* After a stall (suspend, clock step) skip to the next tick. */
			a->next_tick = (now / 1000 / a->interval + 1) * a->interval;
			if (saba_agent_drain(a, t, gen))
				return 1;
			now = saba_wall_ms();
		}
		if (a->next_seal != 0 && now >= a->next_seal) {
			saba_queue_seal(rt->queue, now / 1000);
			saba_poster_wake(a->poster);
			a->next_seal = 0;
			if (saba_agent_post(a, t, gen))
				return 1;
		}
		if (saba_now_ms() >= a->next_spec) {
			saba_poster_update_spec(a->poster, saba_spec_build(rt->conf, &a->set));
#ifdef __GLIBC__
			/* Give memory freed by an hour's rounds back to the
			 * system: per-thread arenas otherwise creep up. */
			malloc_trim(0);
#endif
			a->next_spec += SABA_SPEC_INTERVAL_MS;
		}
		due = saba_collector_due(&a->set);
		if (due != 0 && saba_now_ms() >= due) {
			saba_collector_poll(&a->set);
			due = saba_collector_due(&a->set);
		}
		wake = a->next_tick * 1000;
		if (a->next_seal != 0 && a->next_seal < wake)
			wake = a->next_seal;
		wake -= saba_wall_ms();
		if (due != 0 && due - saba_now_ms() < wake)
			wake = due - saba_now_ms();
#ifndef _WIN32
		due = t != NULL ? saba_poster_due(a->poster) : 0;
		if (due != 0 && due - saba_now_ms() < wake)
			wake = due - saba_now_ms();
#endif
		saba_agent_sleep(rt, wake, 0);
	}
	return 0;
}

#ifndef _WIN32
static void *saba_agent_loop_main(void *arg)
{
	struct saba_agent *a = arg;
	struct saba_takeover *t = a->takeover;
	unsigned gen = saba_takeover_gen(t);

	if (saba_agent_loop(a, t, gen))
		return NULL; /* taken over: a may be gone */
	pthread_mutex_lock(&a->rt.lock);
	a->loop_over = 1;
	pthread_mutex_unlock(&a->rt.lock);
	pthread_kill(a->main_thread, SIGUSR1);
	return NULL;
}

/* The main thread while the loop thread runs: signals, and a new loop
 * thread when the current one overran its guarded work (or at the stop, so
 * the loop sees it at once).  Returns once the loop is over. */
static void saba_agent_supervise(struct saba_agent *a)
{
	sigset_t s;
	int sig, over = 0;

	saba_signals_set(&s);
	while (!over) {
		if (sigwait(&s, &sig) != 0)
			continue;
		if (sig == SABA_TAKEOVER_SIGNAL) {
			saba_takeover_check(a->takeover, 0);
		} else if (sig == SIGUSR1) {
			pthread_mutex_lock(&a->rt.lock);
			over = a->loop_over; /* else sent from outside */
			pthread_mutex_unlock(&a->rt.lock);
		} else {
			saba_signals_take(&a->sig, sig);
			if (saba_runtime_stopping(&a->rt))
				saba_takeover_check(a->takeover, 1);
		}
	}
}

/* The loop on a thread of its own that collects and posts itself, while
 * this (main) thread takes the signals in the signal thread's stead: two
 * threads at rest, none started per tick.  Returns 0 once the loop is
 * over, -1 when that cannot be set up (nothing was started). */
static int saba_agent_loop_apart(struct saba_agent *a)
{
	if (!a->sig.has_thread)
		return -1;
	a->main_thread = pthread_self();
	a->takeover = saba_takeover_new(saba_agent_loop_main, a);
	if (a->takeover == NULL)
		return -1;
	saba_signals_end(&a->sig);
	saba_collector_inline(&a->set, 1);
	saba_poster_inline(a->poster, 1);
	if (saba_takeover_begin(a->takeover) == 0)
		saba_agent_supervise(a);
	saba_collector_inline(&a->set, 0);
	saba_poster_inline(a->poster, 0);
	saba_takeover_destroy(a->takeover);
	a->takeover = NULL;
	/* The stop that follows (or the loop here, when no loop thread could
	 * be started) still hears signals. */
	saba_signals_start(&a->sig);
	return a->loop_over ? 0 : -1;
}
#endif

/* Every trigger's say, one after the other (on the hook's thread), over
 * a copy of the instance list: a hook left running keeps its copy. */
static void saba_shutdown_hooks(void *arg)
{
	struct saba_instances *set = arg;

	for (int i = 0; i < set->n; i++) {
		struct saba_ctx *ctx = set->v[i];
		struct saba_crash_frame cf;
		int kind;

		if (ctx->mod->desc.shutdown == NULL || ctx->abandoned)
			continue;
		saba_crash_enter(&cf, ctx->label, "shutdown");
		kind = ctx->mod->desc.shutdown(ctx->state);
		saba_crash_leave(&cf);
		saba_info("%s: classified this stop as %s", ctx->label, saba_stop_kind_name(kind));
	}
}

/* Give every trigger its say, bounded by the retire budget: a hook that
 * hangs must not hold the stop. */
static void saba_agent_shutdown_hooks(struct saba_agent *a)
{
	struct saba_runtime *rt = &a->rt;
	int64_t budget = (int64_t)(rt->conf->retire_timeout + 5) * 1000;
	struct saba_instances *copy;
	int any = 0;

	for (int i = 0; i < a->set.n; i++)
		any |= a->set.v[i]->mod->desc.shutdown != NULL && !a->set.v[i]->abandoned;
	if (!any)
		return;
	pthread_mutex_lock(&rt->lock);
	rt->shutdown_deadline_ms = saba_now_ms() + budget;
	pthread_mutex_unlock(&rt->lock);
	copy = saba_calloc(1, sizeof(*copy));
	copy->n = a->set.n;
	copy->v = saba_calloc((size_t)a->set.n + 1, sizeof(*copy->v));
	memcpy(copy->v, a->set.v, (size_t)a->set.n * sizeof(*copy->v));
	if (saba_hook_run("shutdown triggers", "shutdown", saba_shutdown_hooks, copy, budget, NULL,
			  NULL) == 0) {
		free(copy->v);
		free(copy);
		return;
	}
	/* The hooks' thread still uses the instances: leave them alone. */
	for (int i = 0; i < a->set.n; i++)
		if (a->set.v[i]->mod->desc.shutdown != NULL)
			a->set.v[i]->mod->pinned = a->set.v[i]->abandoned = 1;
}

static void saba_agent_stop(struct saba_agent *a)
{
	struct saba_runtime *rt = &a->rt;
	int64_t t0 = saba_now_ms(), deadline, flush_by;
	int capped, on_stop;

	saba_notify("STOPPING=1");
	saba_notice("stopping");
	saba_collector_stop(&a->set, saba_now_ms() + 1000);
	saba_queue_seal(rt->queue, saba_wall_ms() / 1000);
	saba_agent_shutdown_hooks(a);
	deadline = saba_now_ms() + (int64_t)rt->conf->shutdown_timeout * 1000;
	/* After a retire attempt the host is going away: the whole stop keeps
	 * to retire.timeout + 1 s, even when the API does not answer. */
	capped = saba_retire_reached_api(rt->retire);
	if (capped && deadline > t0 + (int64_t)rt->conf->retire_timeout * 1000)
		deadline = t0 + (int64_t)rt->conf->retire_timeout * 1000;
	/* shutdown.timeout bounds the flush and on_stop together: on_stop
	 * keeps half of it (at most 5 s) for itself. */
	on_stop = !rt->retired && rt->conf->on_stop != NULL;
	flush_by = deadline;
	if (on_stop && deadline > saba_now_ms()) {
		int64_t half = (deadline - saba_now_ms()) / 2;

		flush_by -= half < 5000 ? half : 5000;
	}
	saba_poster_finish(a->poster, rt->retired ? saba_now_ms() : flush_by);
	a->poster = NULL;
	if (!rt->retired && saba_queue_length(rt->queue) > 0)
		saba_warn("%zu batches of metrics were not posted", saba_queue_length(rt->queue));
	if (on_stop && deadline > saba_now_ms()) {
		struct saba_http *h = saba_runtime_http(rt);

		if (h != NULL)
			saba_register_status(rt, h, rt->conf->on_stop, 1, deadline);
		saba_http_free(h);
	}
}

static int saba_agent_start(struct saba_agent *a)
{
	struct saba_runtime *rt = &a->rt;
	struct saba_http *h = saba_runtime_http(rt);
	json_t *spec = NULL;
	int rc = 1;

	if (h == NULL)
		goto out;
	/* Registration may retry for minutes: a stop ends it at once. */
	saba_http_set_abort(h, saba_agent_should_abort, rt);
	spec = saba_spec_build(rt->conf, &a->set);
	if (saba_register(rt, h, spec) != 0)
		goto out;
	saba_register_update_spec(rt, h, spec);
	if (rt->conf->on_start != NULL)
		saba_register_status(rt, h, rt->conf->on_start, 5, 0);
	rc = 0;
out:
	json_decref(spec);
	saba_http_free(h);
	return rc;
}

/* Register, collect and post until a stop, then stop: the part of `run`
 * a service host (--service) runs from its service main.  Returns the
 * exit status. */
static int saba_agent_body(void *arg)
{
	struct saba_agent *a = arg;
	struct saba_runtime *rt = &a->rt;

	if (saba_agent_start(a) != 0) {
		if (!saba_runtime_stopping(rt))
			return 1;
		/* The host is not confirmed yet (a copied image may carry
		 * another machine's id file): no trigger is asked. */
		saba_notice("stopped before start-up finished; the host is not confirmed, so no "
			    "trigger is asked and nothing is retired");
		return 0;
	}
	saba_instances_start(&a->set);
	saba_collector_start(&a->set);
	a->poster = saba_poster_start(rt);
	if (a->poster == NULL)
		return 1;
	saba_agent_loop_init(a);
#ifndef _WIN32
	if (saba_agent_loop_apart(a) != 0)
#endif
		saba_agent_loop(a, NULL, 0);
	saba_agent_reload_cancel(a);
	saba_agent_stop(a);
	return 0;
}

/* A service host's stop: what SIGTERM does. */
static void saba_agent_request_stop(void *arg)
{
	struct saba_runtime *rt = &((struct saba_agent *)arg)->rt;

	pthread_mutex_lock(&rt->lock);
	rt->stop_requested = 1;
	pthread_cond_broadcast(&rt->wake);
	pthread_mutex_unlock(&rt->lock);
}

/* --service: the first enabled plugin that can host a service (Windows:
 * windows_scm) runs the body from its service main. */
static int saba_agent_serve(struct saba_agent *a)
{
	for (int i = 0; i < a->set.n; i++) {
		struct saba_ctx *ctx = a->set.v[i];

		if (ctx->mod->desc.service_main != NULL)
			return ctx->mod->desc.service_main(ctx->state, saba_agent_body,
							   saba_agent_request_stop, a);
	}
	saba_err("--service: no enabled plugin can host a service (on Windows, enable "
		 "windows_scm in %s)",
		 a->opts->config);
	return 2;
}

int saba_agent_run(const struct saba_options *o)
{
	struct saba_agent *a = saba_calloc(1, sizeof(*a));
	struct saba_runtime *rt = &a->rt;
	struct saba_conf *conf = NULL;
	char *pidfile = NULL; /* a copy: a reload frees the config it came from */
	char err[1024], *mdir;
	int rc = 2, lock_fd = -1, how;

#ifndef _WIN32
	saba_signals_block(); /* main() did already; a service host may not have */
#endif
	a->opts = o;
	saba_runtime_init(rt);
#ifndef _WIN32
	a->sig.rt = rt;
#endif
	/* Signals are heard from the first instant: a plugin hook that hangs
	 * while the agent starts must not make it ignore SIGTERM. */
#ifdef _WIN32
	saba_console_start(rt);
#else
	saba_signals_start(&a->sig);
#endif
	if (saba_conf_load(o->config, &o->ov, &conf) > 0)
		goto out;
	saba_conf_apply_log_level(conf);
	rt->conf = conf;
	rt->dry_run = o->dry_run;
	rt->command = "run";
	if (!o->dry_run && saba_conf_apikey(conf) == NULL)
		goto out;
	/* The root holds the id: made and checked, and this agent's alone. */
	how = saba_root_prepare(conf->root, !o->dry_run, err, sizeof(err));
	if (how < 0) {
		saba_err("%s", err);
		rc = how == -1 ? 1 : 2;
		goto out;
	}
	if (!o->dry_run && saba_lock_root(conf->root, &lock_fd, err, sizeof(err)) != 0) {
		saba_err("%s", err);
		rc = 1;
		goto out;
	}
	if (conf->pidfile != NULL) {
		if (saba_pidfile_create(conf->pidfile, err, sizeof(err)) != 0) {
			saba_err("%s", err);
			rc = 1;
			goto out;
		}
		pidfile = saba_strdup(conf->pidfile);
	}
	rt->retire = saba_retire_new();
	rt->queue = saba_queue_new((size_t)(conf->queue_max_age / conf->interval) + 1);
	saba_queue_set_limits(rt->queue, (size_t)(conf->queue_max_age / conf->interval) + 1,
			      (size_t)conf->queue_max_bytes);
	rt->outbox = saba_outbox_new();
	mdir = saba_asprintf("%s/metadata", conf->root);
	rt->metadata = saba_metadata_new(mdir);
	free(mdir);
	rt->instances = &a->set;
	if (!o->dry_run)
		saba_http_preload();
	if (saba_instances_create(rt, conf, &a->set) > 0) {
		if (saba_runtime_stopping(rt)) {
			saba_notice("stopped while the plugins were being created; nothing was "
				    "registered or retired");
			rc = 0;
		}
		goto out;
	}
	/* Ready once configured: registration may wait minutes for the API,
	 * and boot (multi-user.target) must not wait with it. */
	saba_notify("READY=1");
	rc = o->service ? saba_agent_serve(a) : saba_agent_body(a);
out:
	if (a->poster != NULL)
		saba_poster_finish(a->poster, saba_now_ms());
	saba_collector_stop(&a->set, saba_now_ms() + 1000);
	saba_instances_stop(&a->set);
	saba_instances_destroy(&a->set);
#ifdef _WIN32
	saba_console_stop();
#else
	saba_signals_end(&a->sig);
#endif
	saba_queue_free(rt->queue);
	saba_outbox_free(rt->outbox);
	saba_metadata_free(rt->metadata);
	saba_retire_free(rt->retire);
	if (pidfile != NULL)
		saba_pidfile_remove(pidfile);
	free(pidfile);
	saba_conf_free(rt->conf != NULL ? rt->conf : conf);
	saba_runtime_destroy(rt);
	saba_lock_release(lock_fd);
	free(a);
	return rc;
}
