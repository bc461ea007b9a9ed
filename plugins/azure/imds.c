/* The azure plugin and the Instance Metadata Service: whether this is an
 * Azure VM, its vmId, meta.cloud, its details, and Scheduled Events; see
 * azure.h.  Every request carries Metadata: true (IMDS refuses others with
 * 400), goes to IMDS directly (never a proxy) and is bounded. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "azure.h"
#include "lib/cloud_text.h"

#define SABA_AZURE_ASSET_TAG "7783-7084-3265-9085-8269-3286-77"	   /* Azure's chassis */
#define SABA_AZURE_TEXT	     "?api-version=2017-04-02&format=text" /* as mackerel-agent */
#define SABA_AZURE_COMPUTE   "instance/compute?api-version=2021-02-01"
#define SABA_AZURE_EVENTS    "scheduledevents?api-version=2020-07-01"

long saba_azure_imds(struct saba_azure *a, const char *path, const char *body, long timeout_ms,
		     struct saba_cloud_response *rs, char *err, size_t err_len)
{
	static const char *const get_headers[] = {"Metadata: true", NULL};
	static const char *const post_headers[] = {"Metadata: true",
						   "Content-Type: application/json", NULL};
	char url[512];
	struct saba_cloud_request rq = {
		.method = body != NULL ? "POST" : "GET",
		.url = url,
		.headers = body != NULL ? post_headers : get_headers,
		.body = body,
		.timeout_ms = timeout_ms,
		.metadata = 1,
		.abort = &a->c.aborted,
		.error_key = "code",
	};
	long status;

	snprintf(url, sizeof(url), "%s/metadata/%s", a->c.md_endpoint, path);
	status = saba_cloud_fetch(&rq, rs, err, err_len);
	return status;
}

int saba_azure_dmi(const char *sysfs, char *evidence, size_t len)
{
	char tag[128], vendor[128];
	int t = saba_cloud_dmi_read(sysfs, "chassis_asset_tag", tag, sizeof(tag));
	int v = saba_cloud_dmi_read(sysfs, "sys_vendor", vendor, sizeof(vendor));

	if (t == 0 && strcmp(tag, SABA_AZURE_ASSET_TAG) == 0) {
		snprintf(evidence, len, "DMI chassis asset tag is Azure's");
		return SABA_CLOUD_DMI_YES;
	}
	if (v == 0 && strcmp(vendor, "Microsoft Corporation") != 0) {
		snprintf(evidence, len, "DMI system vendor \"%.60s\"", vendor);
		return SABA_CLOUD_DMI_NO;
	}
	/* Hyper-V elsewhere says Microsoft too: IMDS decides. */
	snprintf(evidence, len, "DMI cannot tell under %s", sysfs);
	return SABA_CLOUD_DMI_UNKNOWN;
}

/* instance/compute/vmId as text (the request mackerel-agent makes). */
static long saba_azure_vm_id(struct saba_azure *a, char *buf, size_t len, char *err, size_t err_len)
{
	struct saba_cloud_response rs;
	long status = saba_azure_imds(a, "instance/compute/vmId" SABA_AZURE_TEXT, NULL,
				      a->c.md_timeout_ms, &rs, err, err_len);

	buf[0] = '\0';
	if (status == 200 && rs.body.len < len)
		memcpy(buf, rs.body.data, rs.body.len + 1);
	free(rs.body.data);
	return status;
}

int saba_azure_probe(struct saba_cloud *c, char *why, size_t len)
{
	char id[64], err[200] = "";
	long status = saba_azure_vm_id((struct saba_azure *)c, id, sizeof(id), err, sizeof(err));

	if (status < 0) {
		snprintf(why, len, "IMDS does not answer: %s", err);
		return -1;
	}
	if (status != 200)
		snprintf(why, len, "not an Azure VM: IMDS answered %s", err);
	return status == 200;
}

int saba_azure_learn(struct saba_cloud *c, char *why, size_t len)
{
	struct saba_azure *a = (struct saba_azure *)c;
	char id[64], err[200] = "";
	long status = saba_azure_vm_id(a, id, sizeof(id), err, sizeof(err));

	if (status != 200) {
		snprintf(why, len, "IMDS vmId: %s", err);
		return -1;
	}
	if (!saba_azure_vmid_ok(id)) {
		snprintf(why, len, "IMDS vmId is not a vmId");
		return -1;
	}
	pthread_mutex_lock(&c->lock);
	if (!c->known) {
		memcpy(a->vm_id, id, 37); /* checked: 36 characters */
		c->host->log(c->ctx, SABA_LOG_NOTICE, "VM %s", id);
	}
	pthread_mutex_unlock(&c->lock);
	return 0;
}

/* Items of one IMDS path into meta as mackerel-agent reads them: a 200 sets
 * the key, another status leaves it out, no answer ends the group. */
static void saba_azure_meta_group(struct saba_azure *a, json_t *meta, const char *prefix,
				  const char *const (*keys)[2], size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct saba_cloud_response rs;
		char path[200], err[200];
		long status;

		snprintf(path, sizeof(path), "instance/%s%s" SABA_AZURE_TEXT, prefix, keys[i][0]);
		status = saba_azure_imds(a, path, NULL, a->c.md_timeout_ms, &rs, err, sizeof(err));
		if (status == 200)
			json_object_set_new(meta, keys[i][1],
					    json_stringn(rs.body.data, rs.body.len));
		free(rs.body.data);
		if (status < 0)
			return;
	}
}

char *saba_azure_meta(struct saba_cloud *c, char *why, size_t len)
{
	static const char *const compute[][2] = {
		{"location", "location"},
		{"offer", "imageReferenceOffer"},
		{"osType", "osSystemType"},
		{"publisher", "imageReferencePublisher"},
		{"sku", "imageReferenceSku"},
		{"vmId", "vmID"},
		{"vmSize", "virtualMachineSizeType"},
	};
	static const char *const network[][2] = {
		{"privateIpAddress", "privateIpAddress"},
		{"publicIpAddress", "publicIpAddress"},
	};
	json_t *meta = json_object(), *cloud;
	char *text;

	saba_azure_meta_group((struct saba_azure *)c, meta, "compute/", compute,
			      sizeof(compute) / sizeof(compute[0]));
	saba_azure_meta_group((struct saba_azure *)c, meta, "network/interface/0/ipv4/ipAddress/0/",
			      network, sizeof(network) / sizeof(network[0]));
	cloud = json_pack("{s:s, s:o}", "provider", "AzureVM", "metadata", meta);
	text = cloud != NULL ? json_dumps(cloud, JSON_COMPACT) : NULL;
	json_decref(cloud);
	if (text == NULL)
		snprintf(why, len, "out of memory");
	return text;
}

int saba_azure_details(struct saba_azure *a, struct saba_azure_self *self, char *why, size_t len)
{
	struct saba_cloud_response rs;
	struct saba_azure_self s;
	char err[200] = "";
	long status;
	int rc = -1;

	pthread_mutex_lock(&a->c.lock);
	if (a->have_self) {
		*self = a->self;
		pthread_mutex_unlock(&a->c.lock);
		return 0;
	}
	pthread_mutex_unlock(&a->c.lock);
	status = saba_azure_imds(a, SABA_AZURE_COMPUTE, NULL, a->c.md_timeout_ms, &rs, err,
				 sizeof(err));
	if (status != 200) {
		snprintf(why, len, "IMDS compute: %s", err);
	} else if (saba_azure_parse_compute(rs.body.data, rs.body.len, &s, why, len) == 0) {
		pthread_mutex_lock(&a->c.lock);
		if (strcasecmp(s.vm_id, a->vm_id) != 0) {
			snprintf(why, len, "IMDS compute names vmId %s, not %s", s.vm_id, a->vm_id);
		} else if (!a->have_self) {
			if (saba_azure_arm_ready(a, s.environment) == 0) {
				a->self = s;
				a->have_self = 1;
				a->c.host->log(a->c.ctx, SABA_LOG_INFO,
					       "VM %s is %s (evictionPolicy %s)", s.vm_id,
					       s.resource_id, s.eviction[0] ? s.eviction : "none");
			} else {
				snprintf(why, len, "out of memory");
			}
		}
		if (a->have_self) {
			*self = a->self;
			rc = 0;
		}
		pthread_mutex_unlock(&a->c.lock);
	}
	free(rs.body.data);
	return rc;
}

/* saba_azure_parse_events' callback: the first retiring event wins. */
struct saba_azure_walk {
	struct saba_azure *a;
	int remember, retire;
	char *evidence;
	size_t len;
};

static int saba_azure_on_event(void *arg, const struct saba_azure_event *ev)
{
	struct saba_azure_walk *w = arg;
	size_t used = strlen(w->evidence);

	if (w->retire && !ev->retire)
		return 0;
	if (ev->retire && !w->retire) {
		w->retire = 1;
		used = 0; /* the evidence is this event alone */
	}
	snprintf(w->evidence + used, w->len - used, "%s%s", used ? "; " : "", ev->evidence);
	if (ev->retire && w->remember) {
		struct saba_azure *a = w->a;
		int known = 0;

		pthread_mutex_lock(&a->c.lock);
		for (int i = 0; i < a->npending; i++)
			known |= strcmp(a->pending_ack[i], ev->id) == 0;
		if (!known && a->npending < (int)(sizeof(a->pending_ack) / sizeof(char *)) &&
		    (a->pending_ack[a->npending] = strdup(ev->id)) != NULL)
			a->npending++;
		pthread_mutex_unlock(&a->c.lock);
	}
	return 0;
}

int saba_azure_events(struct saba_azure *a, const struct saba_azure_self *self, long timeout_ms,
		      int remember, char *evidence, size_t len)
{
	struct saba_azure_walk w = {a, remember, 0, evidence, len};
	struct saba_cloud_response rs;
	char err[200] = "";
	long long incarnation = 0;
	long status;
	int rc = -1;

	evidence[0] = '\0';
	status = saba_azure_imds(a, SABA_AZURE_EVENTS, NULL, timeout_ms, &rs, err, sizeof(err));
	if (status != 200)
		snprintf(evidence, len, "Scheduled Events: %s", err);
	else if (saba_azure_parse_events(rs.body.data, rs.body.len, self->name, self->eviction,
					 &incarnation, saba_azure_on_event, &w, err,
					 sizeof(err)) != 0)
		snprintf(evidence, len, "%s", err);
	else
		rc = w.retire;
	if (rc == 0 && evidence[0] == '\0')
		snprintf(evidence, len, "Scheduled Events: none (incarnation %lld)", incarnation);
	free(rs.body.data);
	return rc;
}

void saba_azure_acknowledge(struct saba_azure *a)
{
	struct saba_cloud_response rs;
	char *ids[8], *body, err[200] = "";
	int n;
	long status;

	pthread_mutex_lock(&a->c.lock);
	n = a->npending;
	memcpy(ids, a->pending_ack, sizeof(ids));
	a->npending = 0;
	pthread_mutex_unlock(&a->c.lock);
	if (n == 0)
		return;
	body = saba_azure_ack_body((const char *const *)ids, (size_t)n);
	status = body != NULL ? saba_azure_imds(a, SABA_AZURE_EVENTS, body, a->c.md_timeout_ms, &rs,
						err, sizeof(err))
			      : -1;
	if (body != NULL)
		free(rs.body.data);
	if (status == 200)
		a->c.host->log(a->c.ctx, SABA_LOG_NOTICE, "approved scheduled event %s%s", ids[0],
			       n > 1 ? " and others" : "");
	else
		a->c.host->log(a->c.ctx, SABA_LOG_WARNING,
			       "approving scheduled event %s failed: %s", ids[0],
			       body != NULL ? err : "out of memory");
	for (int i = 0; i < n; i++)
		free(ids[i]);
	free(body);
}
