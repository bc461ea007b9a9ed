#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <time.h>

#include "conf.h"
#include "http.h"
#include "runtime.h"
#include "util.h"

void saba_runtime_init(struct saba_runtime *rt)
{
	pthread_condattr_t ca;

	pthread_mutex_init(&rt->lock, NULL);
	pthread_mutex_init(&rt->send_gate, NULL);
	/* Waits are measured on the monotonic clock: a wall-clock step must
	 * not stretch a backoff or a shutdown bound. */
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&rt->wake, &ca);
	pthread_condattr_destroy(&ca);
}

void saba_runtime_destroy(struct saba_runtime *rt)
{
	free(rt->host_id);
	rt->host_id = NULL;
	pthread_cond_destroy(&rt->wake);
	pthread_mutex_destroy(&rt->send_gate);
	pthread_mutex_destroy(&rt->lock);
}

int saba_runtime_retiring(struct saba_runtime *rt)
{
	int r;

	pthread_mutex_lock(&rt->lock);
	r = rt->retiring || rt->retired;
	pthread_mutex_unlock(&rt->lock);
	return r;
}

int saba_runtime_send_begin(struct saba_runtime *rt)
{
	pthread_mutex_lock(&rt->send_gate);
	if (!saba_runtime_retiring(rt))
		return 1;
	pthread_mutex_unlock(&rt->send_gate);
	return 0;
}

void saba_runtime_send_end(struct saba_runtime *rt)
{
	pthread_mutex_unlock(&rt->send_gate);
}

void saba_runtime_retire_begin(struct saba_runtime *rt)
{
	pthread_mutex_lock(&rt->lock);
	rt->retiring = 1;
	pthread_mutex_unlock(&rt->lock);
	pthread_mutex_lock(&rt->send_gate);
}

void saba_runtime_retire_end(struct saba_runtime *rt)
{
	pthread_mutex_lock(&rt->lock);
	rt->retiring = 0;
	pthread_mutex_unlock(&rt->lock);
	pthread_mutex_unlock(&rt->send_gate);
}

int saba_runtime_stopping(struct saba_runtime *rt)
{
	int s;

	pthread_mutex_lock(&rt->lock);
	s = rt->stop_requested || rt->retired;
	pthread_mutex_unlock(&rt->lock);
	return s;
}

int saba_runtime_wait(struct saba_runtime *rt, int64_t ms)
{
	struct timespec ts;
	int stop;

	saba_abstime(CLOCK_MONOTONIC, ms, &ts);
	pthread_mutex_lock(&rt->lock);
	while (!(stop = rt->stop_requested || rt->retired))
		if (pthread_cond_timedwait(&rt->wake, &rt->lock, &ts) == ETIMEDOUT)
			break;
	stop = rt->stop_requested || rt->retired;
	pthread_mutex_unlock(&rt->lock);
	return stop;
}

void saba_runtime_set_host_id(struct saba_runtime *rt, const char *id)
{
	pthread_mutex_lock(&rt->lock);
	free(rt->host_id);
	rt->host_id = id != NULL ? saba_strdup(id) : NULL;
	pthread_mutex_unlock(&rt->lock);
}

struct saba_conf *saba_runtime_conf(struct saba_runtime *rt)
{
	struct saba_conf *c;

	pthread_mutex_lock(&rt->lock);
	c = saba_conf_ref(rt->conf);
	pthread_mutex_unlock(&rt->lock);
	return c;
}

void saba_runtime_set_conf(struct saba_runtime *rt, struct saba_conf *nc)
{
	struct saba_conf *old;

	pthread_mutex_lock(&rt->lock);
	old = rt->conf;
	rt->conf = nc;
	rt->conf_gen++;
	pthread_mutex_unlock(&rt->lock);
	/* Freed here, or by the last thread still reading it. */
	saba_conf_free(old);
}

unsigned saba_runtime_conf_gen(struct saba_runtime *rt)
{
	unsigned g;

	pthread_mutex_lock(&rt->lock);
	g = rt->conf_gen;
	pthread_mutex_unlock(&rt->lock);
	return g;
}

struct saba_http *saba_runtime_http(struct saba_runtime *rt)
{
	struct saba_conf *c = saba_runtime_conf(rt);
	struct saba_http_config hc = {
		.apibase = c->apibase,
		.apikey = rt->dry_run ? NULL : saba_conf_key(c),
		.proxy = c->http_proxy,
		.ca_file = c->http_ca_file,
		.no_keep_alive = !c->http_keep_alive,
		.timeout_ms = (long)c->http_timeout * 1000,
		.dry_run = rt->dry_run,
	};
	/* The handle keeps copies: it outlives this config. */
	struct saba_http *h = saba_http_new(&hc);

	saba_conf_free(c);
	return h;
}
