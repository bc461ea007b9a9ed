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
#include "http.h"
#include "instance.h"
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

struct saba_agent {
	struct saba_runtime rt;
	struct saba_instances set;
	struct saba_conf **old_confs; /* kept until exit: threads may still read them */
	int nold;
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
	while (!rt->stop_requested && !rt->reload_requested && rt->retired == retired_seen)
		if (pthread_cond_timedwait(&rt->wake, &rt->lock, &ts) != 0)
			break;
	pthread_mutex_unlock(&rt->lock);
}

static int saba_agent_should_abort(void *arg)
{
	return saba_runtime_stopping(arg);
}

/* SIGHUP: a new config replaces the old only when it loads and every
 * plugin instance is created; otherwise the old one keeps running. */
static void saba_agent_reload(struct saba_agent *a)
{
	struct saba_runtime *rt = &a->rt;
	struct saba_instances fresh = {0};
	struct saba_conf *nc = NULL;

	saba_notify("RELOADING=1");
	saba_notice("SIGHUP: reloading %s", a->opts->config);
	if (saba_conf_load(a->opts->config, &a->opts->ov, &nc) > 0 ||
	    saba_instances_create(rt, nc, &fresh) > 0) {
		saba_err("reload failed; keeping the running configuration");
		saba_conf_free(nc);
		goto out;
	}
	if (strcmp(nc->apibase, rt->conf->apibase) != 0 || strcmp(nc->root, rt->conf->root) != 0)
		saba_warn("apibase and root changes take effect at the next start");
	saba_collector_stop(&a->set, saba_now_ms() + 2000);
	saba_instances_stop(&a->set);
	saba_instances_destroy(&a->set);
	a->set = fresh;
	a->old_confs = saba_realloc(a->old_confs, (size_t)(a->nold + 1) * sizeof(*a->old_confs));
	pthread_mutex_lock(&rt->lock);
	a->old_confs[a->nold++] = rt->conf;
	rt->conf = nc;
	pthread_mutex_unlock(&rt->lock);
	saba_conf_apply_log_level(nc);
	saba_instances_start(&a->set);
	saba_collector_start(&a->set);
	saba_poster_update_spec(a->poster, saba_spec_build(nc, &a->set));
	saba_notice("configuration reloaded: %d plugin instances", a->set.n);
out:
	saba_notify("READY=1");
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
		int stop, reload, retired;

		pthread_mutex_lock(&rt->lock);
		stop = rt->stop_requested;
		reload = rt->reload_requested;
		rt->reload_requested = 0;
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
		if (reload) {
			saba_agent_reload(a);
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

struct saba_hooks {
	struct saba_instances *set;
	pthread_mutex_t lock;
	pthread_cond_t done_cond;
	int done;
};

static void *saba_hooks_main(void *arg)
{
	struct saba_hooks *hk = arg;

	for (int i = 0; i < hk->set->n; i++) {
		struct saba_ctx *ctx = hk->set->v[i];
		struct saba_crash_frame cf;
		int kind;

		if (ctx->mod->desc.shutdown == NULL)
			continue;
		saba_crash_enter(&cf, ctx->label, "shutdown");
		kind = ctx->mod->desc.shutdown(ctx->state);
		saba_crash_leave(&cf);
		saba_info("%s: classified this stop as %s", ctx->label, saba_stop_kind_name(kind));
	}
	pthread_mutex_lock(&hk->lock);
	hk->done = 1;
	pthread_cond_broadcast(&hk->done_cond);
	pthread_mutex_unlock(&hk->lock);
	return NULL;
}

/* Give every trigger its say, on a worker thread, bounded by the retire
 * budget: a hook that hangs must not hold the stop. */
static void saba_agent_shutdown_hooks(struct saba_agent *a)
{
	struct saba_runtime *rt = &a->rt;
	struct saba_hooks *hk;
	struct timespec ts;
	pthread_t t;
	int any = 0, done;

	for (int i = 0; i < a->set.n; i++)
		any |= a->set.v[i]->mod->desc.shutdown != NULL;
	if (!any)
		return;
	pthread_mutex_lock(&rt->lock);
	rt->shutdown_deadline_ms = saba_now_ms() + (int64_t)(rt->conf->retire_timeout + 5) * 1000;
	pthread_mutex_unlock(&rt->lock);
	hk = saba_calloc(1, sizeof(*hk));
	hk->set = &a->set;
	pthread_mutex_init(&hk->lock, NULL);
	pthread_cond_init(&hk->done_cond, NULL);
	if (pthread_create(&t, NULL, saba_hooks_main, hk) != 0) {
		saba_err("cannot run the shutdown triggers");
		goto out;
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += rt->conf->retire_timeout + 5;
	pthread_mutex_lock(&hk->lock);
	while (!hk->done)
		if (pthread_cond_timedwait(&hk->done_cond, &hk->lock, &ts) != 0)
			break;
	done = hk->done;
	pthread_mutex_unlock(&hk->lock);
	if (done) {
		pthread_join(t, NULL);
		goto out;
	}
	/* The thread still uses hk and the instances: leave both alone. */
	saba_err("shutdown triggers did not finish within %d s; stopping without them",
		 rt->conf->retire_timeout + 5);
	for (int i = 0; i < a->set.n; i++)
		if (a->set.v[i]->mod->desc.shutdown != NULL)
			a->set.v[i]->mod->pinned = a->set.v[i]->abandoned = 1;
	pthread_detach(t);
	return;
out:
	pthread_cond_destroy(&hk->done_cond);
	pthread_mutex_destroy(&hk->lock);
	free(hk);
}

static void saba_agent_stop(struct saba_agent *a)
{
	struct saba_runtime *rt = &a->rt;
	int64_t t0 = saba_now_ms(), deadline, on_stop_by;
	int capped;

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
	saba_poster_finish(a->poster, rt->retired ? saba_now_ms() : deadline);
	a->poster = NULL;
	if (!rt->retired && saba_queue_length(rt->queue) > 0)
		saba_warn("%zu batches of metrics were not posted", saba_queue_length(rt->queue));
	on_stop_by = saba_now_ms() + 5000 > deadline && !capped ? saba_now_ms() + 5000 : deadline;
	if (!rt->retired && rt->conf->on_stop != NULL && on_stop_by > saba_now_ms()) {
		struct saba_http *h = saba_runtime_http(rt);

		if (h != NULL)
			saba_register_status(rt, h, rt->conf->on_stop, 1, on_stop_by);
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
	const char *pidfile = NULL;
	char *mdir;
	int rc = 2;
#ifndef _WIN32
	sigset_t sigs;

	saba_signal_set(&sigs);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
#endif
	a->opts = o;
	saba_runtime_init(rt);
	if (saba_conf_load(o->config, &o->ov, &conf) > 0)
		goto out;
	saba_conf_apply_log_level(conf);
	rt->conf = conf;
	rt->dry_run = o->dry_run;
	rt->command = "run";
	if (!o->dry_run && (rt->apikey = saba_conf_apikey(conf)) == NULL)
		goto out;
	if (conf->pidfile != NULL) {
		char err[512];

		if (saba_pidfile_create(conf->pidfile, err, sizeof(err)) != 0) {
			saba_err("%s", err);
			rc = 1;
			goto out;
		}
		pidfile = conf->pidfile;
	}
	rt->retire = saba_retire_new();
	rt->queue = saba_queue_new((size_t)(conf->queue_max_age / conf->interval) + 1);
	rt->outbox = saba_outbox_new();
	mdir = saba_asprintf("%s/metadata", conf->root);
	rt->metadata = saba_metadata_new(mdir);
	free(mdir);
	rt->instances = &a->set;
	if (saba_instances_create(rt, conf, &a->set) > 0)
		goto out;
#ifdef _WIN32
	saba_console_start(rt);
#else
	if (pthread_create(&a->sig_thread, NULL, saba_signal_main, rt) == 0)
		a->has_sig_thread = 1;
#endif
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
	for (int i = 0; i < a->nold; i++)
		saba_conf_free(a->old_confs[i]);
	free(a->old_confs);
	saba_conf_free(rt->conf != NULL ? rt->conf : conf);
	saba_runtime_destroy(rt);
	free(a);
	return rc;
}
