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
#endif

#define SABA_SPEC_INTERVAL_MS (3600 * 1000)

struct saba_reload;

struct saba_agent {
	struct saba_runtime rt;
	struct saba_instances set;
	struct saba_reload *reload; /* being prepared, or ready to apply */
	int reload_again;	    /* SIGHUP while one was being prepared */
	const struct saba_options *opts;
	struct saba_poster *poster;
#ifndef _WIN32
	pthread_t sig_thread;
	int has_sig_thread;
#endif
};

#ifndef _WIN32
/* Signals are taken synchronously by one thread; every other thread has
 * them blocked.  SIGUSR1 only ends that thread at exit. */
static void saba_signal_set(sigset_t *s)
{
	sigemptyset(s);
	sigaddset(s, SIGTERM);
	sigaddset(s, SIGINT);
	sigaddset(s, SIGHUP);
	sigaddset(s, SIGUSR1);
}

void saba_agent_block_signals(void)
{
	sigset_t sigs;

	saba_signal_set(&sigs);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
}

static void *saba_signal_main(void *arg)
{
	struct saba_runtime *rt = arg;
	int64_t first_stop = 0;
	sigset_t s;
	int sig;

	saba_signal_set(&s);
	for (;;) {
		if (sigwait(&s, &sig) != 0)
			continue;
		if (sig == SIGUSR1)
			break;
		pthread_mutex_lock(&rt->lock);
		if (sig == SIGHUP) {
			rt->reload_requested = 1;
		} else if (rt->stop_requested && saba_now_ms() - first_stop < 1000) {
			/* The same stop delivered twice (to the process and to its
			 * group, as timeout(1) and some init scripts do). */
		} else if (rt->stop_requested) {
			static const char msg[] = "saba-agent: second signal, exiting at once\n";

			if (write(STDERR_FILENO, msg, sizeof(msg) - 1) < 0)
				_exit(1);
			_exit(1);
		} else {
			rt->stop_requested = 1;
			first_stop = saba_now_ms();
		}
		pthread_cond_broadcast(&rt->wake);
		pthread_mutex_unlock(&rt->lock);
	}
	return NULL;
}
#endif

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
 * The new config is prepared off the main thread, which keeps collecting
 * and posting meanwhile: loaded, its instances created and started, its
 * host spec built, every plugin hook bounded.  The main thread swaps it
 * in once it is ready.
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
	/* rt->conf changes only when the main thread applies this reload. */
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

/* Ticks on wall-clock multiples of interval; each tick's values are sealed
 * into a batch at a per-host offset so a fleet does not post at once. */
static void saba_agent_loop(struct saba_agent *a)
{
	struct saba_runtime *rt = &a->rt;
	int interval = rt->conf->interval;
	uint64_t h = saba_hash(rt->host_id);
	int64_t span, offset, next_tick, next_seal = 0;
	int64_t next_spec = saba_now_ms() + SABA_SPEC_INTERVAL_MS;
	int retired_seen = 0;

	span = (interval < 60 ? interval : 60) * 1000;
	offset = span <= 1000 ? 500 : 500 + (int64_t)(h % (uint64_t)(span - 1000));
	next_tick = (saba_wall_ms() / 1000 / interval + 1) * interval;
	saba_info("collecting every %d s; posting %.1f s after each tick", interval,
		  (double)offset / 1000);
	for (;;) {
		int64_t now, wake;
		int stop, reload, ready, retired;

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
			if (!retired_seen)
				saba_notice("host retired: collection and posting stopped; waiting "
					    "to be stopped");
			retired_seen = 1;
			saba_agent_sleep(rt, 3600 * 1000, 1);
			continue;
		}
		if (reload)
			saba_agent_reload_start(a);
		if (ready) {
			saba_agent_reload_apply(a);
			if (a->reload_again)
				saba_agent_reload_start(a);
			if (rt->conf->interval != interval) {
				interval = rt->conf->interval;
				next_tick = (saba_wall_ms() / 1000 / interval + 1) * interval;
			}
		}
		now = saba_wall_ms();
		if (now >= next_tick * 1000) {
			saba_collector_tick(&a->set, next_tick, 0);
			next_seal = next_tick * 1000 + offset;
			/* After a stall (suspend, clock step) skip to the next tick. */
			next_tick = (now / 1000 / interval + 1) * interval;
		}
		if (next_seal != 0 && now >= next_seal) {
			saba_queue_seal(rt->queue, now / 1000);
			saba_poster_wake(a->poster);
			next_seal = 0;
		}
		if (saba_now_ms() >= next_spec) {
			saba_poster_update_spec(a->poster, saba_spec_build(rt->conf, &a->set));
#ifdef __GLIBC__
			/* Give memory freed by an hour's rounds back to the
			 * system: per-thread arenas otherwise creep up. */
			malloc_trim(0);
#endif
			next_spec += SABA_SPEC_INTERVAL_MS;
		}
		wake = next_tick * 1000;
		if (next_seal != 0 && next_seal < wake)
			wake = next_seal;
		saba_agent_sleep(rt, wake - saba_wall_ms(), 0);
	}
}

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
	saba_agent_loop(a);
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
	saba_agent_block_signals(); /* main() did already; a service host may not have */
#endif
	a->opts = o;
	saba_runtime_init(rt);
	/* Signals are heard from the first instant: a plugin hook that hangs
	 * while the agent starts must not make it ignore SIGTERM. */
#ifdef _WIN32
	saba_console_start(rt);
#else
	if (pthread_create(&a->sig_thread, NULL, saba_signal_main, rt) == 0)
		a->has_sig_thread = 1;
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
	if (a->has_sig_thread) {
		pthread_kill(a->sig_thread, SIGUSR1);
		pthread_join(a->sig_thread, NULL);
	}
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
