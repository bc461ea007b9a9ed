/* The ec2 plugin's shared state: identity and the host check; see
 * self.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "classify.h"
#include "identity.h"
#include "self.h"
#include "lib/hostcheck.h"

/* Decide whether this is EC2 (once decided, for good) and learn the
 * instance id and region (once learnt, for good: they never change while
 * the instance lives).  IMDS is asked without the lock held.  Returns the
 * enum saba_ec2_where; why gets the reason when it is not IS_EC2 with an
 * instance id. */
int saba_ec2_identify(struct saba_ec2 *e, char *why, size_t len)
{
	char *id = NULL, *region = NULL, evidence[256];
	int where, known;

	pthread_mutex_lock(&e->lock);
	where = e->where;
	known = e->instance_id != NULL;
	pthread_mutex_unlock(&e->lock);
	if (where == SABA_EC2_NOT_EC2 || (where == SABA_EC2_IS_EC2 && known))
		return where;
	if (where == SABA_EC2_UNDECIDED) {
		if (e->platform == SABA_EC2_NONE) {
			where = SABA_EC2_NOT_EC2;
			snprintf(why, len, "cloud_platform is \"none\"");
		} else if (e->platform == SABA_EC2_ON) {
			where = SABA_EC2_IS_EC2;
		} else {
			int dmi = saba_ec2_dmi_check(e->sysfs, evidence, sizeof(evidence));

			if (dmi == SABA_EC2_DMI_YES) {
				where = SABA_EC2_IS_EC2;
			} else if (dmi == SABA_EC2_DMI_NO) {
				where = SABA_EC2_NOT_EC2;
				snprintf(why, len, "not EC2: %.200s", evidence);
			} else if (!e->probe_without_dmi) {
				where = SABA_EC2_NOT_EC2;
				snprintf(why, len, "not EC2: %.150s (probe_without_dmi is false)",
					 evidence);
			} else {
				/* No DMI to tell (Windows, a container): IMDS decides. */
				int p = saba_ec2_imds_partition(e->imds, why, len);

				where = p > 0	 ? SABA_EC2_IS_EC2
					: p == 0 ? SABA_EC2_NOT_EC2
						 : SABA_EC2_UNDECIDED;
				if (p < 0)
					snprintf(why, len,
						 "%.150s and IMDS does not answer: cannot tell "
						 "whether "
						 "this is EC2",
						 evidence);
			}
		}
		pthread_mutex_lock(&e->lock);
		if (e->where == SABA_EC2_UNDECIDED && where != SABA_EC2_UNDECIDED) {
			e->where = where;
			e->host->log(e->ctx, SABA_LOG_INFO, "%s",
				     where == SABA_EC2_IS_EC2 ? "this machine is an EC2 instance"
							      : why);
		}
		pthread_mutex_unlock(&e->lock);
		if (where != SABA_EC2_IS_EC2)
			return where;
	}
	if (saba_ec2_imds_identity(e->imds, &id, &region, why, len) != 0)
		return SABA_EC2_IS_EC2; /* instance id still unknown */
	pthread_mutex_lock(&e->lock);
	if (e->instance_id == NULL) {
		e->instance_id = id;
		e->region = region;
		id = region = NULL;
		e->host->log(e->ctx, SABA_LOG_NOTICE, "instance %s in region %s", e->instance_id,
			     e->region != NULL ? e->region : "(unknown)");
	}
	pthread_mutex_unlock(&e->lock);
	free(id);
	free(region);
	return SABA_EC2_IS_EC2;
}

/* Copies of the instance id and region (NULL when unknown). */
void saba_ec2_ids(struct saba_ec2 *e, char **id, char **region)
{
	pthread_mutex_lock(&e->lock);
	*id = e->instance_id != NULL ? strdup(e->instance_id) : NULL;
	*region = e->region != NULL ? strdup(e->region) : NULL;
	pthread_mutex_unlock(&e->lock);
}

/* The api_request() sink: the answer, up to 1 MiB. */
static int saba_ec2_collect(void *arg, const char *data, size_t len)
{
	return saba_ec2_buf_append(arg, data, len, 1024 * 1024) != 0;
}

/* GET /api/v0/hosts/<own id>; see self.h for the answers. */
int saba_ec2_check_host(struct saba_ec2 *e, const char *instance_id, char *evidence, size_t len)
{
	struct saba_ec2_buf body = {0};
	char host_id[128], path[200], ci[128], err[256] = "";
	long status;
	int ok = 0;

	if (e->host->host_id(e->ctx, host_id, sizeof(host_id)) != SABA_OK) {
		snprintf(evidence, len, "this agent has no host id");
		return -1;
	}
	if (saba_ec2_custom_identifier(instance_id, ci, sizeof(ci)) != 0) {
		snprintf(evidence, len, "no customIdentifier for \"%s\"", instance_id);
		return 0;
	}
	if (e->host->dry_run(e->ctx)) {
		snprintf(evidence, len, "dry-run: customIdentifier of host %s not checked",
			 host_id);
		return 1;
	}
	if (!SABA_HOST_HAS(e->host, api_request)) {
		snprintf(evidence, len, "the agent cannot query its host (plugin ABI < 1.2)");
		return 0;
	}
	snprintf(path, sizeof(path), "/api/v0/hosts/%s", host_id);
	status = e->host->api_request(e->ctx, "GET", path, NULL, saba_ec2_collect, &body, err,
				      sizeof(err));
	ok = saba_host_matches(status, body.data, body.len, ci, evidence, len);
	pthread_mutex_lock(&e->lock);
	if (status == 200 || (status >= 400 && status < 500 && status != 429)) {
		/* A definitive answer replaces what an earlier check found. */
		free(e->verified_host);
		e->verified_host = ok ? strdup(host_id) : NULL;
	} else if (status >= 0) {
		ok = -1; /* 5xx, 429: ask again later */
	} else if (e->verified_host != NULL && strcmp(e->verified_host, host_id) == 0) {
		/* No answer at all: the agent is stopping (its requests end at
		 * once) or the API is unreachable; this process saw the host
		 * carry our customIdentifier before. */
		snprintf(evidence, len,
			 "host %.40s had customIdentifier %.60s when checked earlier (%.100s)",
			 host_id, ci, err);
		ok = 1;
	} else {
		snprintf(evidence, len, "cannot check host %.40s: %.160s", host_id, err);
		ok = -1;
	}
	pthread_mutex_unlock(&e->lock);
	free(body.data);
	return ok;
}

long saba_ec2_imds_fn(void *arg, const char *path, char **body, char *err, size_t len)
{
	return saba_imds_get(arg, path, body, err, len);
}
