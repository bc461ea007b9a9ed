/* The fleet sweeper on EC2: the shared sweeper (lib/cloud_sweep.c) with
 * EC2's side behind it.  A scope is a region; each region is asked for its
 * instances in DescribeInstances batches of at most 200 filter values, each
 * with its own deadline; an instance is dead when its state name and code
 * agree on shutting-down or terminated (saba_ec2_state_gone), and doubt
 * keeps the host. */
#define _GNU_SOURCE

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "classify.h"
#include "sweep.h"
#include "xml.h"
#include "lib/clock.h"
#include "lib/cloud_sweep.h"

struct saba_sweep {
	struct saba_sweep_cloud cloud; /* arg: this */
	struct saba_cloud_sweep *core;
	struct saba_aws **aws; /* per region */
	int nregions;
	long timeout_ms;
};

static int saba_sweep_stopping(void *arg)
{
	struct saba_sweep *s = arg;

	return __atomic_load_n(saba_cloud_sweep_stop_flag(s->core), __ATOMIC_ACQUIRE);
}

/* "i-" and 8 or 17 lower-case hex digits, kept as it is. */
static int saba_sweep_instance_id(const char *head, size_t n, char *out)
{
	if ((n != 10 && n != 19) || head[0] != 'i' || head[1] != '-')
		return -1;
	for (size_t i = 2; i < n; i++) {
		if (!((head[i] >= '0' && head[i] <= '9') || (head[i] >= 'a' && head[i] <= 'f')))
			return -1;
	}
	memcpy(out, head, n);
	out[n] = '\0';
	return 0;
}

/* DescribeInstances callback: the instance's state, with its code when
 * it retires the host. */
static int saba_sweep_on_instance(void *arg, const char *id, const char *state, int code)
{
	int gone = saba_ec2_state_gone(state, code);
	char word[32];

	if (gone)
		snprintf(word, sizeof(word), "%s (state code %d)", saba_ec2_state_name(code), code);
	else
		snprintf(word, sizeof(word), "%s", saba_ec2_state_name(code));
	saba_cloud_sweep_mark(arg, id, gone, word);
	return 0;
}

static int saba_sweep_ask(void *arg, int r, const char *region, const char *const *ids, size_t n,
			  struct saba_cloud_sweep_mark *m, char *err, size_t err_len)
{
	struct saba_sweep *s = arg;

	(void)region;
	for (size_t i = 0; i < n; i += SABA_EC2_MAX_IDS) {
		size_t nb = n - i < SABA_EC2_MAX_IDS ? n - i : SABA_EC2_MAX_IDS;

		if (saba_ec2_describe(s->aws[r], ids + i, nb,
				      saba_clock_ms() + 3 * s->timeout_ms + 5000,
				      saba_sweep_on_instance, m, err, err_len) != 0)
			return -1;
	}
	return 0;
}

static uint64_t saba_sweep_requests(void *arg)
{
	struct saba_sweep *s = arg;
	uint64_t n = 0;

	for (int r = 0; r < s->nregions; r++)
		n += saba_aws_requests(s->aws[r]);
	return n;
}

static const struct saba_sweep_cloud saba_sweep_ec2 = {
	.cloud = "EC2",
	.api = "EC2 DescribeInstances",
	.request = "DescribeInstances",
	.scope = "region",
	.dead_words = "shutting-down/terminated",
	.suffix = ".ec2.amazonaws.com",
	.id = saba_sweep_instance_id,
	.ask = saba_sweep_ask,
	.requests = saba_sweep_requests,
};

struct saba_sweep *saba_sweep_new(const struct saba_sweep_config *cfg)
{
	struct saba_cloud_sweep_config cc = {
		.host = cfg->host,
		.ctx = cfg->ctx,
		.cloud = NULL, /* below: the sweeper's own copy */
		.scopes = cfg->regions,
		.nscopes = cfg->nregions,
		.interval_s = cfg->interval_s,
		.absent_grace_s = cfg->absent_grace_s,
		.max_hosts = cfg->max_hosts,
	};
	struct saba_sweep *s;

	if (cfg->timeout_ms <= 0) {
		cfg->host->log(cfg->ctx, SABA_LOG_ERR, "sweep: needs a positive timeout");
		return NULL;
	}
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return NULL;
	s->cloud = saba_sweep_ec2;
	s->cloud.arg = s;
	s->timeout_ms = cfg->timeout_ms;
	cc.cloud = &s->cloud;
	if ((s->core = saba_cloud_sweep_new(&cc)) == NULL)
		goto fail;
	if ((s->aws = calloc((size_t)cfg->nregions, sizeof(*s->aws))) == NULL)
		goto fail;
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
			cfg->host->log(cfg->ctx, SABA_LOG_ERR, "sweep: region \"%s\": %s",
				       cfg->regions[r] != NULL ? cfg->regions[r] : "", problem);
			goto fail;
		}
		if ((s->aws[r] = saba_aws_new(&ac)) == NULL)
			goto fail;
		s->nregions++;
		saba_aws_set_abort(s->aws[r], saba_sweep_stopping, s);
	}
	return s;
fail:
	saba_sweep_free(s);
	return NULL;
}

int saba_sweep_start(struct saba_sweep *s)
{
	return s != NULL ? saba_cloud_sweep_start(s->core) : SABA_ERROR;
}

void saba_sweep_stop(struct saba_sweep *s)
{
	if (s != NULL)
		saba_cloud_sweep_stop(s->core);
}

void saba_sweep_free(struct saba_sweep *s)
{
	if (s == NULL)
		return;
	saba_cloud_sweep_free(s->core); /* stops it first */
	for (int r = 0; r < s->nregions; r++)
		saba_aws_free(s->aws[r]);
	free(s->aws);
	free(s);
}

int saba_sweep_round(struct saba_sweep *s, struct saba_sweep_stats *st)
{
	struct saba_cloud_sweep_stats c;
	int rc = saba_cloud_sweep_round(s->core, &c);

	*st = (struct saba_sweep_stats){
		.list_failed = c.list_failed,
		.listed = c.listed,
		.ec2 = c.matched,
		.invalid = c.invalid,
		.regions = c.scopes,
		.regions_ok = c.scopes_ok,
		.live = c.live,
		.dead = c.dead,
		.held = c.held,
		.absent_wait = c.absent_wait,
		.absent_gone = c.absent_gone,
		.never_seen = c.never_seen,
		.unknown = c.unknown,
		.retired = c.retired,
		.retire_failed = c.retire_failed,
		.requests = c.requests,
		.took_ms = c.took_ms,
	};
	return rc;
}
