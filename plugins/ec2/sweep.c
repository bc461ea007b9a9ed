/* The fleet sweeper.  Each sweep:
 *   1. lists the Mackerel hosts (every status but retired) and keeps, for
 *      those whose customIdentifier is "<instance-id>.ec2.amazonaws.com",
 *      only the host id and the instance id, sorted by instance id;
 *   2. asks each region for its instances, in DescribeInstances batches of
 *      at most 200 filter values;
 *   3. judges every host (saba_sweep_judge) and retires the dead ones.
 *
 * Which region owns an instance: the region whose answer last listed it
 * (instance ids are unique and instances never change region).  An instance
 * with an owner is asked for in that region only; one never listed yet is
 * asked for in every region.
 *
 * Rules, all failing safe:
 *   - shutting-down or terminated, from a region whose batches all answered
 *     this sweep: retire.  A region with any error retires nothing.
 *   - listed with any other state, anywhere: keep, and forget any absence.
 *   - absent: counted only in clean sweeps (every region answered every
 *     batch) and only for an instance this sweeper has seen listed before
 *     (so a wrong region, another account's instances, or instances gone
 *     before the sweeper started never count as "gone"); retired once it has
 *     been absent in at least 2 clean sweeps spanning absent_grace.  Sweeps
 *     with errors neither advance nor reset the count.
 */
#define _GNU_SOURCE

#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "classify.h"
#include "hostlist.h"
#include "sweep.h"
#include "xml.h"
#include "lib/clock.h"

#define SABA_SWEEP_MAX_REGIONS 64
#define SABA_SWEEP_MAX_HOSTS   100000
#define SABA_SWEEP_HOST_ID_MAX 32
#define SABA_SWEEP_SUFFIX      ".ec2.amazonaws.com"
#define SABA_SWEEP_LIST_PATH                                                                       \
	"/api/v0/hosts?status=working&status=standby&status=maintenance&status=poweroff"

enum saba_sweep_verdict {
	SABA_V_LIVE = 0,
	SABA_V_DEAD,	    /* retire */
	SABA_V_HELD,	    /* dead, but its region failed */
	SABA_V_ABSENT_WAIT, /* absent, within grace */
	SABA_V_ABSENT_GONE, /* retire */
	SABA_V_NEVER_SEEN,
	SABA_V_UNKNOWN,
};

/* One host, compact: about 100 bytes. */
struct saba_sweep_host {
	char host_id[SABA_SWEEP_HOST_ID_MAX];
	char instance_id[SABA_EC2_ID_MAX];
	/* kept across sweeps (per instance) */
	int64_t absent_since_ms; /* first absence of the current run; 0: none */
	uint16_t absent_sweeps;
	int8_t owner;	   /* region that last listed it; -1: never */
	int16_t last_code; /* state code it was last listed with; -1: none */
	/* this sweep */
	int8_t seen_region;
	uint8_t seen_live, seen_dead;
	uint8_t verdict;
};

struct saba_sweep {
	const struct saba_host *host;
	saba_ctx *ctx;
	char **regions;
	int nregions;
	struct saba_aws **aws; /* per region */
	int interval_s;
	int64_t grace_ms;
	long timeout_ms;
	size_t max_hosts;
	struct saba_sweep_host *hosts; /* sorted by instance id */
	size_t nhosts;
	pthread_t thread;
	int started;
	pthread_mutex_t lock;
	pthread_cond_t cond; /* deadlines: saba_clock_cond_deadline() */
	int stop;
};

static int saba_sweep_stopping(void *arg)
{
	struct saba_sweep *s = arg;

	return __atomic_load_n(&s->stop, __ATOMIC_ACQUIRE);
}

/* ------------------------------------------------------------------ */
/* the Mackerel host list                                               */

/* "i-" and 8 or 17 lower-case hex digits. */
static int saba_sweep_instance_id_ok(const char *s, size_t n)
{
	if ((n != 10 && n != 19) || s[0] != 'i' || s[1] != '-')
		return 0;
	for (size_t i = 2; i < n; i++) {
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	}
	return 1;
}

/* Mackerel host ids are alphanumeric; they go into a URL path. */
static int saba_sweep_host_id_ok(const char *s)
{
	size_t n = strlen(s);

	return n > 0 && n < SABA_SWEEP_HOST_ID_MAX &&
	       strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") == n;
}

static int saba_sweep_cmp(const void *a, const void *b)
{
	const struct saba_sweep_host *x = a, *y = b;
	int c = strcmp(x->instance_id, y->instance_id);

	return c != 0 ? c : strcmp(x->host_id, y->host_id);
}

/* The list being read: the reader, and the EC2 hosts kept so far. */
struct saba_sweep_listing {
	struct saba_hostlist *reader;
	struct saba_sweep_host *hosts;
	size_t n, max;
	struct saba_sweep_stats *st;
	const char *stopped; /* why the listing stopped reading, or NULL */
};

/* One host of the list: keep host id and instance id of an EC2 host. */
static int saba_sweep_on_host(void *arg, json_t *h)
{
	struct saba_sweep_listing *li = arg;
	const char *id = json_string_value(json_object_get(h, "id"));
	const char *ci = json_string_value(json_object_get(h, "customIdentifier"));
	size_t cl = ci != NULL ? strlen(ci) : 0, sl = strlen(SABA_SWEEP_SUFFIX);
	struct saba_sweep_host *e;

	li->st->listed++;
	if (json_is_true(json_object_get(h, "isRetired")) || cl <= sl ||
	    strcmp(ci + cl - sl, SABA_SWEEP_SUFFIX) != 0)
		return 0;
	if (id == NULL || !saba_sweep_host_id_ok(id) || !saba_sweep_instance_id_ok(ci, cl - sl)) {
		li->st->invalid++;
		return 0;
	}
	if (li->n == li->max) {
		li->stopped = "too many";
		return 1;
	}
	if (li->n % 1024 == 0) {
		struct saba_sweep_host *p = realloc(li->hosts, (li->n + 1024) * sizeof(*p));

		if (p == NULL) {
			li->stopped = "out of memory";
			return 1;
		}
		li->hosts = p;
	}
	e = &li->hosts[li->n++];
	memset(e, 0, sizeof(*e));
	memcpy(e->host_id, id, strlen(id) + 1);
	memcpy(e->instance_id, ci, cl - sl);
	e->instance_id[cl - sl] = '\0';
	e->owner = -1;
	e->last_code = -1;
	return 0;
}

/* api_request's sink: the list is read as it arrives. */
static int saba_sweep_sink(void *arg, const char *data, size_t len)
{
	struct saba_sweep_listing *li = arg;

	return saba_hostlist_feed(li->reader, data, len) != 0;
}

/* Fill *out with the EC2 hosts of the Mackerel host list, sorted by
 * instance id; 0, or -1 with err. */
static int saba_sweep_list(struct saba_sweep *s, struct saba_sweep_host **out, size_t *nout,
			   struct saba_sweep_stats *st, char *err, size_t err_len)
{
	struct saba_sweep_listing li = {NULL, NULL, 0, s->max_hosts, st, NULL};
	char aerr[256] = "";
	long status;
	int ret = -1;

	li.reader = saba_hostlist_new(saba_sweep_on_host, &li);
	if (li.reader == NULL) {
		snprintf(err, err_len, "out of memory");
		return -1;
	}
	status = s->host->api_request(s->ctx, "GET", SABA_SWEEP_LIST_PATH, NULL, saba_sweep_sink,
				      &li, aerr, sizeof(aerr));
	/* Our own stop first: the transport then only says the sink stopped. */
	if (li.stopped != NULL && strcmp(li.stopped, "too many") == 0)
		snprintf(err, err_len, "more than %zu EC2 hosts", li.max);
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
			qsort(li.hosts, li.n, sizeof(*li.hosts), saba_sweep_cmp);
		st->ec2 = (int)li.n;
		*out = li.hosts;
		*nout = li.n;
		li.hosts = NULL;
	}
	free(li.hosts);
	saba_hostlist_free(li.reader);
	return ret;
}

/* Carry each instance's owner and absence over from the previous sweep. */
static void saba_sweep_carry(const struct saba_sweep_host *old, size_t nold,
			     struct saba_sweep_host *hosts, size_t n)
{
	size_t j = 0;

	for (size_t i = 0; i < n; i++) {
		int c = 1;

		while (j < nold && (c = strcmp(old[j].instance_id, hosts[i].instance_id)) < 0)
			j++;
		if (j < nold && c == 0) {
			hosts[i].owner = old[j].owner;
			hosts[i].last_code = old[j].last_code;
			hosts[i].absent_since_ms = old[j].absent_since_ms;
			hosts[i].absent_sweeps = old[j].absent_sweeps;
		}
	}
}

/* ------------------------------------------------------------------ */
/* asking EC2                                                           */

struct saba_sweep_mark {
	struct saba_sweep *s;
	int region;
	struct saba_sweep_host *hosts;
	size_t n;
};

/* DescribeInstances callback: mark every host of that instance. */
static int saba_sweep_on_instance(void *arg, const char *id, const char *state, int code)
{
	struct saba_sweep_mark *m = arg;
	size_t lo = 0, hi = m->n;

	while (lo < hi) { /* the first host with this instance id */
		size_t mid = lo + (hi - lo) / 2;

		if (strcmp(m->hosts[mid].instance_id, id) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < m->n && strcmp(m->hosts[lo].instance_id, id) == 0; lo++) {
		struct saba_sweep_host *h = &m->hosts[lo];

		h->seen_region = (int8_t)m->region;
		h->last_code = (int16_t)code;
		/* name and code must agree: doubt keeps the host */
		if (saba_ec2_state_gone(state, code))
			h->seen_dead = 1;
		else
			h->seen_live = 1;
	}
	return 0;
}

/* Ask region r for its instances; 0 when every batch answered. */
static int saba_sweep_region(struct saba_sweep *s, int r, struct saba_sweep_host *hosts, size_t n)
{
	struct saba_sweep_mark m = {s, r, hosts, n};
	const char *batch[SABA_EC2_MAX_IDS];
	char err[512];
	size_t nb = 0;

	for (size_t i = 0; i <= n; i++) {
		int last = i == n;

		if (!last && (i > 0 && strcmp(hosts[i].instance_id, hosts[i - 1].instance_id) == 0))
			continue; /* one query per instance */
		if (!last && (hosts[i].owner == r || hosts[i].owner < 0))
			batch[nb++] = hosts[i].instance_id;
		if (nb == 0 || (nb < SABA_EC2_MAX_IDS && !last))
			continue;
		if (saba_ec2_describe(s->aws[r], batch, nb,
				      saba_clock_ms() + 3 * s->timeout_ms + 5000,
				      saba_sweep_on_instance, &m, err, sizeof(err)) != 0) {
			if (!saba_sweep_stopping(s))
				s->host->log(s->ctx, SABA_LOG_WARNING,
					     "sweep: region %s: DescribeInstances failed: %s; the "
					     "region retires nothing this sweep",
					     s->regions[r], err);
			return -1;
		}
		nb = 0;
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* judging                                                              */

static int saba_sweep_judge(struct saba_sweep_host *h, const int *region_ok, int clean,
			    int64_t now_ms, int64_t grace_ms)
{
	if (h->seen_live || h->seen_dead) {
		h->owner = h->seen_region;
		h->absent_since_ms = 0;
		h->absent_sweeps = 0;
		if (h->seen_live) /* listed alive anywhere wins */
			return SABA_V_LIVE;
		return region_ok[h->seen_region] ? SABA_V_DEAD : SABA_V_HELD;
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

static void saba_sweep_retire(struct saba_sweep *s, const struct saba_sweep_host *h, int64_t now_ms,
			      struct saba_sweep_stats *st)
{
	struct saba_retire_request req = {sizeof(req), SABA_STOP_TERMINATE, NULL};
	char reason[256];
	int r;

	if (h->verdict == SABA_V_DEAD)
		snprintf(
			reason, sizeof(reason),
			"fleet sweeper: EC2 DescribeInstances in %s lists %s as %s (state code %d)",
			s->regions[h->owner], h->instance_id, saba_ec2_state_name(h->last_code),
			h->last_code);
	else
		snprintf(reason, sizeof(reason),
			 "fleet sweeper: %s absent from EC2 DescribeInstances in %s in %u "
			 "successful "
			 "sweeps over %lld s (last listed as %s)",
			 h->instance_id, s->regions[h->owner], (unsigned)h->absent_sweeps,
			 (long long)((now_ms - h->absent_since_ms) / 1000),
			 saba_ec2_state_name(h->last_code));
	req.reason = reason;
	r = s->host->retire_host(s->ctx, h->host_id, &req);
	if (r == SABA_RETIRE_DONE || r == SABA_RETIRE_DRY_RUN)
		st->retired++;
	else
		st->retire_failed++;
}

/* ------------------------------------------------------------------ */
/* one sweep                                                            */

static void saba_sweep_log(struct saba_sweep *s, const struct saba_sweep_stats *st)
{
	s->host->log(s->ctx, SABA_LOG_INFO,
		     "sweep: %d hosts listed, %d on EC2 (%d unusable ids); regions %d/%d "
		     "answered, %llu requests; %d alive, %d shutting-down/terminated, %d held "
		     "(region failed), %d absent within grace, %d absent past grace, %d never "
		     "listed by EC2, %d unknown; retired %d, failed %d; %lld ms",
		     st->listed, st->ec2, st->invalid, st->regions_ok, st->regions,
		     (unsigned long long)st->requests, st->live, st->dead, st->held,
		     st->absent_wait, st->absent_gone, st->never_seen, st->unknown, st->retired,
		     st->retire_failed, (long long)st->took_ms);
}

int saba_sweep_round(struct saba_sweep *s, struct saba_sweep_stats *st)
{
	struct saba_sweep_host *hosts = NULL;
	int region_ok[SABA_SWEEP_MAX_REGIONS];
	int64_t t0 = saba_clock_ms(), now;
	uint64_t req0 = 0;
	size_t n = 0;
	char err[512];
	int clean = 1;

	memset(st, 0, sizeof(*st));
	st->regions = s->nregions;
	for (int r = 0; r < s->nregions; r++)
		req0 += saba_aws_requests(s->aws[r]);
	if (saba_sweep_list(s, &hosts, &n, st, err, sizeof(err)) != 0) {
		st->list_failed = 1;
		if (!saba_sweep_stopping(s))
			s->host->log(s->ctx, SABA_LOG_WARNING,
				     "sweep: cannot list the Mackerel hosts: %s; nothing retired",
				     err);
		return saba_sweep_stopping(s) ? -1 : 0;
	}
	saba_sweep_carry(s->hosts, s->nhosts, hosts, n);
	free(s->hosts);
	s->hosts = hosts;
	s->nhosts = n;
	for (size_t i = 0; i < n; i++)
		hosts[i].seen_region = -1;
	for (int r = 0; r < s->nregions; r++) {
		region_ok[r] = saba_sweep_region(s, r, hosts, n) == 0;
		st->regions_ok += region_ok[r];
		clean &= region_ok[r];
		if (saba_sweep_stopping(s))
			return -1; /* half a sweep decides nothing */
	}
	now = saba_clock_ms();
	for (size_t i = 0; i < n; i++) {
		struct saba_sweep_host *h = &hosts[i];
		int *counter[] = {
			[SABA_V_LIVE] = &st->live,
			[SABA_V_DEAD] = &st->dead,
			[SABA_V_HELD] = &st->held,
			[SABA_V_ABSENT_WAIT] = &st->absent_wait,
			[SABA_V_ABSENT_GONE] = &st->absent_gone,
			[SABA_V_NEVER_SEEN] = &st->never_seen,
			[SABA_V_UNKNOWN] = &st->unknown,
		};

		h->verdict = (uint8_t)saba_sweep_judge(h, region_ok, clean, now, s->grace_ms);
		(*counter[h->verdict])++;
	}
	for (size_t i = 0; i < n && !saba_sweep_stopping(s); i++) {
		if (hosts[i].verdict == SABA_V_DEAD || hosts[i].verdict == SABA_V_ABSENT_GONE)
			saba_sweep_retire(s, &hosts[i], now, st);
	}
	for (int r = 0; r < s->nregions; r++)
		st->requests += saba_aws_requests(s->aws[r]);
	st->requests -= req0;
	st->took_ms = saba_clock_ms() - t0;
	saba_sweep_log(s, st);
	return saba_sweep_stopping(s) ? -1 : 0;
}

/* ------------------------------------------------------------------ */
/* the thread                                                           */

static void *saba_sweep_main(void *arg)
{
	struct saba_sweep *s = arg;

	while (!saba_sweep_stopping(s)) {
		struct saba_sweep_stats st;
		int64_t next = saba_clock_ms() + (int64_t)s->interval_s * 1000;
		struct timespec ts;
		int64_t wait;

		saba_sweep_round(s, &st);
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

struct saba_sweep *saba_sweep_new(const struct saba_sweep_config *cfg)
{
	const struct saba_host *host = cfg->host;
	struct saba_sweep *s;

	if (!SABA_HOST_HAS(host, api_request) || !SABA_HOST_HAS(host, retire_host)) {
		host->log(cfg->ctx, SABA_LOG_ERR,
			  "sweep: this agent cannot retire other hosts (plugin ABI 1.2 needed)");
		return NULL;
	}
	if (cfg->nregions < 1 || cfg->nregions > SABA_SWEEP_MAX_REGIONS || cfg->interval_s < 1 ||
	    cfg->absent_grace_s < 0 || cfg->timeout_ms <= 0) {
		host->log(cfg->ctx, SABA_LOG_ERR,
			  "sweep: needs 1 to %d regions, sweep_interval >= 1, absent_grace >= 0 "
			  "and a positive timeout",
			  SABA_SWEEP_MAX_REGIONS);
		return NULL;
	}
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return NULL;
	s->host = host;
	s->ctx = cfg->ctx;
	s->interval_s = cfg->interval_s;
	s->grace_ms = (int64_t)cfg->absent_grace_s * 1000;
	s->timeout_ms = cfg->timeout_ms;
	s->max_hosts = cfg->max_hosts > 0 ? cfg->max_hosts : SABA_SWEEP_MAX_HOSTS;
	pthread_mutex_init(&s->lock, NULL);
	saba_clock_cond_init(&s->cond);
	s->regions = calloc((size_t)cfg->nregions, sizeof(*s->regions));
	s->aws = calloc((size_t)cfg->nregions, sizeof(*s->aws));
	if (s->regions == NULL || s->aws == NULL)
		goto fail;
	s->nregions = cfg->nregions;
	for (int r = 0; r < cfg->nregions; r++) {
		struct saba_aws_config ac = {
			.region = cfg->regions[r],
			.endpoint = cfg->ec2_endpoint,
			.timeout_ms = cfg->timeout_ms,
			.imds_get = cfg->imds_get,
			.imds_arg = cfg->imds_arg,
		};
		const char *problem = saba_aws_config_problem(&ac);

		if (problem != NULL) {
			host->log(cfg->ctx, SABA_LOG_ERR, "sweep: region \"%s\": %s",
				  cfg->regions[r] != NULL ? cfg->regions[r] : "", problem);
			goto fail;
		}
		s->regions[r] = strdup(cfg->regions[r]);
		s->aws[r] = saba_aws_new(&ac);
		if (s->regions[r] == NULL || s->aws[r] == NULL)
			goto fail;
		saba_aws_set_abort(s->aws[r], saba_sweep_stopping, s);
	}
	return s;
fail:
	saba_sweep_free(s);
	return NULL;
}

int saba_sweep_start(struct saba_sweep *s)
{
	if (s == NULL || s->started)
		return SABA_ERROR;
	__atomic_store_n(&s->stop, 0, __ATOMIC_RELEASE);
	if (pthread_create(&s->thread, NULL, saba_sweep_main, s) != 0) {
		s->host->log(s->ctx, SABA_LOG_ERR, "sweep: cannot start its thread");
		return SABA_ERROR;
	}
	s->started = 1;
	return SABA_OK;
}

void saba_sweep_stop(struct saba_sweep *s)
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

void saba_sweep_free(struct saba_sweep *s)
{
	if (s == NULL)
		return;
	saba_sweep_stop(s);
	for (int r = 0; r < s->nregions; r++) {
		saba_aws_free(s->aws[r]);
		free(s->regions[r]);
	}
	free(s->aws);
	free(s->regions);
	free(s->hosts);
	pthread_cond_destroy(&s->cond);
	pthread_mutex_destroy(&s->lock);
	free(s);
}
