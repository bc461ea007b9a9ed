/*
 * gce: the Google Compute Engine plugin.  Four jobs, each optional:
 *   identity      host_spec() contributes customIdentifier
 *                 "<numeric instance id>.gce.cloud.google.com" and meta.cloud
 *                 as mackerel-agent does, so a new install adopts the host
 *                 an earlier agent or the GCP integration created;
 *   termination   a thread polls the metadata server's instance/preempted;
 *                 a preemption retires the host (SABA_STOP_TERMINATE) only
 *                 when the instance's termination action is DELETE (a Spot
 *                 VM's default, STOP, only stops it);
 *   confirmation  confirm_retire() answers the retire routine for OS-level
 *                 stops: yes only for a delete operation of this instance in
 *                 progress (a stop, a suspension or a maintenance event
 *                 powers the OS off too);
 *   sweeper       with sweep = true, the fleet sweeper (sweep.c).
 * The frame (plugins/lib/cloud_frame.c) does what every cloud does alike.
 * Every doubt means "do not retire".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <saba/plugin.h>

#include "lib/clock.h"
#include "lib/cloud_text.h"
#include "gce.h"
#include "sweep.h"

static const char *const saba_gce_platforms[] = {"auto", "gce", "none", NULL};

static const struct saba_setting saba_gce_settings[] = {
	{.name = "cloud_platform",
	 .type = SABA_CFG_STRING,
	 .def = "\"auto\"",
	 .allowed = saba_gce_platforms,
	 .description = "auto: GCE when DMI or the metadata server says so"},
	{.name = "metadata_endpoint",
	 .type = SABA_CFG_STRING,
	 .description = "metadata server base URL; absent: http://$GCE_METADATA_HOST, "
			"else " SABA_GCE_METADATA_DEFAULT},
	{.name = "api_endpoint",
	 .type = SABA_CFG_STRING,
	 .description = "Compute Engine API base URL; absent: " SABA_GCE_API_DEFAULT},
	{.name = "sweep_projects",
	 .type = SABA_CFG_STRING_LIST,
	 .description = "projects to sweep; absent: this instance's project (required with "
			"cloud_platform \"none\")"},
	SABA_CLOUD_SETTINGS("metadata server", "Compute Engine API"),
	{.name = NULL},
};

static int saba_gce_ci(struct saba_cloud *c, char *buf, size_t len)
{
	struct saba_gce_self s;

	saba_gce_self_copy((struct saba_gce *)c, &s);
	return saba_gce_custom_identifier(s.id, buf, len);
}

/* A preemption retires only an instance deleted on preemption. */
static int saba_gce_poll(struct saba_cloud *c, char *evidence, size_t len)
{
	struct saba_gce *g = (struct saba_gce *)c;
	struct saba_gce_instance in;
	struct saba_gce_self s;
	char err[256] = "";
	size_t used;
	int preempted = saba_gce_read_preempted(g, evidence, len);

	if (preempted <= 0)
		return preempted < 0 ? SABA_CLOUD_POLL_NOTE : SABA_CLOUD_POLL_QUIET;
	saba_gce_self_copy(g, &s);
	used = strlen(evidence);
	if (saba_gce_get_instance(g, &s, saba_clock_ms() + 2 * c->api_timeout_ms, &in, err,
				  sizeof(err)) != 0) {
		snprintf(evidence + used, len - used, "; cannot tell whether it is deleted: %s",
			 err);
		return SABA_CLOUD_POLL_NOTE;
	}
	if (strcmp(in.termination, "DELETE") != 0) {
		saba_cloud_printable(in.termination[0] ? in.termination : "STOP (the default)", err,
				     sizeof(err));
		snprintf(evidence + used, len - used,
			 "; termination action %s: the instance stops, it is not deleted", err);
		return SABA_CLOUD_POLL_NOTE;
	}
	snprintf(evidence + used, len - used,
		 "; termination action DELETE: the instance is being deleted");
	return SABA_CLOUD_POLL_GOING;
}

/* zoneOperations.list's callback for confirmation: our instance's deletes. */
struct saba_gce_match {
	const char *id;
	struct saba_gce_seen *seen;
};

static void saba_gce_on_delete(void *arg, const char *target_id, const char *op_name)
{
	struct saba_gce_match *m = arg;

	if (strcmp(target_id, m->id) != 0)
		return;
	if (m->seen->deleting++ == 0)
		snprintf(m->seen->op, sizeof(m->seen->op), "%s", op_name);
}

static int saba_gce_confirm(struct saba_cloud *c, int64_t deadline_ms, char *evidence, size_t len)
{
	struct saba_gce *g = (struct saba_gce *)c;
	struct saba_gce_seen seen;
	struct saba_gce_self s;
	struct saba_gce_match m = {NULL, &seen};
	char ignored[256], iwhy[256] = "";

	memset(&seen, 0, sizeof(seen));
	saba_gce_self_copy(g, &s);
	m.id = s.id;
	seen.preempted = saba_gce_read_preempted(g, ignored, sizeof(ignored)) > 0;
	seen.ops_ok =
		saba_gce_pending_deletes(g, s.project, s.zone, deadline_ms, saba_gce_on_delete, &m,
					 seen.why, sizeof(seen.why)) == 0;
	if (!seen.ops_ok)
		seen.deleting = 0; /* a partial list proves nothing */
	if (!seen.ops_ok || seen.deleting == 0) {
		seen.inst_ok = saba_gce_get_instance(g, &s, deadline_ms, &seen.inst, iwhy,
						     sizeof(iwhy)) == 0;
		if (seen.ops_ok)
			snprintf(seen.why, sizeof(seen.why), "%s", iwhy);
	}
	return saba_gce_decide(&s, &seen, evidence, len);
}

static char *saba_gce_own_scope(struct saba_cloud *c)
{
	struct saba_gce_self s;

	saba_gce_self_copy((struct saba_gce *)c, &s);
	return s.project[0] != '\0' ? strdup(s.project) : NULL;
}

/* The service account's token, from the metadata server. */
static int saba_gce_setup(struct saba_cloud *c)
{
	struct saba_gce *g = (struct saba_gce *)c;
	char url[512];

	snprintf(url, sizeof(url), "%s/computeMetadata/v1/instance/service-accounts/default/token",
		 c->md_endpoint);
	g->token =
		saba_cloud_token_new(url, "Metadata-Flavor: Google", c->md_timeout_ms, &c->aborted);
	return g->token != NULL ? SABA_OK : SABA_ERROR;
}

static void saba_gce_teardown(struct saba_cloud *c)
{
	saba_cloud_token_free(((struct saba_gce *)c)->token);
}

static const struct saba_cloud_ops saba_gce_ops = {
	.size = sizeof(struct saba_gce),
	.name = "GCE",
	.platform = "gce",
	.md_default = SABA_GCE_METADATA_DEFAULT,
	.md_env = "GCE_METADATA_HOST",
	.api_default = SABA_GCE_API_DEFAULT,
	.scopes_key = "sweep_projects",
	.scope_ok = saba_gce_project_ok,
	.setup = saba_gce_setup,
	.teardown = saba_gce_teardown,
	.dmi = saba_gce_dmi,
	.probe = saba_gce_probe,
	.learn = saba_gce_learn,
	.custom_identifier = saba_gce_ci,
	.meta = saba_gce_meta,
	.poll = saba_gce_poll,
	.confirm = saba_gce_confirm,
	.own_scope = saba_gce_own_scope,
	.sweep_cloud = &saba_gce_sweep_cloud,
};

SABA_CLOUD_PLUGIN("gce", "GCE identity, preemption, retire confirmation, fleet sweeper",
		  saba_gce_settings, saba_gce_ops)
