/* A plugin's declared settings; see settings.h. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "duration.h"
#include "settings.h"

/* How much of an operator's string a message repeats. */
#define SABA_SETTINGS_SHOW 80

static const char *saba_type_name(int type)
{
	switch (type) {
	case SABA_CFG_STRING:
		return "a string";
	case SABA_CFG_INT:
		return "an integer";
	case SABA_CFG_FLOAT:
		return "a number";
	case SABA_CFG_BOOL:
		return "true or false";
	case SABA_CFG_STRING_LIST:
		return "a list of strings";
	case SABA_CFG_GROUP:
		return "a group of strings { key = \"value\"; }";
	case SABA_CFG_STRING_OR_LIST:
		return "a string or a list of strings";
	case SABA_CFG_TABLE:
		return "a group { key = value; ... }";
	default:
		return "of an unknown type";
	}
}

/* Is every element of the list, array or group s a string? */
static int saba_all_strings(const config_setting_t *s)
{
	for (int i = 0; i < config_setting_length(s); i++)
		if (config_setting_type(config_setting_get_elem(s, (unsigned)i)) !=
		    CONFIG_TYPE_STRING)
			return 0;
	return 1;
}

/* An integer setting that also takes a Go duration string. */
static int saba_is_duration(const struct saba_setting *k)
{
	return k->type == SABA_CFG_INT &&
	       (k->flags & (SABA_SETTING_MINUTES | SABA_SETTING_SECONDS)) != 0;
}

static int saba_type_matches(const struct saba_setting *k, const config_setting_t *s)
{
	int t = config_setting_type(s);

	switch (k->type) {
	case SABA_CFG_STRING:
		return t == CONFIG_TYPE_STRING;
	case SABA_CFG_INT:
		return t == CONFIG_TYPE_INT || t == CONFIG_TYPE_INT64 ||
		       (t == CONFIG_TYPE_STRING && saba_is_duration(k));
	case SABA_CFG_FLOAT:
		return t == CONFIG_TYPE_FLOAT || t == CONFIG_TYPE_INT || t == CONFIG_TYPE_INT64;
	case SABA_CFG_BOOL:
		return t == CONFIG_TYPE_BOOL;
	case SABA_CFG_STRING_OR_LIST:
		if (t == CONFIG_TYPE_STRING)
			return 1;
		/* fall through */
	case SABA_CFG_STRING_LIST:
		return (t == CONFIG_TYPE_ARRAY || t == CONFIG_TYPE_LIST) && saba_all_strings(s);
	case SABA_CFG_GROUP:
		return t == CONFIG_TYPE_GROUP && saba_all_strings(s);
	case SABA_CFG_TABLE: /* its keys are the plugin's to check */
		return t == CONFIG_TYPE_GROUP;
	default:
		return 0;
	}
}

static int saba_is_number(int type)
{
	return type == SABA_CFG_INT || type == SABA_CFG_FLOAT;
}

static int saba_is_strings(int type)
{
	return type == SABA_CFG_STRING || type == SABA_CFG_STRING_LIST ||
	       type == SABA_CFG_STRING_OR_LIST;
}

static int saba_has_range(const struct saba_setting *k)
{
	return saba_is_number(k->type) && k->min < k->max;
}

/* Append the printf text to buf, which holds a string of at most len - 1. */
static void saba_cat(char *buf, size_t len, const char *fmt, ...) SABA_PRINTF(3, 4);

static void saba_cat(char *buf, size_t len, const char *fmt, ...)
{
	size_t used = strlen(buf);
	va_list ap;

	if (used + 1 >= len)
		return;
	va_start(ap, fmt);
	vsnprintf(buf + used, len - used, fmt, ap);
	va_end(ap);
}

/* "1 to 60" (a number's range), or "10 or more". */
static void saba_range_text(const struct saba_setting *k, char *buf, size_t len)
{
	if (k->max >= SABA_SETTING_UNBOUNDED)
		snprintf(buf, len, k->type == SABA_CFG_INT ? "%.0f or more" : "%g or more", k->min);
	else if (k->type == SABA_CFG_INT)
		snprintf(buf, len, "%.0f to %.0f", k->min, k->max);
	else
		snprintf(buf, len, "%g to %g", k->min, k->max);
}

/* "\"yes\", \"no\"" (the allowed strings). */
static void saba_allowed_text(const struct saba_setting *k, char *buf, size_t len)
{
	buf[0] = '\0';
	for (const char *const *a = k->allowed; *a != NULL; a++)
		saba_cat(buf, len, "%s\"%s\"", a == k->allowed ? "" : ", ", *a);
}

int saba_settings_int(const struct saba_setting *k, const config_setting_t *v, long long *out,
		      char *msg, size_t len)
{
	const char *text;
	char why[256];
	int rc;

	if (config_setting_type(v) != CONFIG_TYPE_STRING) {
		*out = config_setting_get_int64(v);
		return 0;
	}
	text = config_setting_get_string(v);
	rc = k->flags & SABA_SETTING_MINUTES ? saba_duration_minutes(text, out, why, sizeof(why))
					     : saba_duration_seconds(text, out, why, sizeof(why));
	if (rc != 0)
		snprintf(msg, len, "%s = \"%.*s\": %s", k->name, SABA_SETTINGS_SHOW, text, why);
	return rc;
}

static int saba_check_number(const struct saba_setting *k, const config_setting_t *v, char *msg,
			     size_t len)
{
	char value[64 + SABA_SETTINGS_SHOW], range[96];
	double d;

	if (config_setting_type(v) == CONFIG_TYPE_STRING) {
		long long i;

		if (saba_settings_int(k, v, &i, msg, len) != 0)
			return -1;
		d = (double)i;
		snprintf(value, sizeof(value), "\"%.*s\" (%lld)", SABA_SETTINGS_SHOW,
			 config_setting_get_string(v), i);
	} else if (config_setting_type(v) == CONFIG_TYPE_FLOAT) {
		d = config_setting_get_float(v);
		snprintf(value, sizeof(value), "%g", d);
	} else {
		long long i = config_setting_get_int64(v);

		d = (double)i;
		snprintf(value, sizeof(value), "%lld", i);
	}
	if (!saba_has_range(k) || (d >= k->min && d <= k->max))
		return 0;
	saba_range_text(k, range, sizeof(range));
	snprintf(msg, len, "%s = %s is out of range (allowed: %s)", k->name, value, range);
	return -1;
}

/* One string: the value itself, or (in_list) an element of a list. */
static int saba_check_string(const struct saba_setting *k, const char *s, int in_list, char *msg,
			     size_t len)
{
	char allowed[512];

	if ((k->flags & SABA_SETTING_NONEMPTY) && s[0] == '\0') {
		if (in_list)
			snprintf(msg, len, "%s: an empty string is not allowed", k->name);
		else
			snprintf(msg, len, "%s = \"\" is not allowed (must not be empty)", k->name);
		return -1;
	}
	if (k->allowed == NULL)
		return 0;
	for (const char *const *a = k->allowed; *a != NULL; a++)
		if (strcmp(*a, s) == 0)
			return 0;
	saba_allowed_text(k, allowed, sizeof(allowed));
	snprintf(msg, len, "%s%s\"%.*s\" is not allowed (allowed: %s)", k->name,
		 in_list ? ": " : " = ", SABA_SETTINGS_SHOW, s, allowed);
	return -1;
}

int saba_settings_check(const struct saba_setting *k, const config_setting_t *v, char *msg,
			size_t len)
{
	if (!saba_type_matches(k, v)) {
		snprintf(msg, len, "\"%s\" must be %s", k->name, saba_type_name(k->type));
		return -1;
	}
	if (saba_is_number(k->type))
		return saba_check_number(k, v, msg, len);
	if (config_setting_type(v) == CONFIG_TYPE_STRING)
		return saba_check_string(k, config_setting_get_string(v), 0, msg, len);
	if (k->type == SABA_CFG_STRING_LIST || k->type == SABA_CFG_STRING_OR_LIST)
		for (int i = 0; i < config_setting_length(v); i++)
			if (saba_check_string(k, config_setting_get_string_elem(v, i), 1, msg,
					      len) != 0)
				return -1;
	return 0;
}

void saba_settings_describe(const struct saba_setting *k, char *buf, size_t len)
{
	char more[512];

	snprintf(buf, len, "%s", saba_type_name(k->type));
	if (saba_is_duration(k))
		saba_cat(buf, len, " of %s or a duration (\"%s\")",
			 k->flags & SABA_SETTING_MINUTES ? "minutes" : "seconds",
			 k->flags & SABA_SETTING_MINUTES ? "1h30m" : "1m30s");
	if (saba_has_range(k)) {
		saba_range_text(k, more, sizeof(more));
		saba_cat(buf, len, ", %s", more);
	}
	if (saba_is_strings(k->type) && k->allowed != NULL) {
		saba_allowed_text(k, more, sizeof(more));
		saba_cat(buf, len, ", %s %s", k->type == SABA_CFG_STRING ? "one of" : "each one of",
			 more);
	}
	if (k->flags & SABA_SETTING_NONEMPTY)
		saba_cat(buf, len, ", not empty");
	if (k->flags & SABA_SETTING_REQUIRED)
		saba_cat(buf, len, "; required");
	else if (k->def != NULL)
		saba_cat(buf, len, "; default %s", k->def);
}

/* ------------------------------------------------------------------ */
/* the table                                                            */

static int saba_has_table(const struct saba_plugin *d)
{
	return d->struct_size >= offsetof(struct saba_plugin, settings) + sizeof(d->settings) &&
	       d->settings != NULL;
}

/* Names libconfig can hold: a letter, then letters, digits, '_' and '-'. */
static int saba_valid_name(const char *name)
{
	if (name[0] == '\0' ||
	    !((name[0] >= 'a' && name[0] <= 'z') || (name[0] >= 'A' && name[0] <= 'Z')))
		return 0;
	for (const char *p = name; *p != '\0'; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '_' || *p == '-'))
			return 0;
	return 1;
}

/* The table's own rules, entry i. */
static int saba_check_entry(const struct saba_setting *v, int i, char *err, size_t len)
{
	const struct saba_setting *k = &v[i];

	if (!saba_valid_name(k->name)) {
		snprintf(err, len, "setting \"%.*s\": not a valid name", SABA_SETTINGS_SHOW,
			 k->name);
		return -1;
	}
	for (int j = 0; j < i; j++)
		if (strcmp(v[j].name, k->name) == 0) {
			snprintf(err, len, "setting \"%s\" is declared twice", k->name);
			return -1;
		}
	if (k->type < SABA_CFG_STRING || k->type > SABA_CFG_TABLE) {
		snprintf(err, len, "setting \"%s\": unknown type %d", k->name, k->type);
		return -1;
	}
	if ((k->min != 0 || k->max != 0) && !saba_has_range(k)) {
		snprintf(err, len, "setting \"%s\": a range needs a number type and min < max",
			 k->name);
		return -1;
	}
	if (k->allowed != NULL && !saba_is_strings(k->type)) {
		snprintf(err, len, "setting \"%s\": allowed values need a string type", k->name);
		return -1;
	}
	if ((k->flags & (SABA_SETTING_MINUTES | SABA_SETTING_SECONDS)) != 0 &&
	    (k->type != SABA_CFG_INT ||
	     (k->flags & (SABA_SETTING_MINUTES | SABA_SETTING_SECONDS)) ==
		     (SABA_SETTING_MINUTES | SABA_SETTING_SECONDS))) {
		snprintf(err, len, "setting \"%s\": a duration is an integer of minutes or seconds",
			 k->name);
		return -1;
	}
	if ((k->flags & SABA_SETTING_REQUIRED) && k->def != NULL) {
		snprintf(err, len, "setting \"%s\": required, yet with a default", k->name);
		return -1;
	}
	return 0;
}

/* A table from an older plugin's config_keys: names, types, descriptions. */
static struct saba_setting *saba_from_keys(const struct saba_config_key *keys)
{
	struct saba_setting *v;
	size_t n = 0;

	while (keys[n].name != NULL)
		n++;
	v = calloc(n + 1, sizeof(*v));
	for (size_t i = 0; v != NULL && i < n; i++) {
		v[i].name = keys[i].name;
		v[i].type = keys[i].type;
		v[i].description = keys[i].description;
	}
	return v;
}

/* "<name> = <default>;\n" of each default, one a line; NULL: out of memory. */
static char *saba_defaults_text(const struct saba_setting *v)
{
	size_t need = 1, used = 0;
	char *text;

	for (const struct saba_setting *k = v; k->name != NULL; k++)
		need += strlen(k->name) + (k->def != NULL ? strlen(k->def) : 0) + 8;
	text = malloc(need);
	if (text == NULL)
		return NULL;
	text[0] = '\0';
	/* every entry gets a line, so a parse error's line names its setting */
	for (const struct saba_setting *k = v; k->name != NULL; k++)
		used += (size_t)snprintf(text + used, need - used,
					 k->def != NULL ? "%s = %s;\n" : "\n", k->name, k->def);
	return text;
}

int saba_settings_init(struct saba_settings *s, const struct saba_plugin *desc, char *err,
		       size_t len)
{
	static const struct saba_setting none[] = {{.name = NULL}};
	char *text = NULL, msg[512];
	int i, rc = -1;

	memset(s, 0, sizeof(*s));
	config_init(&s->defaults);
	if (saba_has_table(desc)) {
		s->v = desc->settings;
	} else if (desc->config_keys != NULL) {
		s->v = s->own = saba_from_keys(desc->config_keys);
		if (s->v == NULL) {
			snprintf(err, len, "out of memory");
			goto out;
		}
	} else {
		s->v = none;
	}
	for (i = 0; s->v[i].name != NULL; i++)
		if (saba_check_entry(s->v, i, err, len) != 0)
			goto out;
	text = saba_defaults_text(s->v);
	if (text == NULL) {
		snprintf(err, len, "out of memory");
		goto out;
	}
	if (config_read_string(&s->defaults, text) != CONFIG_TRUE) {
		int line = config_error_line(&s->defaults);

		snprintf(err, len, "setting \"%s\": default %s is not a config value (%s)",
			 line >= 1 && line <= i ? s->v[line - 1].name : "?",
			 line >= 1 && line <= i ? s->v[line - 1].def : "?",
			 config_error_text(&s->defaults));
		goto out;
	}
	for (i = 0; s->v[i].name != NULL; i++) {
		config_setting_t *d = saba_settings_default(s, s->v[i].name);

		if (d != NULL && saba_settings_check(&s->v[i], d, msg, sizeof(msg)) != 0) {
			snprintf(err, len, "setting \"%s\": its default does not pass: %s",
				 s->v[i].name, msg);
			goto out;
		}
	}
	rc = 0;
out:
	free(text);
	return rc;
}

void saba_settings_free(struct saba_settings *s)
{
	config_destroy(&s->defaults);
	free(s->own);
	memset(s, 0, sizeof(*s));
}

const struct saba_setting *saba_settings_find(const struct saba_settings *s, const char *name)
{
	for (const struct saba_setting *k = s->v; k != NULL && k->name != NULL; k++)
		if (strcmp(k->name, name) == 0)
			return k;
	return NULL;
}

config_setting_t *saba_settings_default(const struct saba_settings *s, const char *name)
{
	if (saba_settings_find(s, name) == NULL)
		return NULL;
	return config_setting_get_member(config_root_setting(&s->defaults), name);
}
