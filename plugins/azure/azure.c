/*
 * azure: the Azure virtual machine plugin.  Four jobs, each optional:
 *   identity      host_spec() contributes customIdentifier
 *                 "<vmId>.virtual_machine.azure.microsoft.com" and meta.cloud
 *                 as mackerel-agent does, so a new install adopts the host an
 *                 earlier agent or the Azure integration created;
 *   termination   a thread polls IMDS Scheduled Events: a Terminate event,
 *                 or a Preempt event of a Spot VM whose evictionPolicy is
 *                 Delete, naming this VM retires the host
 *                 (SABA_STOP_TERMINATE), and then, with acknowledge = true,
 *                 the event is approved; Reboot, Redeploy and Freeze never
 *                 retire;
 *   confirmation  confirm_retire() answers the retire routine for OS-level
 *                 stops: yes only when ARM says this VM's provisioningState
 *                 is Deleting (a stop or a deallocation powers the OS off
 *                 too), or a current scheduled event says so;
 *   sweeper       with sweep = true, the fleet sweeper (sweep.c).
 * The frame (plugins/lib/cloud_frame.c) does what every cloud does alike.
 * Every doubt means "do not retire".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <saba/plugin.h>

#include "azure.h"
#include "sweep.h"

/* The first Scheduled Events request switches the service on for the VM
 * and may take up to two minutes. */
#define SABA_AZURE_EVENTS_TIMEOUT_MS 30000L

static int saba_azure_subscription_ok(const char *s)
{
	return saba_azure_vmid_ok(s);
}

static const char *const saba_azure_platforms[] = {"auto", "azurevm", "none", NULL};

static const struct saba_setting saba_azure_settings[] = {
	{.name = "cloud_platform",
	 .type = SABA_CFG_STRING,
	 .def = "\"auto\"",
	 .allowed = saba_azure_platforms,
	 .description = "auto: Azure when DMI or IMDS says so"},
	{.name = "metadata_endpoint",
	 .type = SABA_CFG_STRING,
	 .description = "IMDS base URL; absent: " SABA_AZURE_IMDS_DEFAULT},
	{.name = "api_endpoint",
	 .type = SABA_CFG_STRING,
	 .description = "Azure Resource Manager base URL; absent: the VM's cloud's "
			"(https://management.azure.com in the public cloud)"},
	{.name = "acknowledge",
	 .type = SABA_CFG_BOOL,
	 .def = "true",
	 .description = "approve the scheduled event that retired the host"},
	{.name = "sweep_subscriptions",
	 .type = SABA_CFG_STRING_LIST,
	 .description = "subscription ids to sweep; absent: this VM's subscription (required "
			"with cloud_platform \"none\")"},
	SABA_CLOUD_SETTINGS("IMDS", "ARM"),
	{.name = NULL},
};

static int saba_azure_ci(struct saba_cloud *c, char *buf, size_t len)
{
	struct saba_azure *a = (struct saba_azure *)c;
	char id[40];

	pthread_mutex_lock(&c->lock);
	memcpy(id, a->vm_id, sizeof(id));
	pthread_mutex_unlock(&c->lock);
	return saba_azure_custom_identifier(id, buf, len);
}

static int saba_azure_poll(struct saba_cloud *c, char *evidence, size_t len)
{
	struct saba_azure *a = (struct saba_azure *)c;
	struct saba_azure_self s;
	char why[256] = "";
	long timeout = c->md_timeout_ms > SABA_AZURE_EVENTS_TIMEOUT_MS
			       ? c->md_timeout_ms
			       : SABA_AZURE_EVENTS_TIMEOUT_MS;

	int rc;

	if (saba_azure_details(a, &s, why, sizeof(why)) != 0) {
		snprintf(evidence, len, "Scheduled Events not read: %s", why);
		return SABA_CLOUD_POLL_QUIET;
	}
	rc = saba_azure_events(a, &s, timeout, 1, evidence, len);
	/* an event that does not retire is worth a line */
	return rc > 0 ? SABA_CLOUD_POLL_GOING
	       : rc == 0 && strncmp(evidence, "Scheduled Events: none", 22) != 0
		       ? SABA_CLOUD_POLL_NOTE
		       : SABA_CLOUD_POLL_QUIET;
}

/* Approve the events only after the retire attempt reached the API. */
static void saba_azure_retired(struct saba_cloud *c, int result)
{
	struct saba_azure *a = (struct saba_azure *)c;

	if (a->acknowledge && (result == SABA_RETIRE_DONE || result == SABA_RETIRE_FAILED)) {
		saba_azure_acknowledge(a);
		return;
	}
	pthread_mutex_lock(&c->lock);
	for (int i = 0; i < a->npending; i++)
		free(a->pending_ack[i]);
	a->npending = 0;
	pthread_mutex_unlock(&c->lock);
}

static int saba_azure_confirm(struct saba_cloud *c, int64_t deadline_ms, char *evidence, size_t len)
{
	struct saba_azure *a = (struct saba_azure *)c;
	struct saba_azure_seen seen;
	struct saba_azure_self s;
	char why[256] = "";

	memset(&seen, 0, sizeof(seen));
	if (saba_azure_details(a, &s, why, sizeof(why)) != 0) {
		snprintf(evidence, len, "cannot tell whether this VM is being deleted: %s", why);
		return SABA_CONFIRM_NO;
	}
	seen.events_retire =
		saba_azure_events(a, &s, c->md_timeout_ms, 0, seen.event, sizeof(seen.event)) > 0;
	if (!seen.events_retire)
		seen.vm_ok = saba_azure_get_vm(a, &s, deadline_ms, &seen.vm, seen.why,
					       sizeof(seen.why)) == 0;
	return saba_azure_decide(&s, &seen, evidence, len);
}

static char *saba_azure_own_scope(struct saba_cloud *c)
{
	struct saba_azure_self s;
	char why[256];

	if (saba_azure_details((struct saba_azure *)c, &s, why, sizeof(why)) != 0)
		return NULL;
	return strdup(s.subscription);
}

static int saba_azure_setup(struct saba_cloud *c)
{
	return saba_cloud_bool_setting(c, "acknowledge", &((struct saba_azure *)c)->acknowledge);
}

static void saba_azure_teardown(struct saba_cloud *c)
{
	struct saba_azure *a = (struct saba_azure *)c;

	for (int i = 0; i < a->npending; i++)
		free(a->pending_ack[i]);
	saba_cloud_token_free(a->token);
	free(a->arm);
}

static const struct saba_cloud_ops saba_azure_ops = {
	.size = sizeof(struct saba_azure),
	.name = "Azure",
	.platform = "azurevm",
	.md_default = SABA_AZURE_IMDS_DEFAULT,
	.scopes_key = "sweep_subscriptions",
	.scope_ok = saba_azure_subscription_ok,
	.setup = saba_azure_setup,
	.teardown = saba_azure_teardown,
	.dmi = saba_azure_dmi,
	.probe = saba_azure_probe,
	.learn = saba_azure_learn,
	.custom_identifier = saba_azure_ci,
	.meta = saba_azure_meta,
	.poll = saba_azure_poll,
	.retired = saba_azure_retired,
	.confirm = saba_azure_confirm,
	.own_scope = saba_azure_own_scope,
	.sweep_cloud = &saba_azure_sweep_cloud,
};

SABA_CLOUD_PLUGIN("azure",
		  "Azure VM identity, Scheduled Events, retire confirmation, fleet sweeper",
		  saba_azure_settings, saba_azure_ops)
