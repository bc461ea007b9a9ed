/* Pure decisions of the azure plugin (no I/O), unit-tested over tables and
 * fuzzed: what the Instance Metadata Service (IMDS) and Azure Resource
 * Manager (ARM) answered, and what that says about retiring this host.
 * Only positive evidence that this VM is being deleted says yes; a stop, a
 * deallocation, a reboot, a redeploy, a freeze, a Spot eviction that only
 * deallocates, anything malformed or unexpected says no.
 *
 * Where "being deleted" is read:
 *   - ARM Microsoft.Compute virtualMachines (or a scale set's
 *     virtualMachines) GET: properties.provisioningState "Deleting" ("the
 *     virtual machine is being deleted"), for the resource whose
 *     properties.vmId is this VM's;
 *   - IMDS Scheduled Events naming this VM in Resources: EventType
 *     "Terminate" ("the virtual machine is scheduled to be deleted"), or
 *     "Preempt" ("the Spot virtual machine is being deleted") when IMDS says
 *     the VM's evictionPolicy is "Delete" (with "Deallocate" an eviction
 *     only deallocates).  Reboot, Redeploy and Freeze never. */
#ifndef SABA_AZURE_CLASSIFY_H
#define SABA_AZURE_CLASSIFY_H

#include <stddef.h>

#define SABA_AZURE_CI_SUFFIX ".virtual_machine.azure.microsoft.com"

/* What the azure plugin learns about its VM from IMDS
 * (/metadata/instance/compute). */
struct saba_azure_self {
	char vm_id[40];
	char name[80];	       /* the VM's name, as Scheduled Events' Resources say it */
	char resource_id[400]; /* /subscriptions/.../virtualMachines/<name> */
	char subscription[40];
	char eviction[16];    /* evictionPolicy: "Delete", "Deallocate" or "" */
	char environment[40]; /* azEnvironment: "AzurePublicCloud", ... */
};

/* A vmId: a GUID, 8-4-4-4-12 hex digits. */
int saba_azure_vmid_ok(const char *vm_id);

/* "<vmId>.virtual_machine.azure.microsoft.com" into buf: 0, or -1 when the
 * vmId is not usable or buf too small. */
int saba_azure_custom_identifier(const char *vm_id, char *buf, size_t len);

/* The compute answer into self.  0, or -1 when a field the plugin needs
 * (vmId, name, a resourceId under /subscriptions/) is missing or malformed. */
int saba_azure_parse_compute(const char *body, size_t len, struct saba_azure_self *self, char *err,
			     size_t err_len);

/* A resource id safe to put into a URL path as it is. */
int saba_azure_resource_id_ok(const char *id);

/* A VM name as IMDS and Scheduled Events give it (ARM's characters). */
int saba_azure_name_ok(const char *name);

/* The ARM endpoint of an azEnvironment (the public cloud's for an unknown
 * or empty one), without a trailing slash. */
const char *saba_azure_arm_endpoint(const char *environment);

/* The resource the managed identity's token is for: the ARM endpoint in
 * use when it is one of the known clouds' ("https://management.azure.com"
 * -> "https://management.azure.com/"), else the one of environment. */
void saba_azure_token_resource(const char *arm_endpoint, const char *environment, char *buf,
			       size_t len);

/* Called for each VM of a page of a virtualMachines list: its vmId
 * (lower-case) and provisioningState. */
typedef void (*saba_azure_vm_fn)(void *arg, const char *vm_id, const char *provisioning);

/* One page of an ARM virtualMachines list ({"value": [...], "nextLink":
 * ...}).  fn is called for each VM with a usable vmId and
 * provisioningState; *next gets the nextLink (malloc'd) or NULL.  0, or -1
 * when the page is not a list (err; fn was not called). */
int saba_azure_parse_vm_list(const char *body, size_t len, saba_azure_vm_fn fn, void *arg,
			     char **next, char *err, size_t err_len);

/* One scheduled event, as the plugin sees it. */
struct saba_azure_event {
	char id[64];
	char type[16];	 /* Reboot, Redeploy, Freeze, Preempt, Terminate */
	char status[16]; /* Scheduled, Started */
	char not_before[40];
	int applies; /* Resources names this VM */
	int retire;  /* this event retires the host */
	char evidence[200];
};

/* Called once per event; a non-zero return stops the walk (and fails). */
typedef int (*saba_azure_event_fn)(void *arg, const struct saba_azure_event *ev);

/* A Scheduled Events document: each event classified for the VM named
 * vm_name with evictionPolicy eviction.  *incarnation gets the
 * DocumentIncarnation.  0, or -1 when the document is malformed (err); no
 * event is reported then. */
int saba_azure_parse_events(const char *body, size_t len, const char *vm_name, const char *eviction,
			    long long *incarnation, saba_azure_event_fn fn, void *arg, char *err,
			    size_t err_len);

/* {"StartRequests": [{"EventId": ...}, ...]} for the n ids (malloc'd). */
char *saba_azure_ack_body(const char *const *ids, size_t n);

/* What an ARM GET of the VM said. */
struct saba_azure_vm {
	char vm_id[40];
	char provisioning[24]; /* Succeeded, Updating, Deleting, Failed, ... */
	char power[40];	       /* PowerState/running, ... ("" without an instance view) */
};

/* 0 with *vm filled, or -1 when the answer is not a VM (err). */
int saba_azure_parse_vm(const char *body, size_t len, struct saba_azure_vm *vm, char *err,
			size_t err_len);

/* What was asked about this VM for a confirmation. */
struct saba_azure_seen {
	int vm_ok; /* ARM answered 200 with a readable VM */
	struct saba_azure_vm vm;
	int events_retire; /* a current scheduled event retires this VM */
	char event[200];   /* its evidence */
	char why[256];	   /* what failed, when something did */
};

/* SABA_CONFIRM_YES when ARM says this very VM (same vmId) is Deleting, or a
 * current scheduled event says it is being deleted; else SABA_CONFIRM_NO. */
int saba_azure_decide(const struct saba_azure_self *self, const struct saba_azure_seen *seen,
		      char *evidence, size_t len);

#endif
