#include "config.h"

#include <stdio.h>
#include <string.h>

#include "apischema.h"

/* Is s made of letters, digits and the characters of extra only? */
static int saba_made_of(const char *s, const char *extra)
{
	for (; *s != '\0'; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || strchr(extra, *s) != NULL))
			return 0;
	return 1;
}

/* Is every key of o one of keys[] (NULL-terminated)?  Else the first
 * other one in *bad. */
static int saba_keys_only(json_t *o, const char *const *keys, const char **bad)
{
	const char *k;
	json_t *v;

	json_object_foreach(o, k, v)
	{
		int known = 0;

		for (size_t i = 0; keys[i] != NULL && !known; i++)
			known = strcmp(keys[i], k) == 0;
		if (!known) {
			*bad = k;
			return 0;
		}
	}
	return 1;
}

/* An object (Go map[string]T) or an array whose every value has type t. */
static int saba_values_of(json_t *c, int object, json_type t)
{
	const char *k;
	size_t i;
	json_t *v;

	if (object ? !json_is_object(c) : !json_is_array(c))
		return 0;
	if (object) {
		json_object_foreach(c, k, v)
		{
			if (json_typeof(v) != t)
				return 0;
		}
	} else {
		json_array_foreach(c, i, v)
		{
			if (json_typeof(v) != t)
				return 0;
		}
	}
	return 1;
}

/* checks: [{name, memo}], name [a-zA-Z0-9_-]+ */
static int saba_checks_ok(json_t *a, const char **bad)
{
	static const char *const keys[] = {"name", "memo", NULL};
	size_t i;
	json_t *c;

	if (!json_is_array(a))
		return 0;
	json_array_foreach(a, i, c)
	{
		const char *name = json_string_value(json_object_get(c, "name"));
		json_t *memo = json_object_get(c, "memo");

		if (!json_is_object(c) || !saba_keys_only(c, keys, bad) || name == NULL ||
		    *name == '\0' || !saba_made_of(name, "_-") ||
		    (memo != NULL && !json_is_string(memo)))
			return 0;
	}
	return 1;
}

int saba_apischema_spec(const char *path, json_t *value, char *why, size_t len)
{
	static const char *const cloud_keys[] = {"provider", "metadata", NULL};
	const char *bad = NULL;
	int ok;

	if (strcmp(path, "customIdentifier") == 0 || strcmp(path, "displayName") == 0 ||
	    strcmp(path, "memo") == 0)
		ok = json_is_string(value);
	else if (strcmp(path, "roleFullnames") == 0)
		ok = saba_values_of(value, 0, JSON_STRING);
	else if (strcmp(path, "interfaces") == 0)
		ok = saba_values_of(value, 0, JSON_OBJECT);
	else if (strcmp(path, "checks") == 0)
		ok = saba_checks_ok(value, &bad);
	else if (strcmp(path, "meta.kernel") == 0 || strcmp(path, "meta.memory") == 0)
		ok = saba_values_of(value, 1, JSON_STRING);
	else if (strcmp(path, "meta.block_device") == 0)
		ok = saba_values_of(value, 1, JSON_OBJECT);
	else if (strcmp(path, "meta.filesystem") == 0)
		ok = json_is_object(value);
	else if (strcmp(path, "meta.cpu") == 0)
		ok = saba_values_of(value, 0, JSON_OBJECT);
	else if (strcmp(path, "meta.cloud") == 0)
		ok = json_is_object(value) && saba_keys_only(value, cloud_keys, &bad) &&
		     (json_object_get(value, "provider") == NULL ||
		      json_is_string(json_object_get(value, "provider")));
	else {
		snprintf(why, len,
			 "not a field of the API's host spec (customIdentifier, displayName, memo, "
			 "roleFullnames, interfaces, checks, meta.{block_device,cpu,filesystem,"
			 "kernel,memory,cloud})");
		return -1;
	}
	if (ok)
		return 0;
	if (bad != NULL)
		snprintf(why, len, "unknown key \"%s\"", bad);
	else
		snprintf(why, len, "not of the API's type for %s", path);
	return -1;
}

/* The graph's unit: one of those the API documents. */
static int saba_unit_ok(json_t *unit)
{
	static const char *const units[] = {"float",	    "integer", "percentage", "seconds",
					    "milliseconds", "bytes",   "bytes/sec",  "bits/sec",
					    "iops",	    NULL};
	const char *u = json_string_value(unit);

	for (size_t i = 0; u != NULL && units[i] != NULL; i++)
		if (strcmp(u, units[i]) == 0)
			return 1;
	return unit == NULL;
}

/* A metric of graph gname: gname, a dot, one part of [-a-zA-Z0-9_*#]. */
static int saba_graph_metric_ok(json_t *m, const char *gname, char *why, size_t len)
{
	static const char *const keys[] = {"name", "displayName", "isStacked", NULL};
	const char *name = json_string_value(json_object_get(m, "name")), *bad = NULL;
	size_t gl = strlen(gname);
	json_t *dn = json_object_get(m, "displayName"), *st = json_object_get(m, "isStacked");

	if (!json_is_object(m) || !saba_keys_only(m, keys, &bad)) {
		snprintf(why, len, "a metric %s%s%s", bad != NULL ? "has the unknown key \"" : "",
			 bad != NULL ? bad : "is not an object", bad != NULL ? "\"" : "");
		return -1;
	}
	if (name == NULL || strncmp(name, gname, gl) != 0 || name[gl] != '.' ||
	    name[gl + 1] == '\0' || !saba_made_of(name + gl + 1, "-_*#")) {
		snprintf(why, len, "metric \"%s\" is not \"%s.\" and a name",
			 name != NULL ? name : "(none)", gname);
		return -1;
	}
	if ((dn != NULL && !json_is_string(dn)) || (st != NULL && !json_is_boolean(st))) {
		snprintf(why, len, "metric \"%s\": displayName or isStacked of the wrong type",
			 name);
		return -1;
	}
	if (st == NULL)
		json_object_set_new(m, "isStacked", json_false());
	return 0;
}

int saba_apischema_graph_def(json_t *def, char *why, size_t len)
{
	static const char *const keys[] = {"name", "displayName", "unit", "metrics", NULL};
	const char *name = json_string_value(json_object_get(def, "name")), *bad = NULL;
	json_t *metrics = json_object_get(def, "metrics"),
	       *dn = json_object_get(def, "displayName");
	size_t i;
	json_t *m;

	if (!json_is_object(def)) {
		snprintf(why, len, "not an object");
		return -1;
	}
	if (name == NULL || strncmp(name, "custom.", 7) != 0 || name[7] == '\0') {
		snprintf(why, len, "its name must be a string starting with \"custom.\"");
		return -1;
	}
	if (!saba_keys_only(def, keys, &bad)) {
		snprintf(why, len, "unknown key \"%s\"", bad);
		return -1;
	}
	if ((dn != NULL && !json_is_string(dn)) || !saba_unit_ok(json_object_get(def, "unit")) ||
	    (metrics != NULL && !json_is_null(metrics) && !json_is_array(metrics))) {
		snprintf(why, len,
			 "displayName, unit or metrics not of the API's type (units: "
			 "float, integer, percentage, seconds, milliseconds, bytes, "
			 "bytes/sec, bits/sec, iops)");
		return -1;
	}
	json_array_foreach(metrics, i, m)
	{
		if (saba_graph_metric_ok(m, name, why, len) != 0)
			return -1;
	}
	if (metrics == NULL)
		json_object_set_new(def, "metrics", json_null());
	return 0;
}
