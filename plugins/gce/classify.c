/* Pure decisions of the gce plugin; see classify.h. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include <saba/plugin.h>

#include "classify.h"
#include "lib/cloud_text.h"

int saba_gce_id_ok(const char *id)
{
	uintmax_t v;
	char *end;

	if (id == NULL || id[0] < '1' || id[0] > '9' || strlen(id) > 20 ||
	    strspn(id, "0123456789") != strlen(id))
		return 0;
	errno = 0;
	v = strtoumax(id, &end, 10);
	return errno == 0 && *end == '\0' && v <= UINT64_MAX;
}

int saba_gce_custom_identifier(const char *id, char *buf, size_t len)
{
	int w;

	if (!saba_gce_id_ok(id))
		return -1;
	w = snprintf(buf, len, "%s%s", id, SABA_GCE_CI_SUFFIX);
	return w > 0 && (size_t)w < len ? 0 : -1;
}

int saba_gce_zone_ok(const char *zone)
{
	return saba_cloud_token_ok(zone, 63, SABA_CLOUD_LOWER_DIGITS "-") && zone[0] != '-';
}

int saba_gce_project_ok(const char *project)
{
	/* "my-project", or domain-scoped "example.com:my-project" */
	return saba_cloud_token_ok(project, 95, SABA_CLOUD_LOWER_DIGITS "-.:") &&
	       project[0] != '-' && project[0] != '.' && project[0] != ':';
}

int saba_gce_name_ok(const char *name)
{
	return saba_cloud_token_ok(name, 63, SABA_CLOUD_LOWER_DIGITS "-") && name[0] >= 'a' &&
	       name[0] <= 'z';
}

/* The recursive answer: a JSON object (numbers as doubles, so that an id
 * beyond 2^63 does not make it unreadable). */
static json_t *saba_gce_load(const char *body, size_t len, char *err, size_t err_len)
{
	json_error_t e;
	json_t *doc = body != NULL ? json_loadb(body, len, JSON_DECODE_INT_AS_REAL, &e) : NULL;

	if (!json_is_object(doc)) {
		snprintf(err, err_len, "the metadata server's answer is not a JSON object");
		json_decref(doc);
		return NULL;
	}
	return doc;
}

/* A string member as mackerel-agent's decoder reads it: absent or null is
 * "", a string is itself, anything else makes the answer unusable (NULL). */
static const char *saba_gce_member(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	if (v == NULL || json_is_null(v))
		return "";
	return json_string_value(v);
}

/* An object member: 1 present, 0 absent or null, -1 something else. */
static int saba_gce_object(json_t *doc, const char *key, json_t **out)
{
	json_t *v = json_object_get(doc, key);

	*out = json_is_object(v) ? v : NULL;
	if (v == NULL || json_is_null(v))
		return 0;
	return *out != NULL ? 1 : -1;
}

char *saba_gce_cloud_meta(const char *body, size_t len, const char *id, char *err, size_t err_len)
{
	json_t *doc = saba_gce_load(body, len, err, err_len), *inst, *proj, *meta = NULL;
	char *text = NULL;
	int hi, hp;

	if (doc == NULL)
		return NULL;
	hi = saba_gce_object(doc, "instance", &inst);
	hp = saba_gce_object(doc, "project", &proj);
	if (hi < 0 || hp < 0) {
		snprintf(err, err_len,
			 "the metadata server's instance or project is not an object");
		goto out;
	}
	meta = json_object();
	if (hi > 0) {
		const char *host = saba_gce_member(inst, "hostname");
		const char *type = saba_gce_member(inst, "machineType");
		const char *zone = saba_gce_member(inst, "zone");

		if (host == NULL || type == NULL || zone == NULL || !saba_gce_id_ok(id)) {
			snprintf(err, err_len, "the metadata server's instance is malformed");
			goto out;
		}
		json_object_set_new(meta, "hostname", json_string(host));
		json_object_set_new(meta, "instance-id", json_string(id));
		json_object_set_new(meta, "instance-type",
				    json_string(saba_cloud_last_segment(type)));
		json_object_set_new(meta, "zone", json_string(saba_cloud_last_segment(zone)));
	}
	if (hp > 0) {
		const char *pid = saba_gce_member(proj, "projectId");

		if (pid == NULL) {
			snprintf(err, err_len, "the metadata server's projectId is not a string");
			goto out;
		}
		json_object_set_new(meta, "projectId", json_string(pid));
	}
	/* json_string() refuses invalid UTF-8: such a value is left out of
	 * the object, and then so is the whole answer. */
	if (json_object_size(meta) != (size_t)(hi > 0 ? 4 : 0) + (hp > 0 ? 1 : 0)) {
		snprintf(err, err_len, "the metadata server's answer is not valid UTF-8");
		goto out;
	}
	{
		json_t *cloud = json_pack("{s:s, s:O}", "provider", "gce", "metadata", meta);

		text = cloud != NULL ? json_dumps(cloud, JSON_COMPACT) : NULL;
		json_decref(cloud);
	}
	if (text == NULL)
		snprintf(err, err_len, "out of memory");
out:
	json_decref(meta);
	json_decref(doc);
	return text;
}

int saba_gce_self_from_meta(const char *body, size_t len, struct saba_gce_self *self, char *err,
			    size_t err_len)
{
	json_t *doc = saba_gce_load(body, len, err, err_len), *inst = NULL, *proj = NULL;
	const char *zone, *name, *project;
	int rc = -1;

	if (doc == NULL)
		return -1;
	saba_gce_object(doc, "instance", &inst);
	saba_gce_object(doc, "project", &proj);
	zone = saba_cloud_json_str(inst, "zone");
	name = saba_cloud_json_str(inst, "name");
	project = saba_cloud_json_str(proj, "projectId");
	zone = zone != NULL ? saba_cloud_last_segment(zone) : NULL;
	if (!saba_gce_zone_ok(zone) || !saba_gce_name_ok(name) || !saba_gce_project_ok(project)) {
		snprintf(err, err_len,
			 "the metadata server gave no usable project, zone or instance name");
		goto out;
	}
	snprintf(self->zone, sizeof(self->zone), "%s", zone);
	snprintf(self->name, sizeof(self->name), "%s", name);
	snprintf(self->project, sizeof(self->project), "%s", project);
	rc = 0;
out:
	json_decref(doc);
	return rc;
}

/* A metadata item's text when it answered 200, for a line of evidence. */
static int saba_gce_item(const char *item, long status, const char *body, char *shown,
			 size_t shown_len, char *evidence, size_t len)
{
	if (status != 200 || body == NULL) {
		if (status < 0)
			snprintf(evidence, len, "%s: no answer from the metadata server", item);
		else
			snprintf(evidence, len, "%s: HTTP %ld", item, status);
		return -1;
	}
	saba_cloud_printable(body, shown, shown_len);
	return 0;
}

int saba_gce_preempted(long status, const char *body, char *evidence, size_t len)
{
	static const char item[] = "instance/preempted";
	char shown[80];

	if (saba_gce_item(item, status, body, shown, sizeof(shown), evidence, len) != 0)
		return 0;
	if (saba_cloud_chomp(body, strlen(body)) == 4 && strncmp(body, "TRUE", 4) == 0) {
		snprintf(evidence, len, "%s: TRUE", item);
		return 1;
	}
	snprintf(evidence, len, "%s: %s", item, shown);
	return 0;
}

void saba_gce_maintenance(long status, const char *body, char *evidence, size_t len)
{
	static const char item[] = "instance/maintenance-event";
	char shown[80];

	if (saba_gce_item(item, status, body, shown, sizeof(shown), evidence, len) == 0)
		snprintf(evidence, len, "%s: %s%s", item, shown,
			 strcmp(shown, "NONE") == 0 ? ""
						    : " (host maintenance: the instance migrates, "
						      "or stops and restarts; never retires)");
}

/* A uint64 field Compute Engine writes as a string (or, leniently, as a
 * number) into buf; 0, or -1 when it is neither. */
static int saba_gce_id_field(json_t *o, const char *key, char *buf, size_t len)
{
	json_t *v = json_object_get(o, key);

	if (json_is_string(v) && saba_gce_id_ok(json_string_value(v)))
		snprintf(buf, len, "%s", json_string_value(v));
	else if (json_is_integer(v) && json_integer_value(v) > 0)
		snprintf(buf, len, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
	else
		return -1;
	return 0;
}

int saba_gce_parse_instance(const char *body, size_t len, struct saba_gce_instance *in, char *err,
			    size_t err_len)
{
	json_t *doc = body != NULL ? json_loadb(body, len, 0, NULL) : NULL;
	int rc = -1;

	memset(in, 0, sizeof(*in));
	if (!json_is_object(doc) || saba_gce_id_field(doc, "id", in->id, sizeof(in->id)) != 0 ||
	    saba_cloud_json_copy(doc, "name", in->name, sizeof(in->name)) != 0 ||
	    saba_cloud_json_copy(doc, "status", in->status, sizeof(in->status)) != 0 ||
	    in->status[0] == '\0' ||
	    saba_cloud_json_copy(json_object_get(doc, "scheduling"), "instanceTerminationAction",
				 in->termination, sizeof(in->termination)) != 0) {
		snprintf(err, err_len, "instances.get: the answer is not an instance");
		goto out;
	}
	rc = 0;
out:
	json_decref(doc);
	return rc;
}

/* The next page token of a list, checked: 0 with *next (malloc'd or
 * NULL), -1 when it is there but not a string. */
static int saba_gce_next(json_t *doc, char **next)
{
	json_t *t = json_object_get(doc, "nextPageToken");

	*next = NULL;
	if (t == NULL || (json_is_string(t) && *json_string_value(t) == '\0'))
		return 0;
	if (!json_is_string(t) || (*next = strdup(json_string_value(t))) == NULL)
		return -1;
	return 0;
}

int saba_gce_parse_ops(const char *body, size_t len, saba_gce_op_fn fn, void *arg, char **next,
		       char *err, size_t err_len)
{
	json_t *doc = body != NULL ? json_loadb(body, len, 0, NULL) : NULL, *items, *it;
	size_t i;
	int rc = -1;

	*next = NULL;
	items = json_object_get(doc, "items");
	if (!json_is_object(doc) || (items != NULL && !json_is_array(items)) ||
	    saba_gce_next(doc, next) != 0) {
		snprintf(err, err_len, "zoneOperations.list: the answer is not an operation list");
		goto out;
	}
	json_array_foreach(items, i, it)
	{
		const char *type = saba_cloud_json_str(it, "operationType");
		const char *status = saba_cloud_json_str(it, "status");
		const char *name = saba_cloud_json_str(it, "name");
		char target[24], shown[80];

		if (type == NULL || status == NULL || strcmp(type, "delete") != 0 ||
		    (strcmp(status, "PENDING") != 0 && strcmp(status, "RUNNING") != 0) ||
		    saba_gce_id_field(it, "targetId", target, sizeof(target)) != 0)
			continue;
		saba_cloud_printable(name != NULL ? name : "(unnamed)", shown, sizeof(shown));
		fn(arg, target, shown);
	}
	rc = 0;
out:
	json_decref(doc);
	return rc;
}

/* An aggregated list's scope: 0 usable, -1 with err. */
static int saba_gce_scope_ok(const char *key, json_t *scope, char *err, size_t err_len)
{
	json_t *warning = json_object_get(scope, "warning");
	const char *code = saba_cloud_json_str(warning, "code");
	json_t *list = json_object_get(scope, "instances");
	char shown[80];

	if (!json_is_object(scope) || (list != NULL && !json_is_array(list))) {
		saba_cloud_printable(key, shown, sizeof(shown));
		snprintf(err, err_len, "aggregatedList: scope %s is malformed", shown);
		return -1;
	}
	if (warning != NULL && (code == NULL || strcmp(code, "NO_RESULTS_ON_PAGE") != 0)) {
		saba_cloud_printable(key, shown, sizeof(shown));
		snprintf(err, err_len, "aggregatedList: %s was not listed (%.40s)", shown,
			 code != NULL ? code : "a warning");
		return -1;
	}
	return 0;
}

int saba_gce_parse_aggregated(const char *body, size_t len, saba_gce_instance_fn fn, void *arg,
			      char **next, char *err, size_t err_len)
{
	json_t *doc = body != NULL ? json_loadb(body, len, 0, NULL) : NULL, *items, *scope, *it;
	json_t *unreachable;
	const char *key;
	size_t i;
	int rc = -1;

	*next = NULL;
	items = json_object_get(doc, "items");
	unreachable = json_object_get(doc, "unreachables");
	if (!json_is_object(doc) || (items != NULL && !json_is_object(items))) {
		snprintf(err, err_len, "aggregatedList: the answer is not an aggregated list");
		goto out;
	}
	if (json_array_size(unreachable) > 0 ||
	    (unreachable != NULL && !json_is_array(unreachable))) {
		snprintf(err, err_len, "aggregatedList: some zones were not listed (unreachables)");
		goto out;
	}
	json_object_foreach(items, key, scope)
	{
		if (saba_gce_scope_ok(key, scope, err, err_len) != 0)
			goto out;
	}
	if (saba_gce_next(doc, next) != 0) {
		snprintf(err, err_len, "aggregatedList: a malformed nextPageToken");
		goto out;
	}
	json_object_foreach(items, key, scope)
	{
		json_array_foreach(json_object_get(scope, "instances"), i, it)
		{
			const char *status = saba_cloud_json_str(it, "status");
			const char *zone = saba_cloud_json_str(it, "zone");
			char id[24];

			if (saba_gce_id_field(it, "id", id, sizeof(id)) != 0 || status == NULL ||
			    zone == NULL || !saba_gce_zone_ok(saba_cloud_last_segment(zone)))
				continue;
			fn(arg, id, saba_cloud_last_segment(zone), status);
		}
	}
	rc = 0;
out:
	json_decref(doc);
	return rc;
}

int saba_gce_decide(const struct saba_gce_self *self, const struct saba_gce_seen *seen,
		    char *evidence, size_t len)
{
	const struct saba_gce_instance *in = &seen->inst;
	char status[32], action[32];

	saba_cloud_printable(in->status, status, sizeof(status));
	saba_cloud_printable(in->termination[0] ? in->termination : "STOP", action, sizeof(action));
	if (seen->ops_ok && seen->deleting > 0) {
		snprintf(evidence, len,
			 "Compute Engine: delete operation %s of instance %s (%s) in %s/%s is in "
			 "progress",
			 seen->op, self->id, self->name, self->project, self->zone);
		return SABA_CONFIRM_YES;
	}
	if (seen->preempted && seen->inst_ok && strcmp(in->termination, "DELETE") == 0) {
		snprintf(evidence, len,
			 "Compute Engine: instance %s (%s) was preempted and its termination "
			 "action is DELETE",
			 self->id, self->name);
		return SABA_CONFIRM_YES;
	}
	if (!seen->ops_ok) {
		snprintf(evidence, len,
			 "Compute Engine: cannot tell whether instance %s is deleted: %s", self->id,
			 seen->why[0] ? seen->why : "the operation list failed");
	} else if (!seen->inst_ok) {
		snprintf(evidence, len,
			 "Compute Engine: no delete operation of instance %s in %s/%s%s%s",
			 self->id, self->project, self->zone, seen->why[0] ? "; " : "", seen->why);
	} else {
		snprintf(evidence, len,
			 "Compute Engine: no delete operation of instance %s in %s/%s; it is "
			 "%s%s%s, "
			 "not being deleted",
			 self->id, self->project, self->zone, status,
			 seen->preempted ? ", preempted with termination action " : "",
			 seen->preempted ? action : "");
	}
	return SABA_CONFIRM_NO;
}
