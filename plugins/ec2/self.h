/* The ec2 plugin's instance and what its parts share: settings, the
 * identity learnt from DMI and IMDS (cached once known), and the check that
 * this agent's Mackerel host is this instance's.  ec2.c is the descriptor,
 * poller.c the background thread. */
#ifndef SABA_EC2_SELF_H
#define SABA_EC2_SELF_H

#include <pthread.h>
#include <stddef.h>

#include <saba/plugin.h>

#include "aws.h"
#include "imds.h"
#include "sweep.h"

enum saba_ec2_platform { SABA_EC2_AUTO, SABA_EC2_ON, SABA_EC2_NONE };

/* Is this machine an EC2 instance?  UNDECIDED is retried later. */
enum saba_ec2_where { SABA_EC2_UNDECIDED, SABA_EC2_NOT_EC2, SABA_EC2_IS_EC2 };

struct saba_ec2 {
	const struct saba_host *host;
	saba_ctx *ctx;

	/* settings */
	int platform;
	char *imds_endpoint, *ec2_endpoint, *sysfs;
	long imds_timeout_ms, ec2_timeout_ms;
	int poll_interval, confirm, sweep, sweep_interval, absent_grace;
	int probe_without_dmi; /* DMI cannot tell: ask IMDS (else: not EC2) */
	int leave_off_cloud;   /* "auto" and DMI says no: create() declines */
	char **regions;
	int nregions;

	struct saba_imds *imds;

	pthread_mutex_t lock; /* guards everything below */
	int where;	      /* enum saba_ec2_where */
	char *instance_id, *region;
	char *cloud_json;    /* the last meta.cloud IMDS answered in full */
	char *verified_host; /* host id seen with our customIdentifier */
	struct saba_aws *aws;
	struct saba_sweep *sweeper;
	int sweep_tried;     /* saba_sweep_new() was called (start or thread) */
	int spec_calls;	     /* host_spec() so far (main thread only) */
	int retire_final;    /* the poller's retire got a final answer */
	char last_poll[256]; /* the poller's last logged outcome */

	pthread_cond_t wake;
	pthread_t thread;
	int has_thread, quit;
};

/* Decide whether this is EC2 (once decided, for good) and learn the
 * instance id and region (once learnt, for good).  Returns the enum
 * saba_ec2_where; why says why when it is not IS_EC2 with an instance id. */
int saba_ec2_identify(struct saba_ec2 *e, char *why, size_t len);

/* Copies of the instance id and region (NULL when unknown; caller frees). */
void saba_ec2_ids(struct saba_ec2 *e, char **id, char **region);

/* Is this agent's Mackerel host the one with instance_id's
 * customIdentifier?  1 when it is, 0 when it is not (or the API refused
 * with a 4xx), -1 when the API could not tell (5xx, 429, no answer); when
 * no answer arrived at all, a check that passed earlier in this process for
 * the same host id stands (the agent's own requests end at once while it
 * stops).  evidence says which. */
int saba_ec2_check_host(struct saba_ec2 *e, const char *instance_id, char *evidence, size_t len);

/* saba_imds_get() as a saba_aws_imds_fn (arg: the struct saba_imds). */
long saba_ec2_imds_fn(void *arg, const char *path, char **body, char *err, size_t len);

#endif
