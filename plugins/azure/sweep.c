/* The azure plugin's side of the fleet sweeper: which VM a
 * customIdentifier names, and what one subscription says about the VMs
 * asked for: ARM's virtualMachines list names them (alive, whatever their
 * power state: a stopped or deallocated VM is not gone), and
 * provisioningState Deleting says they are being deleted.  A scale set's
 * VMs in uniform orchestration are not in that list: their hosts are never
 * retired for being absent (never listed).  Needs
 * Microsoft.Compute/virtualMachines/read on every swept subscription. */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "azure.h"
#include "sweep.h"

/* vmIds are compared in lower case. */
static int saba_azure_sweep_id(const char *head, size_t n, char *out)
{
	if (n != 36)
		return -1;
	for (size_t i = 0; i < n; i++)
		out[i] = (char)tolower((unsigned char)head[i]);
	out[n] = '\0';
	return saba_azure_vmid_ok(out) ? 0 : -1;
}

/* A VM the list names: alive, or being deleted.  A page that fails later
 * spoils the scope, which then retires nothing. */
static void saba_azure_on_vm(void *arg, const char *vm_id, const char *provisioning)
{
	saba_cloud_sweep_mark(arg, vm_id, strcasecmp(provisioning, "Deleting") == 0, provisioning);
}

static int saba_azure_sweep_ask(void *arg, int s, const char *subscription, const char *const *ids,
				size_t n, struct saba_cloud_sweep_mark *m, char *err,
				size_t err_len)
{
	return saba_azure_list_vms(arg, subscription, saba_azure_on_vm, m, err, err_len);
}

uint64_t saba_azure_requests(void *arg)
{
	struct saba_azure *a = arg;

	return __atomic_load_n(&a->requests, __ATOMIC_RELAXED);
}

const struct saba_sweep_cloud saba_azure_sweep_cloud = {
	.cloud = "Azure",
	.api = "ARM virtualMachines",
	.scope = "subscription",
	.dead_words = "Deleting",
	.suffix = SABA_AZURE_CI_SUFFIX,
	.id = saba_azure_sweep_id,
	.ask = saba_azure_sweep_ask,
	.requests = saba_azure_requests,
};
