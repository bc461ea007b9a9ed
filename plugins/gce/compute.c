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

#include "lib/clock.h"
#include "lib/cloud_text.h"
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
		.error_key = "status",
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

/* Every page of the list at path ("...?query"): page() reads each. */
static int saba_gce_list(struct saba_gce *g, const char *what, const char *path,
			 int64_t deadline_ms,
			 int (*page)(void *ctx, const char *body, size_t len, char **next,
				     char *err, size_t err_len),
			 void *ctx, char *err, size_t err_len)
{
	char *token = NULL, *next = NULL, why[256];
	int rc = -1;

	for (int n = 0;; n++) {
		struct saba_cloud_response rs;
		char url[1536], *tesc = NULL;
		int64_t page_deadline = saba_clock_ms() + 2 * g->c.api_timeout_ms + 1000;

		if (n == SABA_GCE_MAX_PAGES) {
			snprintf(err, err_len, "%s: more than %d pages", what, SABA_GCE_MAX_PAGES);
			break;
		}
		if (token != NULL && (tesc = curl_easy_escape(NULL, token, 0)) == NULL) {
			snprintf(err, err_len, "out of memory");
			break;
		}
		snprintf(url, sizeof(url), "%s%s%s", path, tesc != NULL ? "&pageToken=" : "",
			 tesc != NULL ? tesc : "");
		curl_free(tesc);
		if (saba_gce_api(g, url, page_deadline < deadline_ms ? page_deadline : deadline_ms,
				 &rs, why, sizeof(why)) != 200) {
			snprintf(err, err_len, "%s: %s", what, why);
			free(rs.body.data);
			break;
		}
		if (page(ctx, rs.body.data, rs.body.len, &next, err, err_len) != 0) {
			free(rs.body.data);
			break;
		}
		free(rs.body.data);
		if (next == NULL) {
			rc = 0;
			break;
		}
		if (token != NULL && strcmp(token, next) == 0) {
			snprintf(err, err_len, "%s: the same page token twice", what);
			break;
		}
		free(token);
		token = next;
		next = NULL;
	}
	free(next);
	free(token);
	return rc;
}

/* saba_gce_list()'s readers over the classify.h ones. */
struct saba_gce_reader {
	saba_gce_op_fn op;
	saba_gce_instance_fn instance;
	void *arg;
};

static int saba_gce_read_ops(void *ctx, const char *body, size_t len, char **next, char *err,
			     size_t err_len)
{
	struct saba_gce_reader *r = ctx;

	return saba_gce_parse_ops(body, len, r->op, r->arg, next, err, err_len);
}

static int saba_gce_read_instances(void *ctx, const char *body, size_t len, char **next, char *err,
				   size_t err_len)
{
	struct saba_gce_reader *r = ctx;

	return saba_gce_parse_aggregated(body, len, r->instance, r->arg, next, err, err_len);
}

int saba_gce_pending_deletes(struct saba_gce *g, const char *project, const char *zone,
			     int64_t deadline_ms, saba_gce_op_fn fn, void *arg, char *err,
			     size_t err_len)
{
	static const char filter[] = "(operationType = \"delete\") AND (status != \"DONE\")";
	struct saba_gce_reader r = {fn, NULL, arg};
	char path[512], what[96], *fesc = curl_easy_escape(NULL, filter, 0);
	int rc;

	if (fesc == NULL) {
		snprintf(err, err_len, "out of memory");
		return -1;
	}
	snprintf(path, sizeof(path), "projects/%s/zones/%s/operations?filter=%s", project, zone,
		 fesc);
	snprintf(what, sizeof(what), "zoneOperations.list in %s", zone);
	rc = saba_gce_list(g, what, path, deadline_ms, saba_gce_read_ops, &r, err, err_len);
	curl_free(fesc);
	return rc;
}

int saba_gce_instances(struct saba_gce *g, const char *project, int64_t deadline_ms,
		       saba_gce_instance_fn fn, void *arg, char *err, size_t err_len)
{
	struct saba_gce_reader r = {NULL, fn, arg};
	char path[256];

	snprintf(path, sizeof(path), "projects/%s/aggregated/instances?maxResults=200", project);
	return saba_gce_list(g, "instances.aggregatedList", path, deadline_ms,
			     saba_gce_read_instances, &r, err, err_len);
}
