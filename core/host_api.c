#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apischema.h"
#include "host_api.h"
#include "http.h"
#include "instance.h"
#include "log.h"
#include "metadata.h"
#include "notify.h"
#include "outbox.h"
#include "retire.h"
#include "util.h"

SABA_PRINTF(3, 4) static void saba_h_log(saba_ctx *ctx, int level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	saba_logv(level, ctx->label, fmt, ap);
	va_end(ap);
}

/* Metric names the API accepts: [a-zA-Z0-9._-]+ */
static int saba_valid_metric_name(const char *s)
{
	if (s == NULL || *s == '\0')
		return 0;
	for (; *s != '\0'; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '.' || *s == '_' || *s == '-'))
			return 0;
	return 1;
}

/* A plugin that emits a bad name does so every round, maybe thousands of
 * times: one warning a minute, the name cut short (the log escapes what
 * it holds), and how many more were dropped meanwhile. */
#define SABA_BADNAME_LOG_MS 60000

static void saba_h_bad_name(saba_ctx *ctx, const char *name)
{
	int64_t now = saba_now_ms();

	if (ctx->badname_logged != 0 && now - ctx->badname_logged < SABA_BADNAME_LOG_MS) {
		ctx->badnames++;
		return;
	}
	saba_log(SABA_LOG_WARNING,
		 "%s: invalid metric name \"%.200s\"%s; value dropped (%lu more dropped since the "
		 "last warning; at most one a minute)",
		 ctx->label, name != NULL ? name : "(null)",
		 name != NULL && strlen(name) > 200 ? "..." : "", ctx->badnames);
	ctx->badname_logged = now;
	ctx->badnames = 0;
}

static int saba_h_emit_ex(saba_ctx *ctx, const char *name, double value, int64_t time,
			  const char *custom_identifier)
{
	struct saba_point *p;

	if (ctx->cur_tick == 0) {
		saba_log(SABA_LOG_WARNING, "%s: emit() called outside collect(); ignored",
			 ctx->label);
		return SABA_INVALID;
	}
	if (!saba_valid_metric_name(name)) {
		saba_h_bad_name(ctx, name);
		return SABA_INVALID;
	}
	if (!isfinite(value)) {
		/* Warn once per instance; a plugin that keeps doing it would
		 * otherwise fill the log every interval. */
		int first = ctx->nonfinite++ == 0;

		saba_log(first ? SABA_LOG_WARNING : SABA_LOG_DEBUG, "%s: %s is %s; value dropped%s",
			 ctx->label, name, isnan(value) ? "NaN" : "infinite",
			 first ? " (further ones are logged at debug level)" : "");
		return SABA_INVALID;
	}
	if (ctx->nbuf == ctx->capbuf) {
		ctx->capbuf = ctx->capbuf ? ctx->capbuf * 2 : 16;
		ctx->buf = saba_realloc(ctx->buf, ctx->capbuf * sizeof(*ctx->buf));
	}
	p = &ctx->buf[ctx->nbuf++];
	p->name = saba_strdup(name);
	p->value = value;
	p->time = time > 0 ? time : ctx->cur_tick;
	p->ci = custom_identifier != NULL && *custom_identifier != '\0'
			? saba_strdup(custom_identifier)
			: NULL;
	return SABA_OK;
}

static int saba_h_emit(saba_ctx *ctx, const char *name, double value)
{
	return saba_h_emit_ex(ctx, name, value, 0, NULL);
}

static int saba_h_graph_defs(saba_ctx *ctx, const char *json)
{
	json_error_t jerr;
	json_t *defs = json_loads(json != NULL ? json : "", 0, &jerr);

	char why[256];

	if (!json_is_array(defs)) {
		saba_log(SABA_LOG_WARNING, "%s: graph_defs(): not a JSON array%s%s", ctx->label,
			 defs == NULL ? ": " : "", defs == NULL ? jerr.text : "");
		json_decref(defs);
		return SABA_INVALID;
	}
	/* One the API would refuse would take the others down with it. */
	for (size_t i = 0; i < json_array_size(defs);) {
		json_t *def = json_array_get(defs, i);

		if (saba_apischema_graph_def(def, why, sizeof(why)) == 0) {
			i++;
			continue;
		}
		saba_log(SABA_LOG_WARNING, "%s: graph_defs(): graph %s: %s; dropped", ctx->label,
			 json_is_string(json_object_get(def, "name"))
				 ? json_string_value(json_object_get(def, "name"))
				 : "(unnamed)",
			 why);
		json_array_remove(defs, i);
	}
	if (json_array_size(defs) == 0) {
		json_decref(defs);
		return SABA_INVALID;
	}
	saba_outbox_graph_defs(ctx->rt, defs);
	return SABA_OK;
}

static int saba_h_report_check(saba_ctx *ctx, const struct saba_check_report *r)
{
	if (r == NULL || r->struct_size < sizeof(*r) || r->name == NULL || *r->name == '\0' ||
	    r->status < SABA_CHECK_OK || r->status > SABA_CHECK_UNKNOWN) {
		saba_log(SABA_LOG_WARNING, "%s: report_check(): invalid report; dropped",
			 ctx->label);
		return SABA_INVALID;
	}
	saba_outbox_check(ctx->rt, r);
	return SABA_OK;
}

/* The instance's own setting, or NULL. */
static config_setting_t *saba_h_own_setting(saba_ctx *ctx, const char *key)
{
	if (key == NULL || ctx->ic == NULL || ctx->ic->setting == NULL)
		return NULL;
	return config_setting_lookup(ctx->ic->setting, key);
}

/* The instance's own setting, else the plugin's default for it, or NULL. */
static config_setting_t *saba_h_setting(saba_ctx *ctx, const char *key)
{
	config_setting_t *s = saba_h_own_setting(ctx, key);

	if (s == NULL && key != NULL && ctx->mod != NULL)
		s = saba_settings_default(&ctx->mod->settings, key);
	return s;
}

static int saba_h_bad_type(saba_ctx *ctx, config_setting_t *s, const char *what)
{
	saba_conf_problem(ctx->conf->file, (int)config_setting_source_line(s),
			  "plugin %s: \"%s\" must be %s", ctx->ic->name, config_setting_name(s),
			  what);
	ctx->config_problems++;
	return SABA_INVALID;
}

static int saba_h_config_string(saba_ctx *ctx, const char *key, const char **out)
{
	config_setting_t *s = saba_h_setting(ctx, key);

	if (s == NULL)
		return SABA_NOTFOUND;
	if (config_setting_type(s) != CONFIG_TYPE_STRING)
		return saba_h_bad_type(ctx, s, "a string");
	*out = config_setting_get_string(s);
	return SABA_OK;
}

/* Inside a table, an integer may be written as a string ("30"), as groups
 * of strings wrote it before tables: the same value. */
static int saba_h_table_int(const char *key, config_setting_t *s, long long *out)
{
	const char *text = config_setting_get_string(s);
	char *end;

	if (strchr(key, '.') == NULL || text == NULL || *text == '\0')
		return -1;
	errno = 0;
	*out = strtoll(text, &end, 10);
	return errno == 0 && *end == '\0' ? 0 : -1;
}

/* A duration setting written as a string ("90m"): its whole number of
 * minutes or seconds.  The value passed the settings check before
 * create(), so this fails only for a setting that is no duration. */
static int saba_h_duration(saba_ctx *ctx, const char *key, config_setting_t *s, long long *out)
{
	const struct saba_setting *k =
		ctx->mod != NULL ? saba_settings_find(&ctx->mod->settings, key) : NULL;
	char msg[256];

	if (k == NULL || k->type != SABA_CFG_INT ||
	    !(k->flags & (SABA_SETTING_MINUTES | SABA_SETTING_SECONDS)))
		return -1;
	return saba_settings_int(k, s, out, msg, sizeof(msg));
}

static int saba_h_config_int(saba_ctx *ctx, const char *key, long long *out)
{
	config_setting_t *s = saba_h_setting(ctx, key);
	long long v;

	if (s == NULL)
		return SABA_NOTFOUND;
	if (config_setting_type(s) == CONFIG_TYPE_STRING && saba_h_table_int(key, s, &v) == 0) {
		*out = v;
		return SABA_OK;
	}
	if (config_setting_type(s) == CONFIG_TYPE_STRING && saba_h_duration(ctx, key, s, out) == 0)
		return SABA_OK;
	if (config_setting_type(s) != CONFIG_TYPE_INT &&
	    config_setting_type(s) != CONFIG_TYPE_INT64)
		return saba_h_bad_type(ctx, s, "an integer");
	*out = config_setting_get_int64(s);
	return SABA_OK;
}

static int saba_h_config_float(saba_ctx *ctx, const char *key, double *out)
{
	config_setting_t *s = saba_h_setting(ctx, key);

	if (s == NULL)
		return SABA_NOTFOUND;
	switch (config_setting_type(s)) {
	case CONFIG_TYPE_FLOAT:
		*out = config_setting_get_float(s);
		return SABA_OK;
	case CONFIG_TYPE_INT:
	case CONFIG_TYPE_INT64:
		*out = (double)config_setting_get_int64(s);
		return SABA_OK;
	default:
		return saba_h_bad_type(ctx, s, "a number");
	}
}

static int saba_h_config_bool(saba_ctx *ctx, const char *key, int *out)
{
	config_setting_t *s = saba_h_setting(ctx, key);

	if (s == NULL)
		return SABA_NOTFOUND;
	if (config_setting_type(s) != CONFIG_TYPE_BOOL)
		return saba_h_bad_type(ctx, s, "true or false");
	*out = config_setting_get_bool(s);
	return SABA_OK;
}

static int saba_h_config_count(saba_ctx *ctx, const char *key)
{
	config_setting_t *s = saba_h_setting(ctx, key);

	if (s == NULL)
		return SABA_NOTFOUND;
	if (config_setting_type(s) == CONFIG_TYPE_STRING)
		return 1; /* a lone string counts as a one-element list */
	if (!config_setting_is_aggregate(s))
		return saba_h_bad_type(ctx, s, "a list or a group");
	return config_setting_length(s);
}

static int saba_h_config_element(saba_ctx *ctx, const char *key, int index, const char **name,
				 const char **value)
{
	config_setting_t *s = saba_h_setting(ctx, key), *e;

	if (s == NULL)
		return SABA_NOTFOUND;
	if (config_setting_type(s) == CONFIG_TYPE_STRING && index == 0) {
		e = s;
	} else {
		if (!config_setting_is_aggregate(s) || index < 0 ||
		    index >= config_setting_length(s))
			return SABA_NOTFOUND;
		e = config_setting_get_elem(s, (unsigned)index);
	}
	/* value NULL: a table's key names, whatever their values */
	if (value != NULL && config_setting_type(e) != CONFIG_TYPE_STRING)
		return saba_h_bad_type(ctx, e, "a string");
	if (name != NULL)
		*name = config_setting_name(e);
	if (value != NULL)
		*value = config_setting_get_string(e);
	return SABA_OK;
}

SABA_PRINTF(3, 4)
static void saba_h_config_error(saba_ctx *ctx, const char *key, const char *fmt, ...)
{
	config_setting_t *s = saba_h_own_setting(ctx, key);
	char msg[512];
	va_list ap;
	int line;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	line = s != NULL ? (int)config_setting_source_line(s) : ctx->ic->line;
	saba_conf_problem(ctx->conf->file, line, "plugin %s: %s%s%s", ctx->ic->name,
			  key != NULL ? key : "", key != NULL ? ": " : "", msg);
	ctx->config_problems++;
}

static int saba_h_host_id(saba_ctx *ctx, char *buf, size_t len)
{
	int rc = SABA_NOTFOUND;

	pthread_mutex_lock(&ctx->rt->lock);
	if (ctx->rt->host_id != NULL) {
		snprintf(buf, len, "%s", ctx->rt->host_id);
		rc = strlen(ctx->rt->host_id) < len ? SABA_OK : SABA_INVALID;
	}
	pthread_mutex_unlock(&ctx->rt->lock);
	return rc;
}

static int saba_h_spec_set(saba_ctx *ctx, const char *path, const char *json)
{
	json_error_t jerr;
	json_t *value, *obj;
	char *copy, *part, *next, why[256];

	if (ctx->spec == NULL) {
		saba_log(SABA_LOG_WARNING, "%s: spec_set() called outside host_spec(); ignored",
			 ctx->label);
		return SABA_INVALID;
	}
	value = json_loads(json, JSON_DECODE_ANY, &jerr);
	if (value == NULL || path == NULL || *path == '\0') {
		saba_log(SABA_LOG_WARNING, "%s: spec_set(%s): invalid JSON: %s", ctx->label,
			 path != NULL ? path : "(null)", value == NULL ? jerr.text : "empty path");
		json_decref(value);
		return SABA_INVALID;
	}
	/* An API that refuses an unknown field would refuse the registration. */
	if (saba_apischema_spec(path, value, why, sizeof(why)) != 0) {
		saba_log(SABA_LOG_WARNING, "%s: spec_set(%s): %s; ignored", ctx->label, path, why);
		json_decref(value);
		return SABA_INVALID;
	}
	copy = saba_strdup(path);
	obj = ctx->spec;
	for (part = copy; (next = strchr(part, '.')) != NULL; part = next + 1) {
		json_t *child;

		*next = '\0';
		child = json_object_get(obj, part);
		if (!json_is_object(child)) {
			child = json_object();
			json_object_set_new(obj, part, child);
		}
		obj = child;
	}
	json_object_set_new(obj, part, value);
	free(copy);
	return SABA_OK;
}

static int saba_h_retire(saba_ctx *ctx, const struct saba_retire_request *req)
{
	return saba_retire_run(ctx->rt, ctx->label, req);
}

static int saba_h_shutdown_budget(saba_ctx *ctx)
{
	int64_t left;

	pthread_mutex_lock(&ctx->rt->lock);
	left = ctx->rt->shutdown_deadline_ms ? ctx->rt->shutdown_deadline_ms - saba_now_ms() : 0;
	pthread_mutex_unlock(&ctx->rt->lock);
	return left > 0 ? (int)((left + 999) / 1000) : 0;
}

static void saba_h_keepalive(saba_ctx *ctx, uint64_t usec)
{
	saba_notify_extend(usec);
}

static const char *saba_h_instance_name(saba_ctx *ctx)
{
	return ctx->ic->name;
}

static int saba_h_dry_run(saba_ctx *ctx)
{
	return ctx->rt->dry_run;
}

/* A stop ends a plugin's API request, except while the shutdown hooks run
 * (a trigger's confirmation may need the API) and within their deadline. */
static int saba_h_abort_on_stop(void *arg)
{
	struct saba_runtime *rt = arg;
	int abort;

	pthread_mutex_lock(&rt->lock);
	abort = rt->retired || (rt->stop_requested && (rt->shutdown_deadline_ms == 0 ||
						       saba_now_ms() >= rt->shutdown_deadline_ms));
	pthread_mutex_unlock(&rt->lock);
	return abort;
}

static int saba_h_discard(void *arg, const char *data, size_t len)
{
	(void)arg;
	(void)data;
	(void)len;
	return 0;
}

static long saba_h_api_request(saba_ctx *ctx, const char *method, const char *path,
			       const char *body,
			       int (*sink)(void *arg, const char *data, size_t len), void *sink_arg,
			       char *err, size_t err_len)
{
	struct saba_http_result r = {0};
	struct saba_http *h = NULL;
	int64_t deadline;
	long status = -1;

	if (err != NULL && err_len > 0)
		err[0] = '\0';
	if (method == NULL || path == NULL || path[0] != '/') {
		snprintf(err, err_len, "invalid request (method and an absolute path are needed)");
		return -1;
	}
	if (ctx->rt->dry_run) {
		snprintf(err, err_len, "dry-run: %s %s not sent", method, path);
		return -1;
	}
	h = saba_runtime_http(ctx->rt);
	if (h == NULL) {
		snprintf(err, err_len, "cannot set up HTTP");
		return -1;
	}
	pthread_mutex_lock(&ctx->rt->lock);
	deadline = ctx->rt->stop_requested ? ctx->rt->shutdown_deadline_ms : 0;
	pthread_mutex_unlock(&ctx->rt->lock);
	saba_http_set_abort(h, saba_h_abort_on_stop, ctx->rt);
	/* Streamed: a sweeper's host list can be far bigger than anything
	 * the agent itself reads. */
	if (saba_http_do_stream(h, method, path, body, deadline,
				sink != NULL ? sink : saba_h_discard, sink_arg, &r) != 0) {
		snprintf(err, err_len, "%s %s: %s", method, path, r.error);
		goto out;
	}
	status = r.status;
out:
	saba_http_result_clear(&r);
	saba_http_free(h);
	return status;
}

static int saba_h_retire_host(saba_ctx *ctx, const char *host_id,
			      const struct saba_retire_request *req)
{
	return saba_retire_other(ctx->rt, ctx->label, host_id, req);
}

static int saba_h_put_metadata(saba_ctx *ctx, const char *ns, const char *json)
{
	char why[256];
	json_t *value;

	if (!saba_metadata_valid_ns(ns, why, sizeof(why))) {
		saba_log(SABA_LOG_WARNING, "%s: put_metadata(): %s; dropped", ctx->label, why);
		return SABA_INVALID;
	}
	value = saba_metadata_parse(json != NULL ? json : "", json != NULL ? strlen(json) : 0, why,
				    sizeof(why));
	if (value == NULL) {
		saba_log(SABA_LOG_WARNING, "%s: put_metadata(%s): %s; dropped", ctx->label, ns,
			 why);
		return SABA_INVALID;
	}
	if (ctx->rt->metadata == NULL)
		json_decref(value); /* once, configtest: nothing is sent */
	else
		saba_metadata_put(ctx->rt->metadata, ns, value);
	return SABA_OK;
}

static const struct saba_host saba_host_v1 = {
	.abi_major = SABA_PLUGIN_ABI_MAJOR,
	.abi_minor = SABA_PLUGIN_ABI_MINOR,
	.struct_size = sizeof(struct saba_host),
	.log = saba_h_log,
	.emit = saba_h_emit,
	.config_string = saba_h_config_string,
	.config_int = saba_h_config_int,
	.config_float = saba_h_config_float,
	.config_bool = saba_h_config_bool,
	.config_count = saba_h_config_count,
	.config_element = saba_h_config_element,
	.config_error = saba_h_config_error,
	.host_id = saba_h_host_id,
	.spec_set = saba_h_spec_set,
	.retire = saba_h_retire,
	.shutdown_budget = saba_h_shutdown_budget,
	.keepalive = saba_h_keepalive,
	.instance_name = saba_h_instance_name,
	.dry_run = saba_h_dry_run,
	.emit_ex = saba_h_emit_ex,
	.graph_defs = saba_h_graph_defs,
	.report_check = saba_h_report_check,
	.api_request = saba_h_api_request,
	.retire_host = saba_h_retire_host,
	.put_metadata = saba_h_put_metadata,
};

const struct saba_host *saba_host_table(void)
{
	return &saba_host_v1;
}
