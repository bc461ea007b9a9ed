/* The gce plugin's instance and what its parts share: the cloud frame
 * (plugins/lib/cloud_frame.h), the identity learnt from the metadata
 * server, the service account's token, and the requests to the metadata
 * server (metadata.c) and the Compute Engine API (compute.c). */
#ifndef SABA_GCE_H
#define SABA_GCE_H

#include <stddef.h>
#include <stdint.h>

#include "classify.h"
#include "lib/cloud_frame.h"
#include "lib/cloud_http.h"
#include "lib/cloud_token.h"

#define SABA_GCE_METADATA_DEFAULT "http://metadata.google.internal."
#define SABA_GCE_API_DEFAULT	  "https://compute.googleapis.com"

struct saba_gce {
	struct saba_cloud c;	   /* first: the frame hands it back */
	struct saba_gce_self self; /* under c.lock, complete once c.known */
	struct saba_cloud_token *token;
	uint64_t requests; /* Compute Engine requests (atomic) */
};

/* GET <metadata_endpoint>/computeMetadata/v1/<path> with Metadata-Flavor:
 * Google.  Returns the HTTP status or -1 (err); *rs holds the answer (the
 * caller frees rs->body.data) and the Metadata-Flavor it answered with. */
long saba_gce_md(struct saba_gce *g, const char *path, struct saba_cloud_response *rs, char *err,
		 size_t err_len);

/* The metadata server's side of the frame (metadata.c). */
int saba_gce_probe(struct saba_cloud *c, char *why, size_t len);
int saba_gce_learn(struct saba_cloud *c, char *why, size_t len);
char *saba_gce_meta(struct saba_cloud *c, char *why, size_t len);
int saba_gce_dmi(const char *sysfs, char *evidence, size_t len);
/* instance/preempted: 1 TRUE, 0 FALSE (or no answer), -1 FALSE but a host
 * maintenance event is announced; evidence has both items. */
int saba_gce_read_preempted(struct saba_gce *g, char *evidence, size_t len);

/* A copy of the identity (under the lock). */
void saba_gce_self_copy(struct saba_gce *g, struct saba_gce_self *out);

/* The Compute Engine API (compute.c), before deadline_ms.  0, or -1 with
 * err (every error: the caller then knows nothing). */
int saba_gce_get_instance(struct saba_gce *g, const struct saba_gce_self *self, int64_t deadline_ms,
			  struct saba_gce_instance *in, char *err, size_t err_len);
/* Every page of the pending delete operations in project/zone: fn is
 * called for each (classify.h). */
int saba_gce_pending_deletes(struct saba_gce *g, const char *project, const char *zone,
			     int64_t deadline_ms, saba_gce_op_fn fn, void *arg, char *err,
			     size_t err_len);

/* Every page of instances.aggregatedList of project: fn is called for
 * each instance (classify.h). */
int saba_gce_instances(struct saba_gce *g, const char *project, int64_t deadline_ms,
		       saba_gce_instance_fn fn, void *arg, char *err, size_t err_len);

/* The requests sent to the Compute Engine API so far (the sweeper's log). */
uint64_t saba_gce_requests(void *arg);

#endif
