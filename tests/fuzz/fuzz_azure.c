/*
 * fuzz_azure: every reader of the azure plugin over what IMDS and Azure
 * Resource Manager answer (plugins/azure/classify.c), the token reader and
 * the error reader they share (plugins/lib/cloud_token.c, cloud_text.c),
 * and the decisions over what they read: an event retires only when it is
 * a Terminate naming this VM, or a Preempt naming it with evictionPolicy
 * Delete; a confirmation says yes only for such an event or ARM saying
 * this very VM (same vmId) is Deleting.  Every line of evidence must be one
 * printable line: it goes to the log and into a retire reason.
 *
 * Input: parts separated by "%%": the IMDS compute answer, a Scheduled
 * Events document, an ARM virtual machine, a token answer, an error answer.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "fuzz.h"
#include "fuzz_cloud.h"
#include "plugins/azure/classify.h"
#include "plugins/lib/cloud_text.h"

#define FUZZ_VMID "02aab8a4-74ef-476e-8182-f6d2ba4166a6"

enum { FUZZ_COMPUTE, FUZZ_EVENTS, FUZZ_VM, FUZZ_TOKEN, FUZZ_ERROR, FUZZ_NPARTS };

struct fuzz_walk {
	const char *eviction;
	int retire, n;
	char first[200];
	const char *ids[64];
	char *owned[64];
};

static int fuzz_on_event(void *arg, const struct saba_azure_event *ev)
{
	struct fuzz_walk *w = arg;
	int deletes = strcmp(ev->type, "Terminate") == 0 ||
		      (strcmp(ev->type, "Preempt") == 0 && strcmp(w->eviction, "Delete") == 0);

	fuzz_printable("the event evidence", ev->evidence);
	if (ev->retire && !(ev->applies && deletes))
		fuzz_fail("event %s (%s) retires: %s", ev->id, ev->type, ev->evidence);
	if (ev->retire && w->retire < 64) {
		w->owned[w->retire] = strdup(ev->id);
		w->ids[w->retire] = w->owned[w->retire];
		if (w->retire++ == 0)
			snprintf(w->first, sizeof(w->first), "%s", ev->evidence);
	}
	w->n++;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_part parts[FUZZ_NPARTS] = {{0}};
	struct saba_azure_self self;
	struct saba_azure_seen seen;
	struct fuzz_walk w;
	char *text[FUZZ_NPARTS], err[256] = "", ev[512] = "", *ack;
	size_t n = fuzz_split(data, size, parts, FUZZ_NPARTS);
	long long inc = 0;
	int answer;

	for (size_t i = 0; i < FUZZ_NPARTS; i++)
		text[i] = i < n ? fuzz_str(&parts[i]) : strdup("");
	memset(&seen, 0, sizeof(seen));
	memset(&w, 0, sizeof(w));

	if (saba_azure_parse_compute(text[FUZZ_COMPUTE], strlen(text[FUZZ_COMPUTE]), &self, err,
				     sizeof(err)) == 0) {
		if (!saba_azure_vmid_ok(self.vm_id) ||
		    !saba_azure_resource_id_ok(self.resource_id) || self.name[0] == '\0')
			fuzz_fail("learnt a malformed vmId, name or resourceId");
	} else {
		/* the checks below still need a VM: a Spot VM deleted on eviction */
		memset(&self, 0, sizeof(self));
		snprintf(self.vm_id, sizeof(self.vm_id), FUZZ_VMID);
		snprintf(self.name, sizeof(self.name), "vm-1");
		snprintf(self.eviction, sizeof(self.eviction), "Delete");
	}
	w.eviction = self.eviction;
	if (saba_azure_parse_events(text[FUZZ_EVENTS], strlen(text[FUZZ_EVENTS]), self.name,
				    self.eviction, &inc, fuzz_on_event, &w, err,
				    sizeof(err)) != 0 &&
	    w.n != 0)
		fuzz_fail("a refused document reported events");
	if (w.retire > 0) {
		json_t *doc;

		ack = saba_azure_ack_body(w.ids, (size_t)w.retire);
		doc = ack != NULL ? json_loads(ack, 0, NULL) : NULL;
		if (json_array_size(json_object_get(doc, "StartRequests")) != (size_t)w.retire)
			fuzz_fail("the approval is not the events' list: %s", ack ? ack : "(null)");
		json_decref(doc);
		free(ack);
	}
	seen.events_retire = w.retire > 0;
	snprintf(seen.event, sizeof(seen.event), "%s", w.first);

	seen.vm_ok = saba_azure_parse_vm(text[FUZZ_VM], strlen(text[FUZZ_VM]), &seen.vm, err,
					 sizeof(err)) == 0;
	answer = saba_azure_decide(&self, &seen, ev, sizeof(ev));
	fuzz_printable("the confirmation evidence", ev);
	if (answer == SABA_CONFIRM_YES && !seen.events_retire &&
	    !(seen.vm_ok && strcasecmp(seen.vm.vm_id, self.vm_id) == 0 &&
	      strcasecmp(seen.vm.provisioning, "Deleting") == 0))
		fuzz_fail("confirmed without a delete: %s", ev);

	fuzz_cloud_answers(text[FUZZ_TOKEN], text[FUZZ_ERROR], "code");

	for (int i = 0; i < w.retire; i++)
		free(w.owned[i]);
	for (size_t i = 0; i < FUZZ_NPARTS; i++)
		free(text[i]);
	return 0;
}
