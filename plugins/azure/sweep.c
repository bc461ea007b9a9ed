/* The azure plugin's side of the fleet sweeper: which VM a
 * customIdentifier names, and what one subscription says about the VMs
 * asked for: ARM's virtualMachines list names them (alive, whatever their
 * power state: a stopped or deallocated VM is not gone), and
 * provisioningState Deleting says they are being deleted.  A scale set's
 * VMs in uniform orchestration are not in that list: their hosts are never
 * retired for being absent (never listed).  Needs
 * Microsoft.Compute/virtualMachines/read on every swept subscription. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "azure.h"
#include "sweep.h"

struct saba_azure_found {
	char vm_id[40];
	char state[24];
};

struct saba_azure_listing {
	const char *const *ids; /* sorted */
	size_t n;
	struct saba_azure_found *found;
	size_t nfound;
	int oom;
};

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

static int saba_azure_cmp_id(const void *key, const void *elem)
{
	return strcmp(key, *(const char *const *)elem);
}

static void saba_azure_on_vm(void *arg, const char *vm_id, const char *provisioning)
{
	struct saba_azure_listing *l = arg;
	struct saba_azure_found *f;

	if (bsearch(vm_id, l->ids, l->n, sizeof(*l->ids), saba_azure_cmp_id) == NULL)
		return;
	if (l->nfound % 256 == 0) {
		f = realloc(l->found, (l->nfound + 256) * sizeof(*f));
		if (f == NULL) {
			l->oom = 1;
			return;
		}
		l->found = f;
	}
	f = &l->found[l->nfound++];
	snprintf(f->vm_id, sizeof(f->vm_id), "%s", vm_id);
	snprintf(f->state, sizeof(f->state), "%s", provisioning);
}

static int saba_azure_sweep_ask(void *arg, int s, const char *subscription, const char *const *ids,
				size_t n, struct saba_sweep_mark *m, char *err, size_t err_len)
{
	struct saba_azure_listing l = {ids, n, NULL, 0, 0};
	int rc = -1;

	if (saba_azure_list_vms(arg, subscription, saba_azure_on_vm, &l, err, err_len) != 0)
		goto out;
	if (l.oom) {
		snprintf(err, err_len, "out of memory");
		goto out;
	}
	/* only now, with every page in: nothing is marked from half a list */
	for (size_t i = 0; i < l.nfound; i++)
		saba_sweep_mark(m, l.found[i].vm_id, strcasecmp(l.found[i].state, "Deleting") == 0,
				l.found[i].state);
	rc = 0;
out:
	free(l.found);
	return rc;
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
