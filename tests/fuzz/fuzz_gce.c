/*
 * fuzz_gce: every reader of the gce plugin over what the metadata server
 * and the Compute Engine API answer (plugins/gce/classify.c), the token
 * reader and the error reader they share (plugins/lib/cloud_token.c,
 * cloud_text.c), and the decision over what they read: a confirmation says
 * yes only for a delete operation of this very instance in progress, or a
 * preemption of this very instance with termination action DELETE.  Every
 * line of evidence must be one printable line: it goes to the log and into
 * a retire reason.
 *
 * Input: parts separated by "%%": the recursive metadata answer,
 * instance/preempted, an instances.get answer, a zoneOperations.list page,
 * a token answer, an error answer.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "fuzz.h"
#include "fuzz_cloud.h"
#include "plugins/gce/classify.h"
#include "plugins/lib/cloud_text.h"

#define FUZZ_ID "12345678901234567890"

enum { FUZZ_TREE, FUZZ_PREEMPTED, FUZZ_INSTANCE, FUZZ_OPS, FUZZ_TOKEN, FUZZ_ERROR, FUZZ_NPARTS };

static void fuzz_meta(const char *body, size_t len)
{
	static const char *const keys[] = {"hostname", "instance-id", "instance-type", "zone",
					   "projectId"};
	char err[256] = "", *text = saba_gce_cloud_meta(body, len, FUZZ_ID, err, sizeof(err));
	json_t *doc, *md, *v;
	const char *k;

	if (text == NULL) {
		fuzz_printable("the meta.cloud error", err);
		return;
	}
	doc = json_loads(text, 0, NULL);
	md = json_object_get(doc, "metadata");
	if (!json_is_object(doc) || json_object_size(doc) != 2 ||
	    strcmp(saba_cloud_json_str(doc, "provider") ? saba_cloud_json_str(doc, "provider") : "",
		   "gce") != 0 ||
	    !json_is_object(md))
		fuzz_fail("meta.cloud is not {\"provider\": \"gce\", \"metadata\": {...}}: %s",
			  text);
	json_object_foreach(md, k, v)
	{
		size_t i = 0;

		while (i < 5 && strcmp(keys[i], k) != 0)
			i++;
		if (i == 5 || !json_is_string(v))
			fuzz_fail("meta.cloud has %s: %s", k, text);
	}
	json_decref(doc);
	free(text);
}

struct fuzz_ops {
	int deleting, calls;
};

static void fuzz_on_op(void *arg, const char *target, const char *name)
{
	struct fuzz_ops *o = arg;

	if (!saba_gce_id_ok(target))
		fuzz_fail("a pending delete of \"%s\"", target);
	fuzz_printable("an operation name", name);
	o->calls++;
	o->deleting += strcmp(target, FUZZ_ID) == 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_part parts[FUZZ_NPARTS] = {{0}};
	struct saba_gce_self self = {FUZZ_ID, "p", "us-central1-a", "vm"}, learnt;
	struct saba_gce_seen seen;
	struct fuzz_ops ops = {0, 0};
	char *text[FUZZ_NPARTS], err[256] = "", ev[512] = "", *next = NULL;
	size_t n = fuzz_split(data, size, parts, FUZZ_NPARTS);
	int answer, ops_rc;

	for (size_t i = 0; i < FUZZ_NPARTS; i++)
		text[i] = i < n ? fuzz_str(&parts[i]) : strdup("");
	memset(&seen, 0, sizeof(seen));

	fuzz_meta(text[FUZZ_TREE], strlen(text[FUZZ_TREE]));
	if (saba_gce_self_from_meta(text[FUZZ_TREE], strlen(text[FUZZ_TREE]), &learnt, err,
				    sizeof(err)) == 0 &&
	    (!saba_gce_zone_ok(learnt.zone) || !saba_gce_name_ok(learnt.name) ||
	     !saba_gce_project_ok(learnt.project)))
		fuzz_fail("learnt a malformed zone, name or project");

	seen.preempted = saba_gce_preempted(200, text[FUZZ_PREEMPTED], ev, sizeof(ev));
	fuzz_printable("the preemption evidence", ev);
	if (seen.preempted && strncmp(text[FUZZ_PREEMPTED], "TRUE", 4) != 0)
		fuzz_fail("preempted from \"%s\"", text[FUZZ_PREEMPTED]);
	saba_gce_maintenance(200, text[FUZZ_PREEMPTED], ev, sizeof(ev));
	fuzz_printable("the maintenance evidence", ev);

	if (saba_gce_parse_instance(text[FUZZ_INSTANCE], strlen(text[FUZZ_INSTANCE]), &seen.inst,
				    err, sizeof(err)) == 0) {
		if (!saba_gce_id_ok(seen.inst.id) || seen.inst.status[0] == '\0')
			fuzz_fail("an instance without id or status");
		seen.inst_ok = strcmp(seen.inst.id, FUZZ_ID) == 0;
	}

	ops_rc = saba_gce_parse_ops(text[FUZZ_OPS], strlen(text[FUZZ_OPS]), fuzz_on_op, &ops, &next,
				    err, sizeof(err));
	if (ops_rc != 0 && (ops.calls != 0 || next != NULL))
		fuzz_fail("a refused page reported operations or a next page");
	seen.ops_ok = ops_rc == 0;
	seen.deleting = ops.deleting;
	snprintf(seen.op, sizeof(seen.op), "op");
	free(next);

	answer = saba_gce_decide(&self, &seen, ev, sizeof(ev));
	fuzz_printable("the confirmation evidence", ev);
	if (answer == SABA_CONFIRM_YES && !(seen.ops_ok && seen.deleting > 0) &&
	    !(seen.preempted && seen.inst_ok && strcmp(seen.inst.termination, "DELETE") == 0))
		fuzz_fail("confirmed without a delete: %s", ev);

	fuzz_cloud_answers(text[FUZZ_TOKEN], text[FUZZ_ERROR], "status");

	for (size_t i = 0; i < FUZZ_NPARTS; i++)
		free(text[i]);
	return 0;
}
