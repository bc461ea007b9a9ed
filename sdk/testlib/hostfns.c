/*
 * libsaba-plugin-test: the fake host's function table (ABI 1.0 and 1.1
 * members; api.c has the 1.2 ones).  Each records what the plugin did and
 * enforces the rule the agent has for it.
 */
#define _GNU_SOURCE

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <libconfig.h>

#include "hostfns.h"

#include "api.h"
#include "testhost.h"

/* [a-zA-Z0-9._-]: metric names and spec path segments */
static int saba_th_name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '-' || c == '.';
}

static void saba_th_h_log(saba_ctx *ctx, int level, const char *fmt, ...) SABA_PRINTF(3, 4);
static void saba_th_h_log(saba_ctx *ctx, int level, const char *fmt, ...)
{
	struct saba_test_host *th = saba_th_of(ctx);
	va_list ap;
	char *text;

	va_start(ap, fmt);
	text = saba_th_vformat(fmt, ap);
	va_end(ap);
	pthread_mutex_lock(&th->lock);
	saba_th_record(th, SABA_TH_LOG, level, NULL, text);
	pthread_mutex_unlock(&th->lock);
}

static int saba_th_h_emit_ex(saba_ctx *ctx, const char *name, double value, int64_t time,
			     const char *custom_identifier)
{
	struct saba_test_host *th = saba_th_of(ctx);
	int rc = SABA_OK, valid = name != NULL && *name != '\0';

	/* Mackerel accepts metric names matching [a-zA-Z0-9._-]+ */
	for (const char *s = name; valid && *s; s++)
		valid = saba_th_name_char(*s);
	pthread_mutex_lock(&th->lock);
	if (!th->in_collect) {
		rc = saba_th_misuse(th, "emit() outside collect():", name);
	} else if (!valid) {
		rc = saba_th_misuse(th, "emit(): invalid metric name", name);
	} else if (!isfinite(value)) {
		/* the agent drops these: the API has no way to post them */
		th->ndropped++;
		saba_th_logf(th, SABA_LOG_WARNING, "dropping %s: not a finite number", name);
		rc = SABA_INVALID;
	} else {
		SABA_TH_GROW(th->values);
		th->values.v[th->values.n].name = saba_th_xstrdup(name);
		th->values.v[th->values.n].time = time;
		th->values.v[th->values.n].ci = saba_th_xstrdup(custom_identifier);
		th->values.v[th->values.n++].value = value;
	}
	pthread_mutex_unlock(&th->lock);
	return rc;
}

static int saba_th_h_emit(saba_ctx *ctx, const char *name, double value)
{
	return saba_th_h_emit_ex(ctx, name, value, 0, NULL);
}

/*
 * Find key in the instance config.  Also flags calls outside create(), the
 * only place the agent guarantees the config.
 */
static config_setting_t *saba_th_setting(struct saba_test_host *th, const char *key)
{
	config_setting_t *s = NULL;

	pthread_mutex_lock(&th->lock);
	if (!th->in_create)
		saba_th_misuse(th, "config lookup outside create():", key);
	if (key != NULL)
		s = config_setting_lookup(config_root_setting(&th->cfg), key); /* "a.b" too */
	/* absent: the plugin's default, as an agent of ABI 1.3 on hands it */
	if (s == NULL && key != NULL && th->have_settings && th->host.abi_minor >= 3)
		s = saba_settings_default(&th->settings, key);
	pthread_mutex_unlock(&th->lock);
	return s;
}

/* What the agent does on a wrong type: log it with the line. */
static int saba_th_wrong_type(struct saba_test_host *th, const config_setting_t *s, const char *key,
			      const char *want)
{
	pthread_mutex_lock(&th->lock);
	saba_th_logf(th, SABA_LOG_ERR, "config line %d: %s: must be %s",
		     config_setting_source_line(s), key, want);
	pthread_mutex_unlock(&th->lock);
	return SABA_INVALID;
}

/* The setting of key if it has one of two libconfig types. */
static int saba_th_typed(saba_ctx *ctx, const char *key, int t1, int t2, const char *want,
			 config_setting_t **out)
{
	struct saba_test_host *th = saba_th_of(ctx);
	config_setting_t *s = saba_th_setting(th, key);

	if (s == NULL)
		return SABA_NOTFOUND;
	if (config_setting_type(s) != t1 && config_setting_type(s) != t2)
		return saba_th_wrong_type(th, s, key, want);
	*out = s;
	return SABA_OK;
}

static int saba_th_h_config_string(saba_ctx *ctx, const char *key, const char **out)
{
	config_setting_t *s;
	int rc = saba_th_typed(ctx, key, CONFIG_TYPE_STRING, CONFIG_TYPE_STRING, "a string", &s);

	if (rc == SABA_OK)
		*out = config_setting_get_string(s);
	return rc;
}

static int saba_th_duration(struct saba_test_host *th, const char *key, config_setting_t *s,
			    long long *out)
{
	const struct saba_setting *k =
		th->have_settings ? saba_settings_find(&th->settings, key) : NULL;
	char msg[256];

	if (k == NULL || k->type != SABA_CFG_INT ||
	    !(k->flags & (SABA_SETTING_MINUTES | SABA_SETTING_SECONDS)))
		return -1;
	return saba_settings_int(k, s, out, msg, sizeof(msg));
}

static int saba_th_h_config_int(saba_ctx *ctx, const char *key, long long *out)
{
	config_setting_t *s;
	const char *text;
	char *end;
	long long v;
	int rc;

	/* as the agent: inside a table ("action.timeout"), "30" is 30 */
	s = strchr(key, '.') != NULL ? saba_th_setting(saba_th_of(ctx), key) : NULL;
	if (s != NULL && config_setting_type(s) == CONFIG_TYPE_STRING) {
		text = config_setting_get_string(s);
		errno = 0;
		v = strtoll(text, &end, 10);
		if (*text != '\0' && *end == '\0' && errno == 0) {
			*out = v;
			return SABA_OK;
		}
	}
	/* as the agent: a duration setting's "90m" is its number of minutes */
	s = saba_th_setting(saba_th_of(ctx), key);
	if (s != NULL && config_setting_type(s) == CONFIG_TYPE_STRING &&
	    saba_th_duration(saba_th_of(ctx), key, s, out) == 0)
		return SABA_OK;
	rc = saba_th_typed(ctx, key, CONFIG_TYPE_INT, CONFIG_TYPE_INT64, "an integer", &s);
	if (rc == SABA_OK)
		*out = config_setting_get_int64(s);
	return rc;
}

static int saba_th_h_config_float(saba_ctx *ctx, const char *key, double *out)
{
	config_setting_t *s;
	int rc = saba_th_typed(ctx, key, CONFIG_TYPE_FLOAT, CONFIG_TYPE_INT, "a number", &s);

	/* "value = 42;" is a float to anyone but libconfig (the agent
	 * agrees); 64-bit integer literals are not worth the bother */
	if (rc == SABA_OK)
		*out = config_setting_type(s) == CONFIG_TYPE_FLOAT
			       ? config_setting_get_float(s)
			       : (double)config_setting_get_int(s);
	return rc;
}

static int saba_th_h_config_bool(saba_ctx *ctx, const char *key, int *out)
{
	config_setting_t *s;
	int rc = saba_th_typed(ctx, key, CONFIG_TYPE_BOOL, CONFIG_TYPE_BOOL, "true or false", &s);

	if (rc == SABA_OK)
		*out = config_setting_get_bool(s);
	return rc;
}

/* Lists, arrays and groups count their elements; a lone string counts as
 * one (SABA_CFG_STRING_OR_LIST).  Absent: SABA_NOTFOUND. */
static int saba_th_h_config_count(saba_ctx *ctx, const char *key)
{
	struct saba_test_host *th = saba_th_of(ctx);
	config_setting_t *s = saba_th_setting(th, key);

	if (s == NULL)
		return SABA_NOTFOUND;
	if (config_setting_type(s) == CONFIG_TYPE_STRING)
		return 1;
	if (!config_setting_is_aggregate(s))
		return saba_th_wrong_type(th, s, key, "a list or group of strings");
	return config_setting_length(s);
}

static int saba_th_h_config_element(saba_ctx *ctx, const char *key, int index, const char **name,
				    const char **value)
{
	struct saba_test_host *th = saba_th_of(ctx);
	config_setting_t *s = saba_th_setting(th, key);
	config_setting_t *e;

	if (s == NULL || index < 0)
		return SABA_NOTFOUND;
	if (config_setting_type(s) == CONFIG_TYPE_STRING) /* a one-element list */
		e = index == 0 ? s : NULL;
	else if (config_setting_is_aggregate(s))
		e = config_setting_get_elem(s, (unsigned)index);
	else
		return saba_th_wrong_type(th, s, key, "a list or group of strings");
	if (e == NULL)
		return SABA_NOTFOUND;
	/* value NULL: a table's key names, whatever their values */
	if (value != NULL && config_setting_type(e) != CONFIG_TYPE_STRING)
		return saba_th_wrong_type(th, e, key, "a list or group of strings");
	if (name != NULL)
		*name = config_setting_name(e); /* as the agent: NULL in lists */
	if (value != NULL)
		*value = config_setting_get_string(e);
	return SABA_OK;
}

static void saba_th_h_config_error(saba_ctx *ctx, const char *key, const char *fmt, ...)
	SABA_PRINTF(3, 4);
static void saba_th_h_config_error(saba_ctx *ctx, const char *key, const char *fmt, ...)
{
	struct saba_test_host *th = saba_th_of(ctx);
	va_list ap;
	char *text;

	va_start(ap, fmt);
	text = saba_th_vformat(fmt, ap);
	va_end(ap);
	pthread_mutex_lock(&th->lock);
	saba_th_cfgerr(th, key, text);
	pthread_mutex_unlock(&th->lock);
}

static int saba_th_h_host_id(saba_ctx *ctx, char *buf, size_t len)
{
	struct saba_test_host *th = saba_th_of(ctx);
	int rc = SABA_OK;

	pthread_mutex_lock(&th->lock);
	if (th->host_id == NULL)
		rc = SABA_NOTFOUND;
	else if (buf == NULL || strlen(th->host_id) >= len)
		rc = SABA_INVALID;
	else
		strcpy(buf, th->host_id);
	pthread_mutex_unlock(&th->lock);
	return rc;
}

/* "customIdentifier", "meta.memory": dot-separated non-empty names. */
static int saba_th_valid_path(const char *path)
{
	char prev = '.';

	for (const char *s = path; s != NULL && *s; prev = *s++) {
		if (!saba_th_name_char(*s) || (*s == '.' && prev == '.'))
			return 0;
	}
	return path != NULL && prev != '.';
}

static int saba_th_h_spec_set(saba_ctx *ctx, const char *path, const char *json)
{
	struct saba_test_host *th = saba_th_of(ctx);
	json_t *doc = json ? json_loads(json, JSON_DECODE_ANY, NULL) : NULL;
	struct saba_th_event *e;
	int rc = SABA_OK;
	size_t i;

	pthread_mutex_lock(&th->lock);
	if (!th->in_spec) {
		rc = saba_th_misuse(th, "spec_set() outside host_spec():", path);
		goto out;
	}
	if (!saba_th_valid_path(path)) {
		rc = saba_th_misuse(th, "spec_set(): invalid path", path);
		goto out;
	}
	if (doc == NULL) {
		rc = saba_th_misuse(th, "spec_set(): invalid JSON", json);
		goto out;
	}
	/* a later call for the same path replaces the value */
	for (i = 0; (e = saba_th_nth(th, SABA_TH_SPEC, i)) != NULL; i++) {
		if (strcmp(e->key, path) == 0) {
			free(e->text);
			e->text = saba_th_xstrdup(json);
			goto out;
		}
	}
	saba_th_record(th, SABA_TH_SPEC, 0, path, saba_th_xstrdup(json));
out:
	pthread_mutex_unlock(&th->lock);
	json_decref(doc);
	return rc;
}

/* The agent's fixed rules first, then the scripted result.  Caller holds
 * the lock. */
static int saba_th_retire_result(struct saba_test_host *th, int kind)
{
	int result;

	if (kind == SABA_STOP_RESTART || kind == SABA_STOP_UNKNOWN || kind < 0 ||
	    kind > SABA_STOP_MANUAL)
		return SABA_RETIRE_DECLINED;
	/* once per process: anything that reached the API is final */
	if (th->retire_state == SABA_TH_RETIRE_FINAL)
		return th->retire_final;
	if (th->host_id == NULL)
		return SABA_RETIRE_FAILED; /* not registered: not final */
	result = th->dry_run ? SABA_RETIRE_DRY_RUN : th->retire_result;
	if (result != SABA_RETIRE_DECLINED) {
		th->retire_state = SABA_TH_RETIRE_FINAL;
		th->retire_final = result;
	}
	return result;
}

static int saba_th_h_retire(saba_ctx *ctx, const struct saba_retire_request *req)
{
	struct saba_test_host *th = saba_th_of(ctx);
	int result = SABA_RETIRE_DECLINED;

	pthread_mutex_lock(&th->lock);
	if (req == NULL || req->struct_size < sizeof(*req)) {
		saba_th_misuse(th, "retire(): request without struct_size", "");
	} else {
		result = saba_th_retire_result(th, req->kind);
		saba_th_record_retire(th, NULL, req, result);
	}
	pthread_mutex_unlock(&th->lock);
	return result;
}

/* An int setting, read under the lock. */
static int saba_th_get_int(struct saba_test_host *th, const int *field)
{
	int v;

	pthread_mutex_lock(&th->lock);
	v = *field;
	pthread_mutex_unlock(&th->lock);
	return v;
}

static int saba_th_h_shutdown_budget(saba_ctx *ctx)
{
	struct saba_test_host *th = saba_th_of(ctx);

	return saba_th_get_int(th, &th->shutdown_budget);
}

static void saba_th_h_keepalive(saba_ctx *ctx, uint64_t usec)
{
	struct saba_test_host *th = saba_th_of(ctx);

	/* a log line keeps it countable: saba_th_log_count(.., "keepalive") */
	pthread_mutex_lock(&th->lock);
	saba_th_logf(th, SABA_LOG_DEBUG, "keepalive %llu usec", (unsigned long long)usec);
	pthread_mutex_unlock(&th->lock);
}

static const char *saba_th_h_instance_name(saba_ctx *ctx)
{
	struct saba_test_host *th = saba_th_of(ctx);
	const char *name;

	pthread_mutex_lock(&th->lock);
	name = th->instance_name;
	pthread_mutex_unlock(&th->lock);
	return name;
}

static int saba_th_h_dry_run(saba_ctx *ctx)
{
	struct saba_test_host *th = saba_th_of(ctx);

	return saba_th_get_int(th, &th->dry_run);
}

static int saba_th_h_graph_defs(saba_ctx *ctx, const char *json)
{
	struct saba_test_host *th = saba_th_of(ctx);
	json_t *doc = json ? json_loads(json, 0, NULL) : NULL;
	int rc = SABA_OK;

	/* the agent takes an array, as POST /api/v0/graph-defs/create */
	pthread_mutex_lock(&th->lock);
	if (!json_is_array(doc))
		rc = saba_th_misuse(th, "graph_defs(): not a JSON array", json);
	else
		saba_th_record(th, SABA_TH_GRAPHS, 0, NULL, saba_th_xstrdup(json));
	pthread_mutex_unlock(&th->lock);
	json_decref(doc);
	return rc;
}

static int saba_th_h_report_check(saba_ctx *ctx, const struct saba_check_report *r)
{
	struct saba_test_host *th = saba_th_of(ctx);
	struct saba_check_report *c;
	int rc = SABA_OK;

	pthread_mutex_lock(&th->lock);
	if (r == NULL || r->struct_size < sizeof(*r) || r->name == NULL || *r->name == '\0' ||
	    r->status < SABA_CHECK_OK || r->status > SABA_CHECK_UNKNOWN) {
		rc = saba_th_misuse(th, "report_check(): invalid report",
				    r && r->name ? r->name : "");
	} else {
		SABA_TH_GROW(th->checks);
		c = &th->checks.v[th->checks.n++];
		*c = *r;
		c->name = saba_th_xstrdup(r->name);
		c->message = saba_th_xstrdup(r->message ? r->message : "");
		c->custom_identifier = saba_th_xstrdup(r->custom_identifier);
	}
	pthread_mutex_unlock(&th->lock);
	return rc;
}

void saba_th_fill_table(struct saba_host *host, int minor)
{
	*host = (struct saba_host){
		.abi_major = SABA_PLUGIN_ABI_MAJOR,
		.abi_minor = SABA_PLUGIN_ABI_MINOR,
		.struct_size = sizeof(struct saba_host),
		.log = saba_th_h_log,
		.emit = saba_th_h_emit,
		.config_string = saba_th_h_config_string,
		.config_int = saba_th_h_config_int,
		.config_float = saba_th_h_config_float,
		.config_bool = saba_th_h_config_bool,
		.config_count = saba_th_h_config_count,
		.config_element = saba_th_h_config_element,
		.config_error = saba_th_h_config_error,
		.host_id = saba_th_h_host_id,
		.spec_set = saba_th_h_spec_set,
		.retire = saba_th_h_retire,
		.shutdown_budget = saba_th_h_shutdown_budget,
		.keepalive = saba_th_h_keepalive,
		.instance_name = saba_th_h_instance_name,
		.dry_run = saba_th_h_dry_run,
		.emit_ex = saba_th_h_emit_ex,
		.graph_defs = saba_th_h_graph_defs,
		.report_check = saba_th_h_report_check,
		.api_request = saba_th_api_request,
		.retire_host = saba_th_retire_host,
	};
	/* An older agent's table ends before the members added later. */
	if (minor < 2) {
		host->api_request = NULL;
		host->retire_host = NULL;
		host->struct_size = offsetof(struct saba_host, api_request);
	}
	if (minor < 1) {
		host->emit_ex = NULL;
		host->graph_defs = NULL;
		host->report_check = NULL;
		host->struct_size = offsetof(struct saba_host, emit_ex);
	}
	host->abi_minor = (uint16_t)minor;
}
