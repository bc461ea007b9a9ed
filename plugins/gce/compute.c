/* The gce plugin and the Compute Engine API v1: the instance itself
 * (instances.get) and the delete operations in progress in its zone
 * (zoneOperations.list), with the service account's token from the
 * metadata server.  Needs compute.instances.get and
 * compute.zoneOperations.list, and the access scope compute.readonly (or
 * cloud-platform); see gce.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "cloud_text.h"
#include "gce.h"

#define SABA_GCE_MAX_PAGES 100 /* per list: a nextPageToken loop ends */

/* GET <api_endpoint>/compute/v1/<path> with the token. */
static long saba_gce_api(struct saba_gce *g, const char *path, int64_t deadline_ms,
			 struct saba_cloud_response *rs, char *err, size_t err_len)
{
	char url[2048];
	struct saba_cloud_request rq = {
		.url = url,
		.timeout_ms = g->c.api_timeout_ms,
		.max_body = 8 * 1024 * 1024,
		.abort = &g->c.aborted,
	};
	long status;

	if ((size_t)snprintf(url, sizeof(url), "%s/compute/v1/%s", g->c.api_endpoint, path) >=
	    sizeof(url)) {
		snprintf(err, err_len, "the request URL is too long");
		memset(rs, 0, sizeof(*rs));
		rs->status = -1;
		return -1;
	}
	status = saba_cloud_api(g->token, &rq, deadline_ms, rs, &g->requests, err, err_len);
	if (status >= 0 && status != 200)
		saba_cloud_api_error(status, rs->body.data, rs->body.len, "status", err, err_len);
	return status;
}

int saba_gce_get_instance(struct saba_gce *g, const struct saba_gce_self *self, int64_t deadline_ms,
			  struct saba_gce_instance *in, char *err, size_t err_len)
{
	struct saba_cloud_response rs;
	char path[512], why[256] = "";
	int rc = -1;

	snprintf(path, sizeof(path), "projects/%s/zones/%s/instances/%s", self->project, self->zone,
		 self->name);
	if (saba_gce_api(g, path, deadline_ms, &rs, why, sizeof(why)) != 200) {
		snprintf(err, err_len, "instances.get %s: %s", self->name, why);
	} else if (saba_gce_parse_instance(rs.body.data, rs.body.len, in, err, err_len) == 0) {
		/* the same name may since be another instance */
		if (strcmp(in->id, self->id) == 0)
			rc = 0;
		else
			snprintf(err, err_len, "instances.get %s: it is instance %s, not %s",
				 self->name, in->id, self->id);
	}
	free(rs.body.data);
	return rc;
}

int saba_gce_pending_deletes(struct saba_gce *g, const char *project, const char *zone,
			     int64_t deadline_ms, saba_gce_op_fn fn, void *arg, char *err,
			     size_t err_len)
{
	static const char filter[] = "(operationType = \"delete\") AND (status != \"DONE\")";
	char *token = NULL, *next = NULL, *fesc = curl_easy_escape(NULL, filter, 0), why[256];
	int rc = -1;

	if (fesc == NULL) {
		snprintf(err, err_len, "out of memory");
		return -1;
	}
	for (int page = 0;; page++) {
		struct saba_cloud_response rs;
		char path[1024], *tesc = NULL;
		long status;

		if (page == SABA_GCE_MAX_PAGES) {
			snprintf(err, err_len, "zoneOperations.list: more than %d pages",
				 SABA_GCE_MAX_PAGES);
			break;
		}
		if (token != NULL && (tesc = curl_easy_escape(NULL, token, 0)) == NULL) {
			snprintf(err, err_len, "out of memory");
			break;
		}
		snprintf(path, sizeof(path), "projects/%s/zones/%s/operations?filter=%s%s%s",
			 project, zone, fesc, tesc != NULL ? "&pageToken=" : "",
			 tesc != NULL ? tesc : "");
		curl_free(tesc);
		status = saba_gce_api(g, path, deadline_ms, &rs, why, sizeof(why));
		if (status != 200) {
			snprintf(err, err_len, "zoneOperations.list in %s: %s", zone, why);
			free(rs.body.data);
			break;
		}
		next = NULL;
		if (saba_gce_parse_ops(rs.body.data, rs.body.len, fn, arg, &next, err, err_len) !=
		    0) {
			free(rs.body.data);
			break;
		}
		free(rs.body.data);
		if (next == NULL) {
			rc = 0;
			break;
		}
		if (token != NULL && strcmp(token, next) == 0) {
			snprintf(err, err_len, "zoneOperations.list: the same page token twice");
			break;
		}
		free(token);
		token = next;
		next = NULL;
	}
	free(next);
	free(token);
	curl_free(fesc);
	return rc;
}
