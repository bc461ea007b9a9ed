/*
 * Test plugin "good": a well-behaved metric source for the loader and
 * integration tests.
 *
 * Config:
 *   name = "test.good";        metric name
 *   value = 42.0;              its value
 *   custom_identifier = "x";   optional: host_spec() sets customIdentifier
 *   fail_collect = false;      true: collect() fails without emitting
 *
 * Every collect also emits "test.nan" = NaN, which the agent must drop.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <saba/plugin.h>

struct saba_good {
	const struct saba_host *host;
	saba_ctx *ctx;
	char *name;
	double value;
	char *custom_identifier; /* NULL: not set */
	int fail_collect;
};

static const struct saba_config_key saba_good_keys[] = {
	{"name", SABA_CFG_STRING, "metric name (default \"test.good\")"},
	{"value", SABA_CFG_FLOAT, "metric value (default 42.0)"},
	{"custom_identifier", SABA_CFG_STRING, "customIdentifier to put in the host spec"},
	{"fail_collect", SABA_CFG_BOOL, "make every collect fail"},
	{NULL, 0, NULL},
};

static char *saba_good_strdup(const char *s)
{
	size_t n = strlen(s) + 1;
	char *copy = malloc(n);

	return copy ? memcpy(copy, s, n) : NULL;
}

/*
 * s as a JSON string literal.  Escapes what JSON requires so a test can
 * feed any identifier through spec_set().
 */
static char *saba_good_json_string(const char *s)
{
	static const char hex[] = "0123456789abcdef";
	char *out = malloc(strlen(s) * 6 + 3);
	char *o = out;

	if (out == NULL)
		return NULL;
	*o++ = '"';
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\') {
			*o++ = '\\';
			*o++ = (char)c;
		} else if (c < 0x20) {
			*o++ = '\\';
			*o++ = 'u';
			*o++ = '0';
			*o++ = '0';
			*o++ = hex[c >> 4];
			*o++ = hex[c & 0xf];
		} else {
			*o++ = (char)c;
		}
	}
	*o++ = '"';
	*o = '\0';
	return out;
}

static void saba_good_destroy(void *instance)
{
	struct saba_good *g = instance;

	if (g == NULL)
		return;
	free(g->name);
	free(g->custom_identifier);
	free(g);
}

static int saba_good_create(const struct saba_host *host, saba_ctx *ctx, void **instance)
{
	struct saba_good *g;
	const char *name = "test.good", *ci = NULL;
	int rc;

	g = calloc(1, sizeof(*g));
	if (g == NULL) {
		host->log(ctx, SABA_LOG_ERR, "out of memory");
		return SABA_ERROR;
	}
	g->host = host;
	g->ctx = ctx;
	g->value = 42.0;

	rc = host->config_string(ctx, "name", &name);
	if (rc != SABA_OK && rc != SABA_NOTFOUND) {
		host->config_error(ctx, "name", "must be a string");
		rc = SABA_INVALID;
		goto out;
	}
	rc = host->config_float(ctx, "value", &g->value);
	if (rc != SABA_OK && rc != SABA_NOTFOUND) {
		host->config_error(ctx, "value", "must be a number");
		rc = SABA_INVALID;
		goto out;
	}
	rc = host->config_string(ctx, "custom_identifier", &ci);
	if (rc != SABA_OK && rc != SABA_NOTFOUND) {
		host->config_error(ctx, "custom_identifier", "must be a string");
		rc = SABA_INVALID;
		goto out;
	}
	rc = host->config_bool(ctx, "fail_collect", &g->fail_collect);
	if (rc != SABA_OK && rc != SABA_NOTFOUND) {
		host->config_error(ctx, "fail_collect", "must be true or false");
		rc = SABA_INVALID;
		goto out;
	}

	/* config strings are only valid in create() */
	g->name = saba_good_strdup(name);
	if (g->name == NULL ||
	    (ci != NULL && (g->custom_identifier = saba_good_strdup(ci)) == NULL)) {
		host->log(ctx, SABA_LOG_ERR, "out of memory");
		rc = SABA_ERROR;
		goto out;
	}
	*instance = g;
	g = NULL;
	rc = SABA_OK;
out:
	saba_good_destroy(g);
	return rc;
}

static int saba_good_collect(void *instance)
{
	struct saba_good *g = instance;

	if (g->fail_collect) {
		g->host->log(g->ctx, SABA_LOG_ERR, "collect failed on purpose (fail_collect)");
		return SABA_ERROR;
	}
	g->host->emit(g->ctx, g->name, g->value);
	g->host->emit(g->ctx, "test.nan", NAN);
	return SABA_OK;
}

static int saba_good_host_spec(void *instance)
{
	struct saba_good *g = instance;
	char *json;
	int rc;

	if (g->custom_identifier == NULL)
		return SABA_OK;
	json = saba_good_json_string(g->custom_identifier);
	if (json == NULL) {
		g->host->log(g->ctx, SABA_LOG_ERR, "out of memory");
		return SABA_ERROR;
	}
	rc = g->host->spec_set(g->ctx, "customIdentifier", json);
	free(json);
	return rc;
}

static const struct saba_plugin saba_good_plugin = {
	SABA_PLUGIN_HEADER,
	.name = "good",
	.version = "1.0",
	.description = "test plugin: emits one configurable value and a NaN",
	.config_keys = saba_good_keys,
	.create = saba_good_create,
	.destroy = saba_good_destroy,
	.collect = saba_good_collect,
	.host_spec = saba_good_host_spec,
};

SABA_PLUGIN_EXPORT const struct saba_plugin *saba_plugin_entry(void)
{
	return &saba_good_plugin;
}
