/*
 * exec: mackerel-agent metric plugins.  Each collect() runs the command and
 * reads lines "name value epoch" (any whitespace between) from its stdout;
 * each becomes the value custom.<name>.  The first collect after start()
 * first runs the command with MACKEREL_AGENT_PLUGIN_META=1 for its graph
 * definitions, which go to POST /api/v0/graph-defs/create.
 *
 * Settings: saba_exec_settings below (`saba-agent plugins exec` lists them
 * with their defaults).
 */
#define _GNU_SOURCE /* strtod_l, newlocale */

#include <ctype.h>
#include <errno.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <jansson.h>
#include <saba/plugin.h>

#include "lib/command.h"
#include "lib/pattern.h"

#define SABA_EXEC_OUT_CAP  (1024 * 1024) /* stdout kept per run */
#define SABA_EXEC_ERR_CAP  (64 * 1024)
#define SABA_EXEC_SKEW	   (15 * 60) /* use_plugin_timestamp: seconds from now */
#define SABA_EXEC_NAME_MAX 400
#define SABA_EXEC_PREFIX   "custom."
#define SABA_EXEC_META_VAR "MACKEREL_AGENT_PLUGIN_META"
#ifdef _WIN32
#define SABA_EXEC_WORKDIR_HELP                                                                     \
	"MACKEREL_PLUGIN_WORKDIR for the command; absent: the agent's own, else none (plugins "    \
	"use %TEMP%)"
/* the C runtime's locale objects */
#define locale_t		 _locale_t
#define saba_exec_c_locale()	 _create_locale(LC_NUMERIC, "C")
#define strtod_l(s, end, locale) _strtod_l(s, end, locale)
#define freelocale(locale)	 _free_locale(locale)
#else
#define SABA_EXEC_WORKDIR_HELP                                                                     \
	"MACKEREL_PLUGIN_WORKDIR for the command; absent: the agent's own, else " SABA_CMD_WORKDIR
#define saba_exec_c_locale() newlocale(LC_NUMERIC_MASK, "C", (locale_t)0)
#endif

struct saba_exec {
	const struct saba_host *host;
	saba_ctx *ctx;
	struct saba_cmd cmd;
	struct saba_cmd_cancel cancel;
	struct saba_cmd_ratelimit rl;	      /* collect thread only */
	struct saba_regex *include, *exclude; /* NULL: not set */
	char *custom_identifier;	      /* NULL: this host */
	int use_plugin_timestamp;
	char *workdir;	   /* NULL: none (Windows) */
	char *workdir_env; /* "MACKEREL_PLUGIN_WORKDIR=...", or NULL */
	locale_t c_locale; /* values parse the same whatever the agent's locale */
	pthread_mutex_t lock;
	int meta_pending; /* start() asks collect() for the meta run */
};

/* Lines of one kind that were skipped in a run: one warning each kind. */
struct saba_exec_skip {
	size_t n, first_line;
	const char *why;
};

static const struct saba_setting saba_exec_settings[] = {
	SABA_CMD_SETTINGS,
	{.name = "include_pattern",
	 .type = SABA_CFG_STRING,
	 .description = "only names matching this regex (RE2 syntax, PCRE2)"},
	{.name = "exclude_pattern",
	 .type = SABA_CFG_STRING,
	 .description = "drop names matching this regex (RE2 syntax, PCRE2)"},
	{.name = "custom_identifier",
	 .type = SABA_CFG_STRING,
	 .description = "post the values to the host with this customIdentifier"},
	{.name = "use_plugin_timestamp",
	 .type = SABA_CFG_BOOL,
	 .def = "false",
	 .description = "use the plugin's epoch column instead of the collection time"},
	{.name = "workdir",
	 .type = SABA_CFG_STRING,
	 .flags = SABA_SETTING_NONEMPTY,
	 .description = SABA_EXEC_WORKDIR_HELP},
	{.name = NULL},
};

static void saba_exec_destroy(void *instance)
{
	struct saba_exec *ex = instance;

	if (ex == NULL)
		return;
	saba_cmd_free(&ex->cmd);
	saba_cmd_cancel_destroy(&ex->cancel);
	saba_regex_free(ex->include);
	saba_regex_free(ex->exclude);
	if (ex->c_locale != (locale_t)0)
		freelocale(ex->c_locale);
	pthread_mutex_destroy(&ex->lock);
	free(ex->custom_identifier);
	free(ex->workdir);
	free(ex->workdir_env);
	free(ex);
}

static int saba_exec_read_settings(struct saba_exec *ex)
{
	const struct saba_host *host = ex->host;
	const char *s = NULL;
	int rc;

	rc = saba_cmd_from_config(host, ex->ctx, &ex->cmd);
	if (rc == SABA_OK)
		rc = saba_regex_setting(host, ex->ctx, "include_pattern", &ex->include);
	if (rc == SABA_OK)
		rc = saba_regex_setting(host, ex->ctx, "exclude_pattern", &ex->exclude);
	if (rc != SABA_OK)
		return rc;
	rc = host->config_string(ex->ctx, "custom_identifier", &s);
	if (rc == SABA_OK && *s != '\0')
		ex->custom_identifier = strdup(s);
	else if (rc != SABA_OK && rc != SABA_NOTFOUND)
		return rc;
	rc = host->config_bool(ex->ctx, "use_plugin_timestamp", &ex->use_plugin_timestamp);
	if (rc != SABA_OK)
		return SABA_INVALID;
	if ((ex->custom_identifier != NULL || ex->use_plugin_timestamp) &&
	    !SABA_HOST_HAS(host, emit_ex)) {
		host->config_error(ex->ctx,
				   ex->custom_identifier ? "custom_identifier"
							 : "use_plugin_timestamp",
				   "needs an agent with plugin ABI 1.1 or later");
		return SABA_INVALID;
	}
	/* the setting, else what the agent was started with, else ours */
	s = saba_cmd_default_workdir();
	rc = host->config_string(ex->ctx, "workdir", &s);
	if (rc != SABA_OK && rc != SABA_NOTFOUND)
		return rc;
	if (s == NULL)
		return SABA_OK;
	ex->workdir = strdup(s);
	if (ex->workdir == NULL || asprintf(&ex->workdir_env, "%s=%s", SABA_CMD_WORKDIR_VAR, s) < 0)
		return SABA_ERROR;
	return SABA_OK;
}

static int saba_exec_create(const struct saba_host *host, saba_ctx *ctx, void **instance)
{
	struct saba_exec *ex = calloc(1, sizeof(*ex));
	int rc;

	if (ex == NULL) {
		host->log(ctx, SABA_LOG_ERR, "out of memory");
		return SABA_ERROR;
	}
	ex->host = host;
	ex->ctx = ctx;
	pthread_mutex_init(&ex->lock, NULL);
	if (saba_cmd_cancel_init(&ex->cancel) != SABA_OK) {
		host->log(ctx, SABA_LOG_ERR, "cannot create a pipe: %s", strerror(errno));
		pthread_mutex_destroy(&ex->lock);
		free(ex);
		return SABA_ERROR;
	}
	ex->c_locale = saba_exec_c_locale();
	if (ex->c_locale == (locale_t)0) {
		host->log(ctx, SABA_LOG_ERR, "cannot create the C locale: %s", strerror(errno));
		rc = SABA_ERROR;
		goto out;
	}
	rc = saba_exec_read_settings(ex);
out:
	if (rc != SABA_OK) {
		saba_exec_destroy(ex);
		return rc;
	}
	*instance = ex;
	return SABA_OK;
}

static int saba_exec_start(void *instance)
{
	struct saba_exec *ex = instance;

	saba_cmd_cancel_reset(&ex->cancel);
	pthread_mutex_lock(&ex->lock);
	ex->meta_pending = 1;
	pthread_mutex_unlock(&ex->lock);
	/* plugins keep state there */
	if (ex->workdir != NULL && !ex->host->dry_run(ex->ctx))
		saba_cmd_make_workdir(ex->workdir);
	return SABA_OK;
}

static void saba_exec_stop(void *instance)
{
	struct saba_exec *ex = instance;

	/* a running command is killed; its collect() returns within a
	 * second: wait for that, so nothing outlives an exiting agent */
	saba_cmd_cancel(&ex->cancel);
	if (!saba_cmd_cancel_wait(&ex->cancel, SABA_CMD_GRACE_MS))
		ex->host->log(ex->ctx, SABA_LOG_WARNING, "%s: still running after stop",
			      ex->cmd.display);
}

/* ------------------------------------------------------------------ */
/* graph definitions (meta run)                                         */

/* Go's encoding/json: an exact key first, else any case. */
static json_t *saba_exec_member(json_t *obj, const char *key)
{
	const char *k;
	json_t *v = json_object_get(obj, key);

	if (v != NULL)
		return v;
	json_object_foreach(obj, k, v)
	{
		if (strcasecmp(k, key) == 0)
			return v;
	}
	return NULL;
}

/* A string member (null or absent: ""); NULL when of another type. */
static const char *saba_exec_string(json_t *obj, const char *key)
{
	json_t *v = saba_exec_member(obj, key);

	if (v == NULL || json_is_null(v))
		return "";
	return json_is_string(v) ? json_string_value(v) : NULL;
}

/* One graph of {"graphs": {...}} in the API's shape, as upstream's
 * makeGraphDefsParam; NULL when the plugin's JSON has the wrong types. */
static json_t *saba_exec_graph(const char *key, json_t *graph)
{
	const char *label = saba_exec_string(graph, "label");
	const char *unit = saba_exec_string(graph, "unit");
	json_t *metrics = saba_exec_member(graph, "metrics"), *out, *list = json_null(), *m;
	size_t i;

	if (!json_is_object(graph) || label == NULL || unit == NULL ||
	    (metrics != NULL && !json_is_array(metrics) && !json_is_null(metrics)))
		return NULL;
	out = json_object();
	json_object_set_new(out, "name", json_sprintf(SABA_EXEC_PREFIX "%s", key));
	if (*label != '\0')
		json_object_set_new(out, "displayName", json_string(label));
	json_object_set_new(out, "unit", json_string(*unit != '\0' ? unit : "float"));
	json_array_foreach(metrics, i, m)
	{
		const char *name = saba_exec_string(m, "name");
		const char *mlabel = saba_exec_string(m, "label");
		json_t *stacked = saba_exec_member(m, "stacked"), *o;

		if (!json_is_object(m) || name == NULL || mlabel == NULL ||
		    (stacked != NULL && !json_is_boolean(stacked) && !json_is_null(stacked))) {
			json_decref(list);
			json_decref(out);
			return NULL;
		}
		if (json_is_null(list))
			list = json_array();
		o = json_object();
		json_object_set_new(o, "name", json_sprintf(SABA_EXEC_PREFIX "%s.%s", key, name));
		if (*mlabel != '\0')
			json_object_set_new(o, "displayName", json_string(mlabel));
		json_object_set_new(o, "isStacked", json_boolean(json_is_true(stacked)));
		json_array_append_new(list, o);
	}
	/* no metrics: null, as upstream sends it */
	json_object_set_new(out, "metrics", list);
	return out;
}

/* Is s (up to the newline) "#\s*mackerel-agent-plugin\b..." with at most
 * version=1?  *body is set past the line. */
static int saba_exec_header(struct saba_exec *ex, char *s, char **body)
{
	static const char tag[] = "mackerel-agent-plugin";
	char *nl = strchr(s, '\n'), *p = s + 1, *save = NULL, *field;

	if (nl == NULL || *s != '#') {
		ex->host->log(ex->ctx, SABA_LOG_DEBUG, "meta run: no \"# %s\" line: no graphs",
			      tag);
		return SABA_NOTFOUND;
	}
	*nl = '\0';
	*body = nl + 1;
	while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\f')
		p++;
	/* \b: no word character right after the tag */
	if (strncmp(p, tag, sizeof(tag) - 1) != 0 || isalnum((unsigned char)p[sizeof(tag) - 1]) ||
	    p[sizeof(tag) - 1] == '_') {
		ex->host->log(ex->ctx, SABA_LOG_DEBUG, "meta run: bad first line \"%.80s\"", s);
		return SABA_NOTFOUND;
	}
	for (field = strtok_r(p + sizeof(tag) - 1, " \t\r\f", &save); field != NULL;
	     field = strtok_r(NULL, " \t\r\f", &save)) {
		if (strncmp(field, "version=", 8) == 0 && strcmp(field + 8, "1") != 0) {
			ex->host->log(ex->ctx, SABA_LOG_ERR,
				      "meta run: unsupported plugin meta version \"%s\"",
				      field + 8);
			return SABA_INVALID;
		}
	}
	return SABA_OK;
}

/* The graph definitions in the output of a meta run (NUL-terminated,
 * modified), queued through graph_defs(). */
static void saba_exec_graphs(struct saba_exec *ex, char *out)
{
	json_t *doc = NULL, *graphs, *graph, *defs = NULL;
	json_error_t jerr;
	const char *key;
	char *body = NULL, *text = NULL;

	if (saba_exec_header(ex, out, &body) != SABA_OK)
		goto out;
	/* one JSON document; anything after it is ignored, as upstream */
	doc = json_loadb(body, strlen(body), JSON_DISABLE_EOF_CHECK, &jerr);
	graphs = doc != NULL ? saba_exec_member(doc, "graphs") : NULL;
	if (!json_is_object(doc) ||
	    (graphs != NULL && !json_is_object(graphs) && !json_is_null(graphs))) {
		ex->host->log(ex->ctx, SABA_LOG_ERR, "meta run: invalid graph definitions: %s",
			      doc == NULL ? jerr.text : "\"graphs\" is not an object");
		goto out;
	}
	defs = json_array();
	json_object_foreach(graphs, key, graph)
	{
		json_t *def = saba_exec_graph(key, graph);

		if (def == NULL) {
			ex->host->log(ex->ctx, SABA_LOG_ERR,
				      "meta run: invalid graph definition \"%s\"", key);
			goto out;
		}
		json_array_append_new(defs, def);
	}
	if (json_array_size(defs) == 0)
		goto out;
	text = json_dumps(defs, JSON_COMPACT);
	if (text != NULL && ex->host->graph_defs(ex->ctx, text) == SABA_OK)
		ex->host->log(ex->ctx, SABA_LOG_INFO, "%zu graph definitions queued",
			      json_array_size(defs));
out:
	free(text);
	json_decref(defs);
	json_decref(doc);
}

static void saba_exec_meta(struct saba_exec *ex)
{
	const char *env[] = {SABA_EXEC_META_VAR "=1", ex->workdir_env, NULL};
	struct saba_cmd_result res;

	if (!SABA_HOST_HAS(ex->host, graph_defs)) {
		ex->host->log(ex->ctx, SABA_LOG_DEBUG, "agent without graph_defs(): no meta run");
		return;
	}
	saba_cmd_run(&ex->cmd, env, SABA_EXEC_OUT_CAP, SABA_EXEC_ERR_CAP, &ex->cancel, &res);
	saba_cmd_log_stderr(ex->host, ex->ctx, SABA_LOG_INFO, &ex->rl, &res);
	if (!res.started || res.timed_out || res.cancelled)
		ex->host->log(ex->ctx, res.cancelled ? SABA_LOG_INFO : SABA_LOG_ERR,
			      "meta run of %s failed: %s", ex->cmd.display, res.error);
	else
		saba_exec_graphs(ex, res.out);
	saba_cmd_result_free(&res);
}

/* ------------------------------------------------------------------ */
/* values                                                               */

static void saba_exec_skip(struct saba_exec_skip *k, size_t line, const char *why)
{
	if (k->n++ == 0) {
		k->first_line = line;
		k->why = why;
	}
}

static void saba_exec_warn(struct saba_exec *ex, const struct saba_exec_skip *k)
{
	if (k->n > 0)
		ex->host->log(ex->ctx, SABA_LOG_WARNING, "line %zu: %s; skipped (%zu such line%s)",
			      k->first_line, k->why, k->n, k->n == 1 ? "" : "s");
}

static int saba_exec_valid_name(const char *s, size_t len)
{
	if (len == 0 || len > SABA_EXEC_NAME_MAX)
		return 0;
	for (size_t i = 0; i < len; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		      (s[i] >= '0' && s[i] <= '9') || s[i] == '.' || s[i] == '_' || s[i] == '-'))
			return 0;
	return 1;
}

static int saba_exec_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

/* Parse the lines of [s, end) and emit their values.  Modifies s. */
static void saba_exec_parse(struct saba_exec *ex, char *s, char *end)
{
	struct saba_exec_skip fields = {0}, names = {0}, values = {0}, times = {0};
	char name[sizeof(SABA_EXEC_PREFIX) + SABA_EXEC_NAME_MAX];
	time_t now = time(NULL);
	size_t lineno = 0;

	while (s < end) {
		char *nl = memchr(s, '\n', (size_t)(end - s)), *eol = nl != NULL ? nl : end;
		char *f[3], *fend[3], *p = s, *stop;
		int nf = 0;
		double value;
		long long ts = 0;

		lineno++;
		while (nf < 3) {
			while (p < eol && saba_exec_space(*p))
				p++;
			if (p == eol)
				break;
			f[nf] = p;
			while (p < eol && !saba_exec_space(*p))
				p++;
			fend[nf++] = p;
		}
		s = eol + 1;
		if (nf == 0)
			continue; /* blank lines are no news */
		if (nf < 3) {
			saba_exec_skip(&fields, lineno, "expected \"name value epoch\"");
			continue;
		}
		for (int i = 0; i < 3; i++)
			*fend[i] = '\0'; /* a blank, the newline or the final NUL */
		if (!saba_exec_valid_name(f[0], (size_t)(fend[0] - f[0]))) {
			saba_exec_skip(&names, lineno, "invalid metric name");
			continue;
		}
		if ((ex->include != NULL && !saba_regex_match(ex->include, f[0])) ||
		    saba_regex_match(ex->exclude, f[0]))
			continue;
		errno = 0;
		value = strtod_l(f[1], &stop, ex->c_locale);
		if (stop != fend[1] || (errno == ERANGE && value != 0)) {
			saba_exec_skip(&values, lineno, "value is not a number");
			continue;
		}
		if (ex->use_plugin_timestamp) {
			errno = 0;
			ts = strtoll(f[2], &stop, 10);
			if (stop != fend[2] || errno != 0 || ts < now - SABA_EXEC_SKEW ||
			    ts > now + SABA_EXEC_SKEW) {
				saba_exec_skip(&times, lineno,
					       "timestamp is not within 15 minutes of now");
				continue;
			}
		}
		snprintf(name, sizeof(name), SABA_EXEC_PREFIX "%s", f[0]);
		/* NaN and infinities are dropped (and warned about) by the agent */
		if (ex->custom_identifier != NULL || ex->use_plugin_timestamp)
			ex->host->emit_ex(ex->ctx, name, value, ts, ex->custom_identifier);
		else
			ex->host->emit(ex->ctx, name, value);
	}
	saba_exec_warn(ex, &fields);
	saba_exec_warn(ex, &names);
	saba_exec_warn(ex, &values);
	saba_exec_warn(ex, &times);
}

static int saba_exec_collect(void *instance)
{
	struct saba_exec *ex = instance;
	const char *env[] = {SABA_EXEC_META_VAR "=", ex->workdir_env, NULL};
	struct saba_cmd_result res;
	int meta, rc = SABA_ERROR;

	pthread_mutex_lock(&ex->lock);
	meta = ex->meta_pending;
	ex->meta_pending = 0;
	pthread_mutex_unlock(&ex->lock);
	/* once per start, as upstream: a failure is logged, not retried */
	if (meta)
		saba_exec_meta(ex);
	saba_cmd_run(&ex->cmd, env, SABA_EXEC_OUT_CAP, SABA_EXEC_ERR_CAP, &ex->cancel, &res);
	saba_cmd_log_stderr(ex->host, ex->ctx, SABA_LOG_INFO, &ex->rl, &res);
	if (!res.started || res.timed_out || res.cancelled) {
		/* upstream skips the values of a failed run */
		ex->host->log(ex->ctx,
			      saba_cmd_cancelled(&ex->cancel) ? SABA_LOG_INFO : SABA_LOG_ERR,
			      "%s: %s; no values this time", ex->cmd.display, res.error);
		goto out;
	}
	if (res.out_truncated)
		ex->host->log(ex->ctx, SABA_LOG_WARNING,
			      "%s: more than %d bytes of output; the rest was discarded",
			      ex->cmd.display, SABA_EXEC_OUT_CAP);
	if (!res.exited || res.code != 0)
		/* its values still count, as upstream */
		ex->host->log(ex->ctx, SABA_LOG_DEBUG, "%s: %s%d", ex->cmd.display,
			      res.exited ? "exit status " : "killed by signal ",
			      res.exited ? res.code : res.signal);
	saba_exec_parse(ex, res.out, res.out + res.out_len);
	rc = SABA_OK;
out:
	saba_cmd_result_free(&res);
	return rc;
}

static const struct saba_plugin saba_exec_plugin = {
	SABA_PLUGIN_HEADER,
	.name = "exec",
	.version = "0.1.0",
	.description = "mackerel-agent metric plugins: custom.* values from a command",
	.settings = saba_exec_settings,
	.create = saba_exec_create,
	.destroy = saba_exec_destroy,
	.collect = saba_exec_collect,
	.start = saba_exec_start,
	.stop = saba_exec_stop,
};

SABA_PLUGIN_EXPORT const struct saba_plugin *saba_plugin_entry(void)
{
	return &saba_exec_plugin;
}
