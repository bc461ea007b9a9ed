/* The azure plugin's instance and what its parts share: the cloud frame
 * (plugins/lib/cloud_frame.h), the VM's identity (its vmId) and details
 * from IMDS, the managed identity's token, and the requests to IMDS
 * (imds.c) and Azure Resource Manager (arm.c). */
#ifndef SABA_AZURE_H
#define SABA_AZURE_H

#include <stddef.h>
#include <stdint.h>

#include "classify.h"
#include "lib/cloud_frame.h"
#include "lib/cloud_http.h"
#include "lib/cloud_token.h"

#define SABA_AZURE_IMDS_DEFAULT "http://169.254.169.254"
/* ARM api-version for virtualMachines GET and list */
#define SABA_AZURE_ARM_VERSION "2024-07-01"

struct saba_azure {
	struct saba_cloud c; /* first: the frame hands it back */
	int acknowledge;     /* setting: approve the events that retired the host */

	/* under c.lock */
	char vm_id[40]; /* known once c.known */
	int have_self;	/* self below was read from IMDS */
	struct saba_azure_self self;
	char *arm;			/* the ARM endpoint: api_endpoint, or azEnvironment's */
	struct saba_cloud_token *token; /* made with self */
	char *pending_ack[8];		/* event ids that retired the host */
	int npending;
	uint64_t requests; /* ARM requests (atomic) */
};

/* GET (or POST body to) <metadata_endpoint>/metadata/<path> with Metadata:
 * true, within timeout_ms.  Returns the HTTP status or -1 (err); *rs holds
 * the answer (the caller frees rs->body.data). */
long saba_azure_imds(struct saba_azure *a, const char *path, const char *body, long timeout_ms,
		     struct saba_cloud_response *rs, char *err, size_t err_len);

/* IMDS's side of the frame (imds.c). */
int saba_azure_dmi(const char *sysfs, char *evidence, size_t len);
int saba_azure_probe(struct saba_cloud *c, char *why, size_t len);
int saba_azure_learn(struct saba_cloud *c, char *why, size_t len);
char *saba_azure_meta(struct saba_cloud *c, char *why, size_t len);

/* The VM's details (name, resourceId, evictionPolicy, ...), read from IMDS
 * once and kept: 0 with a copy in *self, or -1 (why). */
int saba_azure_details(struct saba_azure *a, struct saba_azure_self *self, char *why, size_t len);

/* Scheduled Events now, within timeout_ms: 1 when one retires this VM
 * (evidence; its id kept for the acknowledgement when remember is set), 0
 * when none does (evidence says what was seen), -1 when they could not be
 * read (evidence). */
int saba_azure_events(struct saba_azure *a, const struct saba_azure_self *self, long timeout_ms,
		      int remember, char *evidence, size_t len);

/* Approve the kept events (POST StartRequests); logged. */
void saba_azure_acknowledge(struct saba_azure *a);

/* ARM (arm.c).  The endpoint and the managed identity's token for it,
 * made once (the VM's cloud from environment, NULL: unknown); called with
 * c.lock held.  0, or -1 when out of memory. */
int saba_azure_arm_ready(struct saba_azure *a, const char *environment);

/* Every page of subscription's virtual machines: fn for each (classify.h).
 * 0, or -1 (err). */
int saba_azure_list_vms(struct saba_azure *a, const char *subscription, saba_azure_vm_fn fn,
			void *arg, char *err, size_t err_len);

/* The requests sent to ARM so far (the sweeper's log). */
uint64_t saba_azure_requests(void *arg);

/* GET <resourceId> with the managed identity's token, before
 * deadline_ms.  0 with *vm, or -1 (err). */
int saba_azure_get_vm(struct saba_azure *a, const struct saba_azure_self *self, int64_t deadline_ms,
		      struct saba_azure_vm *vm, char *err, size_t err_len);

#endif
