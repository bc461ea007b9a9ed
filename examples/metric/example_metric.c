/*
 * example_metric: a small saba-agent metric plugin, to copy from.
 *
 * It emits one value per collection: the machine's uptime in seconds from
 * /proc/uptime, or a constant from the config.  Enable it in
 * saba-agent.conf:
 *
 *   plugins = {
 *     example_metric = {};                          # custom.example.uptime
 *     answer = { module = "example_metric";         # a second instance
 *                name = "custom.demo.answer"; value = 42.0; };
 *   };
 *
 * Settings (each optional):
 *   name  = "custom.example.uptime";  the metric name.  Mackerel shows host
 *                                      metrics outside its own set only
 *                                      when they start with "custom."
 *   value = 1.5;                       emit this constant instead of the
 *                                      uptime
 *
 * Build and install (see the Makefile beside this file, or saba-plugin(7)):
 *   cc $(pkg-config --cflags saba-plugin) -fPIC -shared -fvisibility=hidden \
 *      -o example_metric.so example_metric.c
 *
 * The rules this file follows (saba-plugin(7) has them all):
 *   - Only saba_plugin_entry() is exported; everything else is static, and
 *     -fvisibility=hidden keeps it that way.
 *   - No mutable file-level state: everything lives in the instance, so one
 *     module can back several instances and be reloaded.
 *   - Config strings belong to the agent and are only valid in create():
 *     copy what you keep.
 *   - host functions added after ABI 1.0 are used only when the agent has
 *     them (SABA_HOST_HAS), so this binary also runs on an older agent.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <saba/plugin.h>

#define EXAMPLE_DEFAULT_NAME "custom.example.uptime"
#define EXAMPLE_UPTIME_FILE  "/proc/uptime"

/* One configured instance. */
struct example_metric {
	const struct saba_host *host; /* the agent's function table */
	saba_ctx *ctx;		      /* our handle for every host call */
	char *name;		      /* metric name, our own copy */
	int constant;		      /* 1: emit value, 0: read the uptime */
	double value;
};

/* The settings the agent accepts for this plugin; anything else in the
 * instance is an error with FILE:LINE before create() runs, and so is a
 * value of the wrong type. */
static const struct saba_config_key example_metric_keys[] = {
	{"name", SABA_CFG_STRING, "metric name (default \"" EXAMPLE_DEFAULT_NAME "\")"},
	{"value", SABA_CFG_FLOAT, "emit this constant instead of the uptime"},
	{NULL, 0, NULL},
};

/* The API takes metric names of [a-zA-Z0-9._-]; checking here turns a typo
 * into a config error at start instead of a warning every interval. */
static int example_metric_valid_name(const char *s)
{
	if (*s == '\0')
		return 0;
	for (; *s != '\0'; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '.' || *s == '_' || *s == '-'))
			return 0;
	return 1;
}

static int example_metric_create(const struct saba_host *host, saba_ctx *ctx, void **instance)
{
	struct example_metric *m;
	const char *name = EXAMPLE_DEFAULT_NAME;
	int rc;

	m = calloc(1, sizeof(*m));
	if (m == NULL) {
		host->log(ctx, SABA_LOG_ERR, "out of memory");
		return SABA_ERROR;
	}
	m->host = host;
	m->ctx = ctx;

	/* SABA_NOTFOUND leaves name untouched: the default stays. */
	rc = host->config_string(ctx, "name", &name);
	if (rc != SABA_OK && rc != SABA_NOTFOUND)
		goto fail; /* the agent already reported the bad type */
	if (!example_metric_valid_name(name) || strlen(name) > 200) {
		host->config_error(ctx, "name",
				   "\"%s\" is not a metric name (up to 200 of a-z A-Z 0-9 . _ -)",
				   name);
		goto fail;
	}
	rc = host->config_float(ctx, "value", &m->value);
	if (rc == SABA_OK)
		m->constant = 1;
	else if (rc != SABA_NOTFOUND)
		goto fail;

	/* name points into the agent's config: keep a copy. */
	m->name = strdup(name);
	if (m->name == NULL) {
		host->log(ctx, SABA_LOG_ERR, "out of memory");
		goto fail;
	}
	*instance = m;
	return SABA_OK;
fail:
	free(m);
	return SABA_INVALID;
}

static void example_metric_destroy(void *instance)
{
	struct example_metric *m = instance;

	if (m == NULL)
		return;
	free(m->name);
	free(m);
}

/*
 * /proc/uptime is "350735.47 234388.90": seconds up, seconds idle.  Read
 * with integer conversions, not strtod(): another plugin may have set a
 * locale whose decimal point is a comma, and the agent shares the process.
 */
static int example_metric_uptime(struct example_metric *m, double *out)
{
	unsigned long long sec = 0;
	unsigned int centi = 0;
	FILE *fp = fopen(EXAMPLE_UPTIME_FILE, "r");
	int n;

	if (fp == NULL) {
		m->host->log(m->ctx, SABA_LOG_ERR, "cannot open %s", EXAMPLE_UPTIME_FILE);
		return SABA_ERROR;
	}
	n = fscanf(fp, "%llu.%2u", &sec, &centi);
	fclose(fp);
	if (n < 1) {
		m->host->log(m->ctx, SABA_LOG_ERR, "%s: malformed", EXAMPLE_UPTIME_FILE);
		return SABA_ERROR;
	}
	*out = (double)sec + (double)centi / 100.0;
	return SABA_OK;
}

/*
 * Runs on a collector thread of this instance's own, never twice at once
 * for one instance; other instances may collect at the same time.  Keep it
 * short: a collect still busy at the next tick makes the instance miss it.
 */
static int example_metric_collect(void *instance)
{
	struct example_metric *m = instance;
	double v = m->value;

	if (!m->constant && example_metric_uptime(m, &v) != SABA_OK)
		return SABA_ERROR;
	/* emit() is only valid inside collect(); the agent stamps the value
	 * with this round's tick. */
	return m->host->emit(m->ctx, m->name, v);
}

/*
 * Background work starts after the host is registered.  Here it only hands
 * the agent a graph definition for the metric, so Mackerel draws it with a
 * title and a unit.  graph_defs() arrived in ABI 1.1: SABA_HOST_HAS lets a
 * binary built against a newer header run in a 1.0 agent, whose table has
 * no such member.  (The #ifdef only lets this file build against older
 * headers, which had no SABA_HOST_HAS: those builds skip the graph.)
 */
static int example_metric_start(void *instance)
{
#ifdef SABA_HOST_HAS
	struct example_metric *m = instance;
	const char *dot = strrchr(m->name, '.');
	char json[512];

	if (!SABA_HOST_HAS(m->host, graph_defs))
		return SABA_OK; /* an older agent: the graph is just untitled */
	/* A graph is named by the metric name without its last part, and the
	 * last definition sent for a graph wins, so two instances should not
	 * share one.  create() checked the name: it needs no JSON escaping and
	 * fits in json[]. */
	if (strncmp(m->name, "custom.", 7) != 0 || dot == NULL || dot - m->name <= 7)
		return SABA_OK;
	snprintf(json, sizeof(json),
		 "[{\"name\":\"%.*s\",\"displayName\":\"Example\",\"unit\":\"%s\","
		 "\"metrics\":[{\"name\":\"%s\",\"displayName\":\"%s\"}]}]",
		 (int)(dot - m->name), m->name, m->constant ? "float" : "seconds", m->name,
		 dot + 1);
	if (m->host->graph_defs(m->ctx, json) != SABA_OK)
		m->host->log(m->ctx, SABA_LOG_WARNING, "graph definition not accepted");
#else
	(void)instance;
#endif
	return SABA_OK;
}

/* The descriptor: static const, returned by the entry point.  Members left
 * out are NULL, which the agent reads as "not implemented". */
static const struct saba_plugin example_metric_plugin = {
	SABA_PLUGIN_HEADER, /* ABI major, minor and struct size we build with */
	.name = "example_metric",
	.version = "1.0.0",
	.description = "example: uptime (or a constant) as a custom metric",
	.config_keys = example_metric_keys,
	.create = example_metric_create,
	.destroy = example_metric_destroy,
	.collect = example_metric_collect,
	.start = example_metric_start, /* no stop(): nothing keeps running */
};

/* The one exported symbol.  It must do nothing but return the descriptor. */
SABA_PLUGIN_EXPORT const struct saba_plugin *saba_plugin_entry(void)
{
	return &example_metric_plugin;
}
