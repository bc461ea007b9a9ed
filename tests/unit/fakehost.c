/*
 * fakehost: a fake struct saba_host for plugin unit tests (see fakehost.h).
 */
#define _GNU_SOURCE /* vasprintf */

#include <dlfcn.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <libconfig.h>

#include "fakehost.h"

#include "fakehost_priv.h"

/* Test code: running out of memory is not a case worth handling. */
static void *fakehost_xrealloc(void *p, size_t size)
{
	p = realloc(p, size);
	if (p == NULL) {
		fprintf(stderr, "fakehost: out of memory\n");
		abort();
	}
	return p;
}

static char *fakehost_xstrdup(const char *s)
{
	size_t n;

	if (s == NULL)
		return NULL;
	n = strlen(s) + 1;
	return memcpy(fakehost_xrealloc(NULL, n), s, n);
}

/* Make room for one more element of a FAKEHOST_ARRAY. */
#define FAKEHOST_GROW(a)                                                                           \
	do {                                                                                       \
		if ((a).n == (a).cap) {                                                            \
			(a).cap = (a).cap ? 2 * (a).cap : 8;                                       \
			(a).v = fakehost_xrealloc((a).v, (a).cap * sizeof(*(a).v));                \
		}                                                                                  \
	} while (0)

static char *fakehost_vformat(const char *fmt, va_list ap) SABA_PRINTF(1, 0);
static char *fakehost_vformat(const char *fmt, va_list ap)
{
	char *s;

	if (vasprintf(&s, fmt, ap) < 0) {
		fprintf(stderr, "fakehost: out of memory\n");
		abort();
	}
	return s;
}

static struct fakehost *fakehost_of(saba_ctx *ctx)
{
	/* the ctx handed to the plugin is the fakehost itself */
	return (struct fakehost *)(void *)ctx;
}

/* Record an event; takes ownership of text.  Caller holds the lock. */
static void fakehost_record(struct fakehost *fh, int type, int num, const char *key, char *text)
{
	/* syslog numbering */
	static const char *const levels[] = {
		"emerg", "alert", "crit", "error", "warning", "notice", "info", "debug",
	};
	struct fakehost_event *e;

	FAKEHOST_GROW(fh->events);
	e = &fh->events.v[fh->events.n++];
	e->type = type;
	e->num = num;
	e->key = fakehost_xstrdup(key);
	e->text = text;
	if (type == FAKEHOST_LOG && fh->knobs.echo)
		fprintf(stderr, "[fakehost %s] %s: %s\n", fh->knobs.instance_name,
			num >= 0 && num < 8 ? levels[num] : "?", text);
}

static void fakehost_logf(struct fakehost *fh, int level, const char *fmt, ...) SABA_PRINTF(3, 4);
static void fakehost_logf(struct fakehost *fh, int level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fakehost_record(fh, FAKEHOST_LOG, level, NULL, fakehost_vformat(fmt, ap));
	va_end(ap);
}

/* A plugin broke the host API contract.  Caller holds the lock. */
static int fakehost_misuse_locked(struct fakehost *fh, const char *what, const char *arg)
{
	fh->nmisuse++;
	fakehost_logf(fh, SABA_LOG_ERR, "host API misuse: %s \"%s\"", what, arg ? arg : "(null)");
	return SABA_INVALID;
}

/* The n-th event of a type, or NULL. */
struct fakehost_event *fakehost_nth(struct fakehost *fh, int type, size_t n)
{
	for (size_t i = 0; i < fh->events.n; i++) {
		if (fh->events.v[i].type == type && n-- == 0)
			return &fh->events.v[i];
	}
	return NULL;
}

size_t fakehost_count(struct fakehost *fh, int type)
{
	size_t n = 0;

	while (fakehost_nth(fh, type, n) != NULL)
		n++;
	return n;
}

/* Mark which callback runs (flag is one of fh->in_*). */
static void fakehost_phase(struct fakehost *fh, int *flag, int on)
{
	pthread_mutex_lock(&fh->lock);
	*flag = on;
	pthread_mutex_unlock(&fh->lock);
}

/* [a-zA-Z0-9._-]: metric names and spec path segments */
static int fakehost_name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '-' || c == '.';
}

static void fakehost_api_log(saba_ctx *ctx, int level, const char *fmt, ...) SABA_PRINTF(3, 4);
static void fakehost_api_log(saba_ctx *ctx, int level, const char *fmt, ...)
{
	struct fakehost *fh = fakehost_of(ctx);
	va_list ap;
	char *text;

	va_start(ap, fmt);
	text = fakehost_vformat(fmt, ap);
	va_end(ap);
	pthread_mutex_lock(&fh->lock);
	fakehost_record(fh, FAKEHOST_LOG, level, NULL, text);
	pthread_mutex_unlock(&fh->lock);
}

static int fakehost_api_emit_ex(saba_ctx *ctx, const char *name, double value, int64_t time,
				const char *custom_identifier)
{
	struct fakehost *fh = fakehost_of(ctx);
	int rc = SABA_OK, valid = name != NULL && *name != '\0';

	/* Mackerel accepts metric names matching [a-zA-Z0-9._-]+ */
	for (const char *s = name; valid && *s; s++)
		valid = fakehost_name_char(*s);
	pthread_mutex_lock(&fh->lock);
	if (!fh->in_collect) {
		rc = fakehost_misuse_locked(fh, "emit() outside collect():", name);
	} else if (!valid) {
		rc = fakehost_misuse_locked(fh, "emit(): invalid metric name", name);
	} else if (!isfinite(value)) {
		/* the agent drops these: the API has no way to post them */
		fh->ndropped++;
		fakehost_logf(fh, SABA_LOG_WARNING, "dropping %s: not a finite number", name);
		rc = SABA_INVALID;
	} else {
		FAKEHOST_GROW(fh->values);
		fh->values.v[fh->values.n].name = fakehost_xstrdup(name);
		fh->values.v[fh->values.n].time = time;
		fh->values.v[fh->values.n].ci = fakehost_xstrdup(custom_identifier);
		fh->values.v[fh->values.n++].value = value;
	}
	pthread_mutex_unlock(&fh->lock);
	return rc;
}

static int fakehost_api_emit(saba_ctx *ctx, const char *name, double value)
{
	return fakehost_api_emit_ex(ctx, name, value, 0, NULL);
}

/*
 * Find key in the instance config.  Also flags calls outside create(), the
 * only place the agent guarantees the config.
 */
static config_setting_t *fakehost_setting(struct fakehost *fh, const char *key)
{
	config_setting_t *s = NULL;

	pthread_mutex_lock(&fh->lock);
	if (!fh->in_create)
		fakehost_misuse_locked(fh, "config lookup outside create():", key);
	if (key != NULL)
		s = config_setting_get_member(config_root_setting(&fh->cfg), key);
	pthread_mutex_unlock(&fh->lock);
	return s;
}

/* What the agent does on a wrong type: log it with the line. */
static int fakehost_wrong_type(struct fakehost *fh, const config_setting_t *s, const char *key,
			       const char *want)
{
	pthread_mutex_lock(&fh->lock);
	fakehost_logf(fh, SABA_LOG_ERR, "config line %d: %s: must be %s",
		      config_setting_source_line(s), key, want);
	pthread_mutex_unlock(&fh->lock);
	return SABA_INVALID;
}

/* The setting of key if it has one of two libconfig types. */
static int fakehost_typed(saba_ctx *ctx, const char *key, int t1, int t2, const char *want,
			  config_setting_t **out)
{
	struct fakehost *fh = fakehost_of(ctx);
	config_setting_t *s = fakehost_setting(fh, key);

	if (s == NULL)
		return SABA_NOTFOUND;
	if (config_setting_type(s) != t1 && config_setting_type(s) != t2)
		return fakehost_wrong_type(fh, s, key, want);
	*out = s;
	return SABA_OK;
}

static int fakehost_api_config_string(saba_ctx *ctx, const char *key, const char **out)
{
	config_setting_t *s;
	int rc = fakehost_typed(ctx, key, CONFIG_TYPE_STRING, CONFIG_TYPE_STRING, "a string", &s);

	if (rc == SABA_OK)
		*out = config_setting_get_string(s);
	return rc;
}

static int fakehost_api_config_int(saba_ctx *ctx, const char *key, long long *out)
{
	config_setting_t *s;
	int rc = fakehost_typed(ctx, key, CONFIG_TYPE_INT, CONFIG_TYPE_INT64, "an integer", &s);

	if (rc == SABA_OK)
		*out = config_setting_get_int64(s);
	return rc;
}

static int fakehost_api_config_float(saba_ctx *ctx, const char *key, double *out)
{
	config_setting_t *s;
	int rc = fakehost_typed(ctx, key, CONFIG_TYPE_FLOAT, CONFIG_TYPE_INT, "a number", &s);

	/* "value = 42;" is a float to anyone but libconfig (the agent
	 * agrees); 64-bit integer literals are not worth the bother */
	if (rc == SABA_OK)
		*out = config_setting_type(s) == CONFIG_TYPE_FLOAT
			       ? config_setting_get_float(s)
			       : (double)config_setting_get_int(s);
	return rc;
}

static int fakehost_api_config_bool(saba_ctx *ctx, const char *key, int *out)
{
	config_setting_t *s;
	int rc = fakehost_typed(ctx, key, CONFIG_TYPE_BOOL, CONFIG_TYPE_BOOL, "true or false", &s);

	if (rc == SABA_OK)
		*out = config_setting_get_bool(s);
	return rc;
}

/* Lists, arrays and groups count their elements; a lone string counts as
 * one (SABA_CFG_STRING_OR_LIST).  Absent: SABA_NOTFOUND. */
static int fakehost_api_config_count(saba_ctx *ctx, const char *key)
{
	struct fakehost *fh = fakehost_of(ctx);
	config_setting_t *s = fakehost_setting(fh, key);

	if (s == NULL)
		return SABA_NOTFOUND;
	if (config_setting_type(s) == CONFIG_TYPE_STRING)
		return 1;
	if (!config_setting_is_aggregate(s))
		return fakehost_wrong_type(fh, s, key, "a list or group of strings");
	return config_setting_length(s);
}

static int fakehost_api_config_element(saba_ctx *ctx, const char *key, int index, const char **name,
				       const char **value)
{
	struct fakehost *fh = fakehost_of(ctx);
	config_setting_t *s = fakehost_setting(fh, key);
	config_setting_t *e;

	if (s == NULL || index < 0)
		return SABA_NOTFOUND;
	if (config_setting_type(s) == CONFIG_TYPE_STRING) /* a one-element list */
		e = index == 0 ? s : NULL;
	else if (config_setting_is_aggregate(s))
		e = config_setting_get_elem(s, (unsigned)index);
	else
		return fakehost_wrong_type(fh, s, key, "a list or group of strings");
	if (e == NULL)
		return SABA_NOTFOUND;
	if (config_setting_type(e) != CONFIG_TYPE_STRING)
		return fakehost_wrong_type(fh, e, key, "a list or group of strings");
	if (name != NULL)
		*name = config_setting_name(e); /* as the agent: NULL in lists */
	if (value != NULL)
		*value = config_setting_get_string(e);
	return SABA_OK;
}

static void fakehost_api_config_error(saba_ctx *ctx, const char *key, const char *fmt, ...)
	SABA_PRINTF(3, 4);
static void fakehost_api_config_error(saba_ctx *ctx, const char *key, const char *fmt, ...)
{
	struct fakehost *fh = fakehost_of(ctx);
	va_list ap;
	char *text;

	va_start(ap, fmt);
	text = fakehost_vformat(fmt, ap);
	va_end(ap);
	pthread_mutex_lock(&fh->lock);
	/* the agent logs it too */
	fakehost_logf(fh, SABA_LOG_ERR, "config: %s%s%s", key ? key : "", key ? ": " : "", text);
	fakehost_record(fh, FAKEHOST_CFGERR, 0, key, text);
	pthread_mutex_unlock(&fh->lock);
}

static int fakehost_api_host_id(saba_ctx *ctx, char *buf, size_t len)
{
	struct fakehost *fh = fakehost_of(ctx);
	const char *id = fh->knobs.host_id;

	if (id == NULL)
		return SABA_NOTFOUND;
	if (buf == NULL || strlen(id) >= len)
		return SABA_INVALID;
	strcpy(buf, id);
	return SABA_OK;
}

/* "customIdentifier", "meta.memory": dot-separated non-empty names. */
static int fakehost_valid_path(const char *path)
{
	char prev = '.';

	for (const char *s = path; s != NULL && *s; prev = *s++) {
		if (!fakehost_name_char(*s) || (*s == '.' && prev == '.'))
			return 0;
	}
	return path != NULL && prev != '.';
}

static int fakehost_api_spec_set(saba_ctx *ctx, const char *path, const char *json)
{
	struct fakehost *fh = fakehost_of(ctx);
	json_t *doc = json ? json_loads(json, JSON_DECODE_ANY, NULL) : NULL;
	struct fakehost_event *e;
	int rc = SABA_OK;
	size_t i;

	pthread_mutex_lock(&fh->lock);
	if (!fh->in_spec) {
		rc = fakehost_misuse_locked(fh, "spec_set() outside host_spec():", path);
		goto out;
	}
	if (!fakehost_valid_path(path)) {
		rc = fakehost_misuse_locked(fh, "spec_set(): invalid path", path);
		goto out;
	}
	if (doc == NULL) {
		rc = fakehost_misuse_locked(fh, "spec_set(): invalid JSON", json);
		goto out;
	}
	/* a later call for the same path replaces the value */
	for (i = 0; (e = fakehost_nth(fh, FAKEHOST_SPEC, i)) != NULL; i++) {
		if (strcmp(e->key, path) == 0) {
			free(e->text);
			e->text = fakehost_xstrdup(json);
			goto out;
		}
	}
	fakehost_record(fh, FAKEHOST_SPEC, 0, path, fakehost_xstrdup(json));
out:
	pthread_mutex_unlock(&fh->lock);
	json_decref(doc);
	return rc;
}

static int fakehost_api_retire(saba_ctx *ctx, const struct saba_retire_request *req)
{
	struct fakehost *fh = fakehost_of(ctx);
	size_t need = offsetof(struct saba_retire_request, reason) + sizeof(req->reason);
	int rc;

	pthread_mutex_lock(&fh->lock);
	if (req == NULL || req->struct_size < need) {
		rc = fakehost_misuse_locked(fh, "retire(): request without struct_size", "");
	} else {
		fakehost_logf(fh, SABA_LOG_NOTICE, "retire requested: kind=%d reason=%s", req->kind,
			      req->reason ? req->reason : "");
		fakehost_record(fh, FAKEHOST_RETIRE, req->kind, NULL,
				fakehost_xstrdup(req->reason ? req->reason : ""));
		rc = fh->knobs.retire_result;
	}
	pthread_mutex_unlock(&fh->lock);
	return rc;
}

static int fakehost_api_shutdown_budget(saba_ctx *ctx)
{
	return fakehost_of(ctx)->knobs.shutdown_budget;
}

static void fakehost_api_keepalive(saba_ctx *ctx, uint64_t usec)
{
	struct fakehost *fh = fakehost_of(ctx);

	/* a log line keeps it countable: fakehost_log_count(.., "keepalive") */
	pthread_mutex_lock(&fh->lock);
	fakehost_logf(fh, SABA_LOG_DEBUG, "keepalive %llu usec", (unsigned long long)usec);
	pthread_mutex_unlock(&fh->lock);
}

static const char *fakehost_api_instance_name(saba_ctx *ctx)
{
	return fakehost_of(ctx)->knobs.instance_name;
}

static int fakehost_api_dry_run(saba_ctx *ctx)
{
	return fakehost_of(ctx)->knobs.dry_run;
}

static int fakehost_api_graph_defs(saba_ctx *ctx, const char *json)
{
	struct fakehost *fh = fakehost_of(ctx);
	json_t *doc = json ? json_loads(json, 0, NULL) : NULL;
	int rc = SABA_OK;

	/* the agent takes an array, as POST /api/v0/graph-defs/create */
	pthread_mutex_lock(&fh->lock);
	if (!json_is_array(doc))
		rc = fakehost_misuse_locked(fh, "graph_defs(): not a JSON array", json);
	else
		fakehost_record(fh, FAKEHOST_GRAPHS, 0, NULL, fakehost_xstrdup(json));
	pthread_mutex_unlock(&fh->lock);
	json_decref(doc);
	return rc;
}

static int fakehost_api_report_check(saba_ctx *ctx, const struct saba_check_report *r)
{
	struct fakehost *fh = fakehost_of(ctx);
	struct saba_check_report *c;
	int rc = SABA_OK;

	pthread_mutex_lock(&fh->lock);
	if (r == NULL || r->struct_size < sizeof(*r) || r->name == NULL || *r->name == '\0' ||
	    r->status < SABA_CHECK_OK || r->status > SABA_CHECK_UNKNOWN) {
		rc = fakehost_misuse_locked(fh, "report_check(): invalid report",
					    r && r->name ? r->name : "");
	} else {
		FAKEHOST_GROW(fh->checks);
		c = &fh->checks.v[fh->checks.n++];
		*c = *r;
		c->name = fakehost_xstrdup(r->name);
		c->message = fakehost_xstrdup(r->message ? r->message : "");
		c->custom_identifier = fakehost_xstrdup(r->custom_identifier);
	}
	pthread_mutex_unlock(&fh->lock);
	return rc;
}

struct fakehost *fakehost_new(const char *libconfig_text)
{
	struct fakehost *fh = fakehost_xrealloc(NULL, sizeof(*fh));

	memset(fh, 0, sizeof(*fh));
	fh->host = (struct saba_host){
		.abi_major = SABA_PLUGIN_ABI_MAJOR,
		.abi_minor = SABA_PLUGIN_ABI_MINOR,
		.struct_size = sizeof(struct saba_host),
		.log = fakehost_api_log,
		.emit = fakehost_api_emit,
		.config_string = fakehost_api_config_string,
		.config_int = fakehost_api_config_int,
		.config_float = fakehost_api_config_float,
		.config_bool = fakehost_api_config_bool,
		.config_count = fakehost_api_config_count,
		.config_element = fakehost_api_config_element,
		.config_error = fakehost_api_config_error,
		.host_id = fakehost_api_host_id,
		.spec_set = fakehost_api_spec_set,
		.retire = fakehost_api_retire,
		.shutdown_budget = fakehost_api_shutdown_budget,
		.keepalive = fakehost_api_keepalive,
		.instance_name = fakehost_api_instance_name,
		.dry_run = fakehost_api_dry_run,
		.emit_ex = fakehost_api_emit_ex,
		.graph_defs = fakehost_api_graph_defs,
		.report_check = fakehost_api_report_check,
	};
	fh->knobs = (struct fakehost_knobs){
		.retire_result = SABA_RETIRE_DONE,
		.instance_name = "test",
		.echo = 1,
	};
	config_init(&fh->cfg);
	if (libconfig_text != NULL && config_read_string(&fh->cfg, libconfig_text) != CONFIG_TRUE) {
		fprintf(stderr, "fakehost: config line %d: %s\n", config_error_line(&fh->cfg),
			config_error_text(&fh->cfg));
		config_destroy(&fh->cfg);
		free(fh);
		return NULL;
	}
	pthread_mutex_init(&fh->lock, NULL);
	return fh;
}

static void fakehost_clear_values(struct fakehost *fh)
{
	for (size_t i = 0; i < fh->values.n; i++) {
		free(fh->values.v[i].name);
		free(fh->values.v[i].ci);
	}
	fh->values.n = 0;
}

void fakehost_clear(struct fakehost *fh)
{
	pthread_mutex_lock(&fh->lock);
	fakehost_clear_values(fh);
	for (size_t i = 0; i < fh->events.n; i++) {
		free(fh->events.v[i].key);
		free(fh->events.v[i].text);
	}
	fh->events.n = 0;
	for (size_t i = 0; i < fh->checks.n; i++) {
		free((char *)fh->checks.v[i].name);
		free((char *)fh->checks.v[i].message);
		free((char *)fh->checks.v[i].custom_identifier);
	}
	fh->checks.n = 0;
	fh->ndropped = fh->nmisuse = 0;
	pthread_mutex_unlock(&fh->lock);
}

void fakehost_free(struct fakehost *fh)
{
	if (fh == NULL)
		return;
	fakehost_clear(fh);
	free(fh->values.v);
	free(fh->events.v);
	config_destroy(&fh->cfg);
	pthread_mutex_destroy(&fh->lock);
	free(fh->checks.v);
	free(fh);
}

const struct saba_host *fakehost_host(struct fakehost *fh)
{
	return &fh->host;
}

saba_ctx *fakehost_ctx(struct fakehost *fh)
{
	return (saba_ctx *)(void *)fh;
}

struct fakehost_knobs *fakehost_knobs(struct fakehost *fh)
{
	return &fh->knobs;
}

const struct saba_plugin *fakehost_load(const char *path, void **handle)
{
	struct fakehost_module *mod;
	const struct saba_plugin *desc;
	saba_plugin_entry_fn entry;
	size_t need = offsetof(struct saba_plugin, name) + sizeof(desc->name);
	void *dl, *sym;

	*handle = NULL;
	dl = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (dl == NULL) {
		fprintf(stderr, "fakehost: %s\n", dlerror());
		return NULL;
	}
	sym = dlsym(dl, SABA_PLUGIN_ENTRY_SYMBOL);
	if (sym == NULL) {
		fprintf(stderr, "fakehost: %s: no %s\n", path, SABA_PLUGIN_ENTRY_SYMBOL);
		goto fail;
	}
	/* ISO C has no object-to-function pointer cast; POSIX guarantees
	 * the representations match */
	memcpy(&entry, &sym, sizeof(entry));
	desc = entry();
	if (desc == NULL || desc->abi_major != SABA_PLUGIN_ABI_MAJOR || desc->struct_size < need ||
	    desc->name == NULL) {
		fprintf(stderr, "fakehost: %s: bad descriptor (abi_major %d, want %d)\n", path,
			desc ? desc->abi_major : -1, SABA_PLUGIN_ABI_MAJOR);
		goto fail;
	}
	mod = fakehost_xrealloc(NULL, sizeof(*mod));
	memset(mod, 0, sizeof(*mod));
	memcpy(&mod->desc, desc,
	       desc->struct_size < sizeof(mod->desc) ? desc->struct_size : sizeof(mod->desc));
	mod->dl = dl;
	*handle = mod;
	return &mod->desc;
fail:
	dlclose(dl);
	return NULL;
}

void fakehost_unload(void *handle)
{
	struct fakehost_module *mod = handle;
	const char *keep = getenv("SABA_NO_DLCLOSE");

	if (mod == NULL)
		return;
	if (keep == NULL || *keep == '\0')
		dlclose(mod->dl);
	free(mod);
}

int fakehost_check_keys(struct fakehost *fh, const struct saba_plugin *plugin)
{
	config_setting_t *root = config_root_setting(&fh->cfg);
	int unknown = 0;

	for (int i = 0; i < config_setting_length(root); i++) {
		const char *name = config_setting_name(config_setting_get_elem(root, (unsigned)i));
		const struct saba_config_key *k = plugin->config_keys;

		/* "module" picks the plugin; every instance block has it */
		if (strcmp(name, "module") == 0)
			continue;
		while (k != NULL && k->name != NULL && strcmp(k->name, name) != 0)
			k++;
		if (k == NULL || k->name == NULL) {
			fakehost_api_config_error(fakehost_ctx(fh), name,
						  "unknown key for module %s", plugin->name);
			unknown++;
		}
	}
	return unknown;
}

int fakehost_create(struct fakehost *fh, const struct saba_plugin *plugin, void **instance)
{
	int rc;

	*instance = NULL;
	if (fakehost_check_keys(fh, plugin) != 0)
		return SABA_INVALID;
	if (plugin->create == NULL)
		return SABA_OK;
	fakehost_phase(fh, &fh->in_create, 1);
	rc = plugin->create(&fh->host, fakehost_ctx(fh), instance);
	fakehost_phase(fh, &fh->in_create, 0);
	return rc;
}

int fakehost_collect(struct fakehost *fh, const struct saba_plugin *plugin, void *instance)
{
	int rc;

	if (plugin->collect == NULL)
		return SABA_NOTFOUND;
	pthread_mutex_lock(&fh->lock);
	fakehost_clear_values(fh);
	pthread_mutex_unlock(&fh->lock);
	fakehost_phase(fh, &fh->in_collect, 1);
	rc = plugin->collect(instance);
	fakehost_phase(fh, &fh->in_collect, 0);
	return rc;
}

int fakehost_host_spec(struct fakehost *fh, const struct saba_plugin *plugin, void *instance)
{
	int rc;

	if (plugin->host_spec == NULL)
		return SABA_NOTFOUND;
	fakehost_phase(fh, &fh->in_spec, 1);
	rc = plugin->host_spec(instance);
	fakehost_phase(fh, &fh->in_spec, 0);
	return rc;
}
