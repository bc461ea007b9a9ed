/* The gce plugin's side of the fleet sweeper: which instance a
 * customIdentifier names, and what one project says about the instances
 * asked for: instances.aggregatedList lists them (alive, whatever their
 * status: a stopped or suspended instance is not gone), and a delete
 * operation in progress in their zone says they are being deleted.  Needs
 * compute.instances.list and compute.zoneOperations.list on every swept
 * project. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gce.h"
#include "sweep.h"

/* The instances asked about that the project lists. */
struct saba_gce_found {
	char id[24];
	char zone[64];
	char status[24];
	int dead;
};

struct saba_gce_listing {
	const char *const *ids; /* sorted */
	size_t n;
	struct saba_gce_found *found;
	size_t nfound;
	int oom;
};

static int saba_gce_sweep_id(const char *head, size_t n, char *out)
{
	if (n == 0 || n >= SABA_SWEEP_ID_MAX)
		return -1;
	memcpy(out, head, n);
	out[n] = '\0';
	return saba_gce_id_ok(out) ? 0 : -1;
}

static int saba_gce_cmp_id(const void *key, const void *elem)
{
	return strcmp(key, *(const char *const *)elem);
}

static void saba_gce_on_instance(void *arg, const char *id, const char *zone, const char *status)
{
	struct saba_gce_listing *l = arg;
	struct saba_gce_found *f;

	if (bsearch(id, l->ids, l->n, sizeof(*l->ids), saba_gce_cmp_id) == NULL)
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
	snprintf(f->id, sizeof(f->id), "%s", id);
	snprintf(f->zone, sizeof(f->zone), "%s", zone);
	snprintf(f->status, sizeof(f->status), "%s", status);
	f->dead = 0;
}

static void saba_gce_on_pending(void *arg, const char *target_id, const char *op_name)
{
	struct saba_gce_listing *l = arg;

	for (size_t i = 0; i < l->nfound; i++)
		if (strcmp(l->found[i].id, target_id) == 0)
			l->found[i].dead = 1;
}

static int saba_gce_sweep_ask(void *arg, int s, const char *project, const char *const *ids,
			      size_t n, struct saba_cloud_sweep_mark *m, char *err, size_t err_len)
{
	struct saba_gce *g = arg;
	struct saba_gce_listing l = {ids, n, NULL, 0, 0};
	int rc = -1;

	if (saba_gce_instances(g, project, INT64_MAX, saba_gce_on_instance, &l, err, err_len) != 0)
		goto out;
	if (l.oom) {
		snprintf(err, err_len, "out of memory");
		goto out;
	}
	/* the zones of the instances found, each asked once */
	for (size_t i = 0; i < l.nfound; i++) {
		int asked = 0;

		for (size_t j = 0; j < i && !asked; j++)
			asked = strcmp(l.found[j].zone, l.found[i].zone) == 0;
		if (!asked && saba_gce_pending_deletes(g, project, l.found[i].zone, INT64_MAX,
						       saba_gce_on_pending, &l, err, err_len) != 0)
			goto out;
	}
	/* only now, with every answer in: nothing is marked from half of them */
	for (size_t i = 0; i < l.nfound; i++)
		saba_cloud_sweep_mark(m, l.found[i].id, l.found[i].dead,
				      l.found[i].dead ? "being deleted" : l.found[i].status);
	rc = 0;
out:
	free(l.found);
	return rc;
}

uint64_t saba_gce_requests(void *arg)
{
	struct saba_gce *g = arg;

	return __atomic_load_n(&g->requests, __ATOMIC_RELAXED);
}

const struct saba_sweep_cloud saba_gce_sweep_cloud = {
	.cloud = "GCE",
	.api = "Compute Engine",
	.scope = "project",
	.dead_words = "being deleted",
	.suffix = SABA_GCE_CI_SUFFIX,
	.id = saba_gce_sweep_id,
	.ask = saba_gce_sweep_ask,
	.requests = saba_gce_requests,
};
