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
 * Its settings, each optional, are the table example_metric_settings
 * below; `saba-agent plugins example_metric` lists them with defaults.
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
 *   - Settings are declared once, with type, default, range and one line of
 *     description: the agent checks them and supplies the defaults.
 *   - Config strings belong to the agent and are only valid in create():
 *     copy what you keep.
 *   - host functions added after ABI 1.0 are used only when the agent has
 *     them (SABA_HOST_HAS), so this binary also runs on an older agent.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <saba/plugin.h>

#define EXAMPLE_UPTIME_FILE "/proc/uptime"

/* One configured instance. */
struct example_metric {
	const struct saba_host *host; /* the agent's function table */
	saba_ctx *ctx;		      /* our handle for every host call */
	char *name;		      /* metric name, our own copy */
	int constant;		      /* 1: emit value, 0: read the uptime */
	double value;
};

/* The settings the agent accepts for this plugin (ABI 1.3).  Before
 * create() runs, a key not here is an error with FILE:LINE, and so is a
 * value of the wrong type, out of its range or not allowed; an absent key
 * reads as its default. */
static const struct saba_setting example_metric_settings[] = {
	{.name = "name",
	 .type = SABA_CFG_STRING,
	 .def = "\"custom.example.uptime\"",
	 .description = "metric name (Mackerel shows host metrics of its own set and custom.*)"},
	{.name = "value",
	 .type = SABA_CFG_FLOAT,
	 .description = "emit this constant instead of the uptime"},
	{.name = NULL},
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
	const char *name = NULL;
	int rc;

	/* An agent older than ABI 1.3 knows no settings table (nor defaults). */
	if (host->abi_minor < 3) {
		host->log(ctx, SABA_LOG_ERR, "needs an agent of plugin ABI 1.3 or later");
		return SABA_ERROR;
	}
	m = calloc(1, sizeof(*m));
	if (m == NULL) {
		host->log(ctx, SABA_LOG_ERR, "out of memory");
		return SABA_ERROR;
	}
	m->host = host;
	m->ctx = ctx;

	/* Always there: the agent supplies the default. */
	if (host->config_string(ctx, "name", &name) != SABA_OK)
		goto fail;
	if (!example_metric_valid_name(name) || strlen(name) > 200) {
		host->config_error(ctx, "name",
				   "\"%s\" is not a metric name (up to 200 of a-z A-Z 0-9 . _ -)",
				   name);
		goto fail;
	}
	/* No default: absent means "the uptime". */
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
 * title and a unit.  graph_defs() arrived in ABI 1.1: like every host
 * function added after 1.0, test it with SABA_HOST_HAS before the call.
 */
static int example_metric_start(void *instance)
{
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
	return SABA_OK;
}

/* The descriptor: static const, returned by the entry point.  Members left
 * out are NULL, which the agent reads as "not implemented". */
static const struct saba_plugin example_metric_plugin = {
	SABA_PLUGIN_HEADER, /* ABI major, minor and struct size we build with */
	.name = "example_metric",
	.version = "1.0.0",
	.description = "example: uptime (or a constant) as a custom metric",
	.settings = example_metric_settings,
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
