/* The fleet sweeper: every sweep_interval, list the Mackerel hosts whose
 * customIdentifier ends in ".ec2.amazonaws.com" (every status but retired),
 * ask EC2 in each configured region for those instance ids, and retire hosts
 * whose instance is shutting-down or terminated, or absent for absent_grace
 * from successful answers.  A region with any error retires nothing that
 * round.  Runs on a thread of its own; retires through host->retire_host. */
#ifndef SABA_EC2_SWEEP_H
#define SABA_EC2_SWEEP_H

#include <saba/plugin.h>

#include "ec2_aws.h"

struct saba_sweep_config {
	const struct saba_host *host; /* ABI >= 1.2: api_request, retire_host */
	saba_ctx *ctx;
	const char *const *regions; /* sweep_regions, or the instance's own region */
	int nregions;
	int interval_s;	    /* sweep_interval, default 300 */
	int absent_grace_s; /* absent_grace, default 7200 */
	const char *ec2_endpoint; /* NULL: per region default (see ec2_aws.h) */
	long timeout_ms;
	saba_aws_imds_fn imds_get; /* for role credentials; may be NULL */
	void *imds_arg;
};

struct saba_sweep;

/* Copies what it needs from cfg.  NULL on a configuration error (logged). */
struct saba_sweep *saba_sweep_new(const struct saba_sweep_config *cfg);
/* Start the thread: the first sweep runs at once, then every interval. */
int saba_sweep_start(struct saba_sweep *s);
/* Stop promptly (aborts waits; an HTTP request in flight ends within its timeout). */
void saba_sweep_stop(struct saba_sweep *s);
void saba_sweep_free(struct saba_sweep *s);

#endif
