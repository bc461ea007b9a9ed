/* The gce plugin and the metadata server: whether this is GCE, the
 * instance's identity, meta.cloud, and the preemption notice; see gce.h.
 * Every request carries Metadata-Flavor: Google (the server refuses others
 * with 403), goes to the metadata endpoint directly (never a proxy) and is
 * bounded by metadata_timeout. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/cloud_text.h"
#include "gce.h"

long saba_gce_md(struct saba_gce *g, const char *path, struct saba_cloud_response *rs, char *err,
		 size_t err_len)
{
	static const char *const headers[] = {"Metadata-Flavor: Google", NULL};
	char url[512];
	struct saba_cloud_request rq = {
		.url = url,
		.headers = headers,
		.timeout_ms = g->c.md_timeout_ms,
		.metadata = 1,
		.max_body = 4 * 1024 * 1024, /* the recursive answer, ssh keys included */
		.abort = &g->c.aborted,
		.error_key = "status",
		.want_header = "Metadata-Flavor",
	};
	long status;

	snprintf(url, sizeof(url), "%s/computeMetadata/v1/%s", g->c.md_endpoint, path);
	status = saba_cloud_fetch(&rq, rs, err, err_len);
	return status;
}

/* A short text item (instance/id, instance/zone, ...) into buf; 0 or -1. */
static int saba_gce_md_text(struct saba_gce *g, const char *path, char *buf, size_t len, char *why,
			    size_t why_len)
{
	struct saba_cloud_response rs;
	char err[200] = "";
	long status = saba_gce_md(g, path, &rs, err, sizeof(err));
	size_t n;
	int rc = -1;

	if (status != 200) {
		snprintf(why, why_len, "metadata %s: %s", path, err);
		goto out;
	}
	n = saba_cloud_chomp(rs.body.data, rs.body.len);
	if (n == 0 || n >= len || memchr(rs.body.data, '\0', n) != NULL) {
		snprintf(why, why_len, "metadata %s: not a usable value", path);
		goto out;
	}
	memcpy(buf, rs.body.data, n);
	buf[n] = '\0';
	rc = 0;
out:
	free(rs.body.data);
	return rc;
}

int saba_gce_dmi(const char *sysfs, char *evidence, size_t len)
{
	char product[128], vendor[128];
	int p = saba_cloud_dmi_read(sysfs, "product_name", product, sizeof(product));
	int v = saba_cloud_dmi_read(sysfs, "bios_vendor", vendor, sizeof(vendor));

	if ((p == 0 && strcmp(product, "Google Compute Engine") == 0) ||
	    (v == 0 && strcmp(vendor, "Google") == 0)) {
		snprintf(evidence, len, "DMI says Google Compute Engine");
		return SABA_CLOUD_DMI_YES;
	}
	if (p != 0 && v != 0) {
		snprintf(evidence, len, "no DMI product name readable under %s", sysfs);
		return SABA_CLOUD_DMI_UNKNOWN;
	}
	snprintf(evidence, len, "DMI product name \"%.60s\"", p == 0 ? product : vendor);
	return SABA_CLOUD_DMI_NO;
}

int saba_gce_probe(struct saba_cloud *c, char *why, size_t len)
{
	struct saba_gce *g = (struct saba_gce *)c;
	struct saba_cloud_response rs;
	char err[200] = "";
	long status = saba_gce_md(g, "?recursive=true", &rs, err, sizeof(err));
	int rc;

	free(rs.body.data);
	if (status < 0) {
		snprintf(why, len, "the metadata server does not answer: %s", err);
		return -1;
	}
	/* The real server names itself in a header of every answer. */
	rc = status == 200 && strcmp(rs.header, "Google") == 0;
	if (!rc)
		snprintf(why, len, "not GCE: the metadata endpoint answered %s",
			 status == 200 ? "without Metadata-Flavor: Google" : err);
	return rc;
}

int saba_gce_learn(struct saba_cloud *c, char *why, size_t len)
{
	struct saba_gce *g = (struct saba_gce *)c;
	struct saba_gce_self s = {0};
	char zone[256];

	if (saba_gce_md_text(g, "instance/id", s.id, sizeof(s.id), why, len) != 0 ||
	    saba_gce_md_text(g, "instance/name", s.name, sizeof(s.name), why, len) != 0 ||
	    saba_gce_md_text(g, "instance/zone", zone, sizeof(zone), why, len) != 0 ||
	    saba_gce_md_text(g, "project/project-id", s.project, sizeof(s.project), why, len) != 0)
		return -1;
	/* instance/zone is "projects/<number>/zones/<zone>" */
	snprintf(s.zone, sizeof(s.zone), "%s", saba_cloud_last_segment(zone));
	if (!saba_gce_id_ok(s.id) || !saba_gce_name_ok(s.name) || !saba_gce_zone_ok(s.zone) ||
	    !saba_gce_project_ok(s.project)) {
		snprintf(why, len,
			 "the metadata server's instance id, name, zone or project is "
			 "malformed");
		return -1;
	}
	pthread_mutex_lock(&c->lock);
	if (!c->known) {
		g->self = s;
		c->host->log(c->ctx, SABA_LOG_NOTICE, "instance %s (%s) in %s, project %s", s.id,
			     s.name, s.zone, s.project);
	}
	pthread_mutex_unlock(&c->lock);
	return 0;
}

void saba_gce_self_copy(struct saba_gce *g, struct saba_gce_self *out)
{
	pthread_mutex_lock(&g->c.lock);
	*out = g->self;
	pthread_mutex_unlock(&g->c.lock);
}

char *saba_gce_meta(struct saba_cloud *c, char *why, size_t len)
{
	struct saba_gce *g = (struct saba_gce *)c;
	struct saba_gce_self s;
	struct saba_cloud_response rs;
	char err[200] = "", *cloud = NULL;
	long status;

	saba_gce_self_copy(g, &s);
	status = saba_gce_md(g, "?recursive=true", &rs, err, sizeof(err));
	if (status != 200)
		snprintf(why, len, "the metadata server: %s", err);
	else
		cloud = saba_gce_cloud_meta(rs.body.data, rs.body.len, s.id, why, len);
	free(rs.body.data);
	return cloud;
}

int saba_gce_read_preempted(struct saba_gce *g, char *evidence, size_t len)
{
	struct saba_cloud_response rs;
	char err[200] = "", maint[200] = "";
	long status;
	int preempted;
	size_t used;

	status = saba_gce_md(g, "instance/preempted", &rs, err, sizeof(err));
	preempted = saba_gce_preempted(status, rs.body.data, evidence, len);
	free(rs.body.data);
	status = saba_gce_md(g, "instance/maintenance-event", &rs, err, sizeof(err));
	saba_gce_maintenance(status, rs.body.data, maint, sizeof(maint));
	/* a maintenance event is worth a line, but retires nothing */
	if (!preempted && status == 200 &&
	    !(saba_cloud_chomp(rs.body.data, rs.body.len) == 4 &&
	      strncmp(rs.body.data, "NONE", 4) == 0))
		preempted = -1;
	free(rs.body.data);
	used = strlen(evidence);
	snprintf(evidence + used, len - used, "; %s", maint);
	return preempted;
}
