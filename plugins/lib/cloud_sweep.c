/* The fleet sweeper the cloud plugins share; see cloud_sweep.h.  Each
 * sweep:
 *   1. lists the Mackerel hosts (every status but retired) and keeps, for
 *      those whose customIdentifier is "<instance id><suffix>", only the
 *      host id and the instance id, sorted by instance id;
 *   2. asks each scope about its instances (the cloud's ask());
 *   3. judges every host (saba_cloud_sweep_judge) and retires the dead ones. */
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "cloud_sweep.h"
#include "ec2/hostlist.h"

#define SABA_SWEEP_MAX_SCOPES  64
#define SABA_SWEEP_MAX_HOSTS   100000
#define SABA_SWEEP_HOST_ID_MAX 32
#define SABA_SWEEP_LIST_PATH                                                                       \
	"/api/v0/hosts?status=working&status=standby&status=maintenance&status=poweroff"

enum saba_cloud_sweep_verdict {
	SABA_V_LIVE = 0,
	SABA_V_DEAD,	    /* retire */
	SABA_V_HELD,	    /* dead, but its scope failed */
	SABA_V_ABSENT_WAIT, /* absent, within grace */
	SABA_V_ABSENT_GONE, /* retire */
	SABA_V_NEVER_SEEN,
	SABA_V_UNKNOWN,
};

/* One host, compact: about 120 bytes. */
struct saba_cloud_sweep_host {
	char host_id[SABA_SWEEP_HOST_ID_MAX];
	char instance_id[SABA_SWEEP_ID_MAX];
	/* kept across sweeps (per instance) */
	int64_t absent_since_ms; /* first absence of the current run */
	uint16_t absent_sweeps;
	int8_t owner;	     /* scope that last listed it; -1: never */
	char last_state[32]; /* the state it was last listed with */
	/* this sweep */
	int8_t seen_scope;
	uint8_t seen_live, seen_dead;
	uint8_t verdict;
};

struct saba_cloud_sweep {
	const struct saba_host *host;
	saba_ctx *ctx;
	const struct saba_sweep_cloud *cloud;
	char **scopes;
	int nscopes;
	int interval_s;
	int64_t grace_ms;
	size_t max_hosts;
	struct saba_cloud_sweep_host *hosts; /* sorted by instance id */
	size_t nhosts;
	pthread_t thread;
	int started;
	pthread_mutex_t lock;
	pthread_cond_t cond; /* on CLOCK_MONOTONIC */
	int stop;	     /* atomic */
};

struct saba_cloud_sweep_mark {
	int scope;
	struct saba_cloud_sweep_host *hosts;
	size_t n;
};

static int saba_cloud_sweep_stopping(const struct saba_cloud_sweep *s)
{
	return __atomic_load_n(&s->stop, __ATOMIC_ACQUIRE);
}

const int *saba_cloud_sweep_stop_flag(const struct saba_cloud_sweep *s)
{
	return &s->stop;
}

/* ------------------------------------------------------------------ */
/* the Mackerel host list                                               */

/* Mackerel host ids are alphanumeric; they go into a URL path. */
static int saba_cloud_sweep_host_id_ok(const char *s)
{
	size_t n = strlen(s);

	return n > 0 && n < SABA_SWEEP_HOST_ID_MAX &&
	       strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") == n;
}

static int saba_cloud_sweep_cmp(const void *a, const void *b)
{
	const struct saba_cloud_sweep_host *x = a, *y = b;
	int c = strcmp(x->instance_id, y->instance_id);

	return c != 0 ? c : strcmp(x->host_id, y->host_id);
}

/* The list being read: the reader, and the hosts of this cloud so far. */
struct saba_cloud_sweep_listing {
	const struct saba_sweep_cloud *cloud;
	struct saba_hostlist *reader;
	struct saba_cloud_sweep_host *hosts;
	size_t n, max;
	struct saba_cloud_sweep_stats *st;
	const char *stopped; /* why the listing stopped reading, or NULL */
};

/* One host of the list: keep host id and instance id of this cloud's. */
static int saba_cloud_sweep_on_host(void *arg, json_t *h)
{
	struct saba_cloud_sweep_listing *li = arg;
	const char *id = json_string_value(json_object_get(h, "id"));
	const char *ci = json_string_value(json_object_get(h, "customIdentifier"));
	const char *suffix = li->cloud->suffix;
	size_t cl = ci != NULL ? strlen(ci) : 0, sl = strlen(suffix);
	char instance[SABA_SWEEP_ID_MAX];
	struct saba_cloud_sweep_host *e;

	li->st->listed++;
	if (json_is_true(json_object_get(h, "isRetired")) || cl <= sl ||
	    strcmp(ci + cl - sl, suffix) != 0)
		return 0;
	if (id == NULL || !saba_cloud_sweep_host_id_ok(id) ||
	    li->cloud->id(ci, cl - sl, instance) != 0) {
		li->st->invalid++;
		return 0;
	}
	if (li->n == li->max) {
		li->stopped = "too many";
		return 1;
	}
	if (li->n % 1024 == 0) {
		struct saba_cloud_sweep_host *p = realloc(li->hosts, (li->n + 1024) * sizeof(*p));

		if (p == NULL) {
			li->stopped = "out of memory";
			return 1;
		}
		li->hosts = p;
	}
	e = &li->hosts[li->n++];
	memset(e, 0, sizeof(*e));
	memcpy(e->host_id, id, strlen(id) + 1);
	memcpy(e->instance_id, instance, sizeof(instance));
	e->owner = -1;
	return 0;
}

/* api_request's sink: the list is read as it arrives. */
static int saba_cloud_sweep_sink(void *arg, const char *data, size_t len)
{
	struct saba_cloud_sweep_listing *li = arg;

	return saba_hostlist_feed(li->reader, data, len) != 0;
}

/* Fill *out with this cloud's hosts of the Mackerel host list, sorted by
 * instance id; 0, or -1 with err. */
static int saba_cloud_sweep_list(struct saba_cloud_sweep *s, struct saba_cloud_sweep_host **out,
				 size_t *nout, struct saba_cloud_sweep_stats *st, char *err,
				 size_t err_len)
{
	struct saba_cloud_sweep_listing li = {s->cloud, NULL, NULL, 0, s->max_hosts, st, NULL};
	char aerr[256] = "";
	long status;
	int ret = -1;

	li.reader = saba_hostlist_new(saba_cloud_sweep_on_host, &li);
	if (li.reader == NULL) {
		snprintf(err, err_len, "out of memory");
		return -1;
	}
	status = s->host->api_request(s->ctx, "GET", SABA_SWEEP_LIST_PATH, NULL,
				      saba_cloud_sweep_sink, &li, aerr, sizeof(aerr));
	/* Our own stop first: the transport then only says the sink stopped. */
	if (li.stopped != NULL && strcmp(li.stopped, "too many") == 0)
		snprintf(err, err_len, "more than %zu %s hosts", li.max, s->cloud->cloud);
	else if (li.stopped != NULL)
		snprintf(err, err_len, "%s", li.stopped);
	else if (status < 0)
		snprintf(err, err_len, "%s", aerr);
	else if (status != 200)
		snprintf(err, err_len, "GET /api/v0/hosts: HTTP %ld", status);
	else if (saba_hostlist_finish(li.reader) != 0)
		snprintf(err, err_len, "%s", saba_hostlist_error(li.reader));
	else
		ret = 0;
	if (ret == 0) {
		if (li.n > 0)
			qsort(li.hosts, li.n, sizeof(*li.hosts), saba_cloud_sweep_cmp);
		st->matched = (int)li.n;
		*out = li.hosts;
		*nout = li.n;
		li.hosts = NULL;
	}
	free(li.hosts);
	saba_hostlist_free(li.reader);
	return ret;
}

/* Carry each instance's owner, last state and absence over from the
 * previous sweep. */
static void saba_cloud_sweep_carry(const struct saba_cloud_sweep_host *old, size_t nold,
				   struct saba_cloud_sweep_host *hosts, size_t n)
{
	size_t j = 0;

	for (size_t i = 0; i < n; i++) {
		int c = 1;

		while (j < nold && (c = strcmp(old[j].instance_id, hosts[i].instance_id)) < 0)
			j++;
		if (j < nold && c == 0) {
			hosts[i].owner = old[j].owner;
			memcpy(hosts[i].last_state, old[j].last_state, sizeof(old[j].last_state));
			hosts[i].absent_since_ms = old[j].absent_since_ms;
			hosts[i].absent_sweeps = old[j].absent_sweeps;
		}
	}
}

/* ------------------------------------------------------------------ */
/* asking the cloud                                                     */

int saba_cloud_sweep_mark(struct saba_cloud_sweep_mark *m, const char *id, int dead,
			  const char *state)
{
	size_t lo = 0, hi = m->n;
	int found = 0;

	if (id == NULL)
		return 0;
	while (lo < hi) { /* the first host with this instance id */
		size_t mid = lo + (hi - lo) / 2;

		if (strcmp(m->hosts[mid].instance_id, id) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < m->n && strcmp(m->hosts[lo].instance_id, id) == 0; lo++) {
		struct saba_cloud_sweep_host *h = &m->hosts[lo];

		found = 1;
		h->seen_scope = (int8_t)m->scope;
		snprintf(h->last_state, sizeof(h->last_state), "%s", state ? state : "listed");
		if (dead)
			h->seen_dead = 1;
		else
			h->seen_live = 1;
	}
	return found;
}

/* Ask scope r about its instances; 0 when every request answered. */
static int saba_cloud_sweep_scope(struct saba_cloud_sweep *s, int r,
				  struct saba_cloud_sweep_host *hosts, size_t n)
{
	struct saba_cloud_sweep_mark m = {r, hosts, n};
	const char **ids = n > 0 ? malloc(n * sizeof(*ids)) : NULL;
	char err[512] = "";
	size_t k = 0;
	int rc;

	if (n > 0 && ids == NULL)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (i > 0 && strcmp(hosts[i].instance_id, hosts[i - 1].instance_id) == 0)
			continue; /* one question per instance */
		if (hosts[i].owner == r || hosts[i].owner < 0)
			ids[k++] = hosts[i].instance_id;
	}
	rc = k > 0 ? s->cloud->ask(s->cloud->arg, r, s->scopes[r], ids, k, &m, err, sizeof(err))
		   : 0;
	if (rc != 0 && !saba_cloud_sweep_stopping(s))
		s->host->log(s->ctx, SABA_LOG_WARNING,
			     "sweep: %s %s: %s failed: %s; the %s retires nothing this sweep",
			     s->cloud->scope, s->scopes[r],
			     s->cloud->request != NULL ? s->cloud->request : s->cloud->api, err,
			     s->cloud->scope);
	free(ids);
	return rc;
}

/* ------------------------------------------------------------------ */
/* judging                                                              */

static int saba_cloud_sweep_judge(struct saba_cloud_sweep_host *h, const int *scope_ok, int clean,
				  int64_t now_ms, int64_t grace_ms)
{
	if (h->seen_live || h->seen_dead) {
		h->owner = h->seen_scope;
		h->absent_since_ms = 0;
		h->absent_sweeps = 0;
		if (h->seen_live) /* listed alive anywhere wins */
			return SABA_V_LIVE;
		return scope_ok[h->seen_scope] ? SABA_V_DEAD : SABA_V_HELD;
	}
	if (!clean)
		return SABA_V_UNKNOWN;
	if (h->owner < 0)
		return SABA_V_NEVER_SEEN;
	if (h->absent_sweeps == 0)
		h->absent_since_ms = now_ms;
	if (h->absent_sweeps < UINT16_MAX)
		h->absent_sweeps++;
	if (h->absent_sweeps >= 2 && now_ms - h->absent_since_ms >= grace_ms)
		return SABA_V_ABSENT_GONE;
	return SABA_V_ABSENT_WAIT;
}

static void saba_cloud_sweep_retire(struct saba_cloud_sweep *s,
				    const struct saba_cloud_sweep_host *h, int64_t now_ms,
				    struct saba_cloud_sweep_stats *st)
{
	struct saba_retire_request req = {sizeof(req), SABA_STOP_TERMINATE, NULL};
	char reason[320];
	int r;

	if (h->verdict == SABA_V_DEAD)
		snprintf(reason, sizeof(reason), "fleet sweeper: %s in %s lists %s as %s",
			 s->cloud->api, s->scopes[h->owner], h->instance_id, h->last_state);
	else
		snprintf(reason, sizeof(reason),
			 "fleet sweeper: %s absent from %s in %s in %u successful sweeps over "
			 "%lld s (last listed as %s)",
			 h->instance_id, s->cloud->api, s->scopes[h->owner],
			 (unsigned)h->absent_sweeps,
			 (long long)((now_ms - h->absent_since_ms) / 1000), h->last_state);
	req.reason = reason;
	r = s->host->retire_host(s->ctx, h->host_id, &req);
	if (r == SABA_RETIRE_DONE || r == SABA_RETIRE_DRY_RUN)
		st->retired++;
	else
		st->retire_failed++;
}

/* ------------------------------------------------------------------ */
/* one sweep                                                            */

static void saba_cloud_sweep_log(struct saba_cloud_sweep *s,
				 const struct saba_cloud_sweep_stats *st)
{
	const struct saba_sweep_cloud *c = s->cloud;

	s->host->log(s->ctx, SABA_LOG_INFO,
		     "sweep: %d hosts listed, %d on %s (%d unusable ids); %ss %d/%d answered, "
		     "%llu requests; %d alive, %d %s, %d held (%s failed), %d absent within "
		     "grace, %d absent past grace, %d never listed by %s, %d unknown; retired "
		     "%d, failed %d; %lld ms",
		     st->listed, st->matched, c->cloud, st->invalid, c->scope, st->scopes_ok,
		     st->scopes, (unsigned long long)st->requests, st->live, st->dead,
		     c->dead_words, st->held, c->scope, st->absent_wait, st->absent_gone,
		     st->never_seen, c->cloud, st->unknown, st->retired, st->retire_failed,
		     (long long)st->took_ms);
}

static uint64_t saba_cloud_sweep_requests(const struct saba_cloud_sweep *s)
{
	return s->cloud->requests != NULL ? s->cloud->requests(s->cloud->arg) : 0;
}

int saba_cloud_sweep_round(struct saba_cloud_sweep *s, struct saba_cloud_sweep_stats *st)
{
	struct saba_cloud_sweep_host *hosts = NULL;
	int scope_ok[SABA_SWEEP_MAX_SCOPES];
	int64_t t0 = saba_clock_ms(), now;
	uint64_t req0 = saba_cloud_sweep_requests(s);
	size_t n = 0;
	char err[512];
	int clean = 1;

	memset(st, 0, sizeof(*st));
	st->scopes = s->nscopes;
	if (saba_cloud_sweep_list(s, &hosts, &n, st, err, sizeof(err)) != 0) {
		st->list_failed = 1;
		if (!saba_cloud_sweep_stopping(s))
			s->host->log(s->ctx, SABA_LOG_WARNING,
				     "sweep: cannot list the Mackerel hosts: %s; nothing retired",
				     err);
		return saba_cloud_sweep_stopping(s) ? -1 : 0;
	}
	saba_cloud_sweep_carry(s->hosts, s->nhosts, hosts, n);
	free(s->hosts);
	s->hosts = hosts;
	s->nhosts = n;
	for (size_t i = 0; i < n; i++)
		hosts[i].seen_scope = -1;
	for (int r = 0; r < s->nscopes; r++) {
		scope_ok[r] = saba_cloud_sweep_scope(s, r, hosts, n) == 0;
		st->scopes_ok += scope_ok[r];
		clean &= scope_ok[r];
		if (saba_cloud_sweep_stopping(s))
			return -1; /* half a sweep decides nothing */
	}
	now = saba_clock_ms();
	for (size_t i = 0; i < n; i++) {
		struct saba_cloud_sweep_host *h = &hosts[i];
		int *counter[] = {
			[SABA_V_LIVE] = &st->live,
			[SABA_V_DEAD] = &st->dead,
			[SABA_V_HELD] = &st->held,
			[SABA_V_ABSENT_WAIT] = &st->absent_wait,
			[SABA_V_ABSENT_GONE] = &st->absent_gone,
			[SABA_V_NEVER_SEEN] = &st->never_seen,
			[SABA_V_UNKNOWN] = &st->unknown,
		};

		h->verdict = (uint8_t)saba_cloud_sweep_judge(h, scope_ok, clean, now, s->grace_ms);
		(*counter[h->verdict])++;
	}
	for (size_t i = 0; i < n && !saba_cloud_sweep_stopping(s); i++) {
		if (hosts[i].verdict == SABA_V_DEAD || hosts[i].verdict == SABA_V_ABSENT_GONE)
			saba_cloud_sweep_retire(s, &hosts[i], now, st);
	}
	st->requests = saba_cloud_sweep_requests(s) - req0;
	st->took_ms = saba_clock_ms() - t0;
	saba_cloud_sweep_log(s, st);
	return saba_cloud_sweep_stopping(s) ? -1 : 0;
}

/* ------------------------------------------------------------------ */
/* the thread                                                           */

static void *saba_cloud_sweep_main(void *arg)
{
	struct saba_cloud_sweep *s = arg;

	while (!saba_cloud_sweep_stopping(s)) {
		struct saba_cloud_sweep_stats st;
		int64_t next = saba_clock_ms() + (int64_t)s->interval_s * 1000;
		struct timespec ts;
		int64_t wait;

		saba_cloud_sweep_round(s, &st);
		/* Every interval from start to start; at least a second apart. */
		wait = next - saba_clock_ms();
		if (wait < 1000)
			wait = 1000;
		saba_clock_cond_deadline(wait, &ts);
		pthread_mutex_lock(&s->lock);
		while (!s->stop && pthread_cond_timedwait(&s->cond, &s->lock, &ts) == 0)
			;
		pthread_mutex_unlock(&s->lock);
	}
	return NULL;
}

struct saba_cloud_sweep *saba_cloud_sweep_new(const struct saba_cloud_sweep_config *cfg)
{
	const struct saba_host *host = cfg->host;
	struct saba_cloud_sweep *s;

	if (!SABA_HOST_HAS(host, api_request) || !SABA_HOST_HAS(host, retire_host)) {
		host->log(cfg->ctx, SABA_LOG_ERR,
			  "sweep: this agent cannot retire other hosts (plugin ABI 1.2 needed)");
		return NULL;
	}
	if (cfg->nscopes < 1 || cfg->nscopes > SABA_SWEEP_MAX_SCOPES || cfg->interval_s < 1 ||
	    cfg->absent_grace_s < 0) {
		host->log(cfg->ctx, SABA_LOG_ERR,
			  "sweep: needs 1 to %d %ss, sweep_interval >= 1 and absent_grace >= 0",
			  SABA_SWEEP_MAX_SCOPES, cfg->cloud->scope);
		return NULL;
	}
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return NULL;
	s->host = host;
	s->ctx = cfg->ctx;
	s->cloud = cfg->cloud;
	s->interval_s = cfg->interval_s;
	s->grace_ms = (int64_t)cfg->absent_grace_s * 1000;
	s->max_hosts = cfg->max_hosts > 0 ? cfg->max_hosts : SABA_SWEEP_MAX_HOSTS;
	pthread_mutex_init(&s->lock, NULL);
	saba_clock_cond_init(&s->cond);
	s->scopes = calloc((size_t)cfg->nscopes, sizeof(*s->scopes));
	if (s->scopes == NULL)
		goto fail;
	for (int r = 0; r < cfg->nscopes; r++) {
		if ((s->scopes[r] = strdup(cfg->scopes[r])) == NULL)
			goto fail;
		s->nscopes++;
	}
	return s;
fail:
	saba_cloud_sweep_free(s);
	return NULL;
}

int saba_cloud_sweep_start(struct saba_cloud_sweep *s)
{
	if (s == NULL || s->started)
		return SABA_ERROR;
	__atomic_store_n(&s->stop, 0, __ATOMIC_RELEASE);
	if (pthread_create(&s->thread, NULL, saba_cloud_sweep_main, s) != 0) {
		s->host->log(s->ctx, SABA_LOG_ERR, "sweep: cannot start its thread");
		return SABA_ERROR;
	}
	s->started = 1;
	return SABA_OK;
}

void saba_cloud_sweep_stop(struct saba_cloud_sweep *s)
{
	if (s == NULL)
		return;
	pthread_mutex_lock(&s->lock);
	__atomic_store_n(&s->stop, 1, __ATOMIC_RELEASE);
	pthread_cond_broadcast(&s->cond);
	pthread_mutex_unlock(&s->lock);
	if (s->started) {
		pthread_join(s->thread, NULL);
		s->started = 0;
	}
}

void saba_cloud_sweep_free(struct saba_cloud_sweep *s)
{
	if (s == NULL)
		return;
	saba_cloud_sweep_stop(s);
	for (int r = 0; r < s->nscopes; r++)
		free(s->scopes[r]);
	free(s->scopes);
	free(s->hosts);
	pthread_cond_destroy(&s->cond);
	pthread_mutex_destroy(&s->lock);
	free(s);
}
