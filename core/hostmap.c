#include "config.h"

#include <jansson.h>
#include <stdlib.h>

#include "api.h"
#include "hostmap.h"
#include "log.h"
#include "util.h"

struct saba_hostmap {
	json_t *ids; /* object: ci -> id string ("" = no such host) */
	int dry_run;
};

struct saba_hostmap *saba_hostmap_new(int dry_run)
{
	struct saba_hostmap *m = saba_calloc(1, sizeof(*m));

	m->ids = json_object();
	m->dry_run = dry_run;
	return m;
}

void saba_hostmap_free(struct saba_hostmap *m)
{
	if (m == NULL)
		return;
	json_decref(m->ids);
	free(m);
}

const char *saba_hostmap_resolve(struct saba_hostmap *m, struct saba_http *h, const char *ci,
				 int64_t deadline_ms)
{
	struct saba_api_result r = {.retry_after = -1};
	json_t *known = json_object_get(m->ids, ci);
	char *esc, *path;
	const char *id = NULL;

	if (known != NULL)
		return json_string_value(known);
	esc = saba_api_escape(ci);
	path = saba_asprintf("/api/v0/hosts?customIdentifier=%s&" SABA_API_LIVE_STATUSES, esc);
	if (saba_api_call(h, "GET", path, NULL, deadline_ms, &r) != SABA_API_OK) {
		saba_warn("cannot look up the host with customIdentifier %s: %s", ci, r.message);
		goto out;
	}
	id = json_string_value(
		json_object_get(json_array_get(json_object_get(r.json, "hosts"), 0), "id"));
	if (m->dry_run && id == NULL)
		id = "dry-run"; /* nothing was asked */
	if (id == NULL)
		saba_warn("no host has customIdentifier %s: its values and reports are dropped",
			  ci);
	json_object_set_new(m->ids, ci, json_string(id != NULL ? id : ""));
	id = json_string_value(json_object_get(m->ids, ci));
out:
	saba_api_result_clear(&r);
	free(path);
	free(esc);
	return id;
}
