/* The fleet sweeper on EC2: every sweep_interval, list the Mackerel hosts
 * whose customIdentifier ends in ".ec2.amazonaws.com" (every status but
 * retired), ask EC2 in each configured region for those instance ids, and
 * retire hosts whose instance is shutting-down or terminated, or absent for
 * absent_grace from successful answers.  The rules and the thread are the
 * shared sweeper's (lib/cloud_sweep.h); this is EC2's side of it (see
 * sweep.c).  Retires through host->retire_host. */
#ifndef SABA_EC2_SWEEP_H
#define SABA_EC2_SWEEP_H

#include <saba/plugin.h>

#include "aws.h"

struct saba_sweep_config {
	const struct saba_host *host; /* ABI >= 1.2: api_request, retire_host */
	saba_ctx *ctx;
	const char *const *regions; /* sweep_regions, or the instance's own region */
	int nregions;
	int interval_s;		  /* sweep_interval */
	int absent_grace_s;	  /* absent_grace */
	const char *ec2_endpoint; /* NULL: per region default (see aws.h) */
	long timeout_ms;
	saba_aws_imds_fn imds_get; /* for role credentials; may be NULL */
	void *imds_arg;
	size_t max_hosts; /* EC2 hosts a sweep takes at most; 0: 100000 */
};

struct saba_sweep;

/* Copies what it needs from cfg.  NULL on a configuration error (logged). */
struct saba_sweep *saba_sweep_new(const struct saba_sweep_config *cfg);
/* Start the thread: the first sweep runs at once, then every interval. */
int saba_sweep_start(struct saba_sweep *s);
/* Stop promptly (aborts waits; an HTTP request in flight ends within its timeout). */
void saba_sweep_stop(struct saba_sweep *s);
void saba_sweep_free(struct saba_sweep *s);

/* What one sweep saw and did (also its log line). */
struct saba_sweep_stats {
	int list_failed;   /* the Mackerel host list could not be read */
	int listed;	   /* hosts in the list */
	int ec2;	   /* with a usable "<instance-id>.ec2.amazonaws.com" */
	int invalid;	   /* ending in .ec2.amazonaws.com, but not a usable id */
	int regions;	   /* configured */
	int regions_ok;	   /* answered every batch */
	int live;	   /* pending, running, stopping, stopped */
	int dead;	   /* shutting-down or terminated, region answered */
	int held;	   /* shutting-down or terminated, but its region failed */
	int absent_wait;   /* absent, not yet for absent_grace and 2 sweeps */
	int absent_gone;   /* absent long enough: retired */
	int never_seen;	   /* absent and never listed by EC2 to this sweeper */
	int unknown;	   /* absent while some region failed: no change */
	int retired;	   /* retire_host said done (404 included) or dry-run */
	int retire_failed; /* retire_host failed or declined */
	uint64_t requests; /* EC2 requests this sweep */
	int64_t took_ms;
};

/* One sweep now, on the caller's thread (tests, benchmarks); not while the
 * sweeper's thread runs.  Returns 0, or -1 when it was stopped. */
int saba_sweep_round(struct saba_sweep *s, struct saba_sweep_stats *st);

#endif
