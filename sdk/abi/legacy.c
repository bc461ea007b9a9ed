/*
 * legacy: a plugin written to ABI 1.0 as it was released (config_keys, no
 * settings table, its defaults its own), for sdk/ci-check.sh, which builds
 * it against each frozen header here (saba-plugin-1.0.h to -1.3.h)
 * and loads it into the current agent: it must be listed with its ABI,
 * collect, and retire through shutdown().
 *
 *   legacy = { value = 42.5; stop_file = "/run/stop"; };
 *
 * collect() emits custom.legacy.value (value, default 7); shutdown()
 * classifies the stop as TERMINATE and retires when stop_file holds
 * "terminate", else UNKNOWN.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <saba/plugin.h>

struct legacy {
	const struct saba_host *host;
	saba_ctx *ctx;
	double value;
	char *stop_file; /* NULL: never retires */
};

static const struct saba_config_key legacy_keys[] = {
	{"value", SABA_CFG_FLOAT, "the value to emit (default 7)"},
	{"stop_file", SABA_CFG_STRING, "retire when this file holds \"terminate\""},
	{NULL, 0, NULL},
};

static int legacy_create(const struct saba_host *host, saba_ctx *ctx, void **instance)
{
	struct legacy *l = calloc(1, sizeof(*l));
	const char *file = NULL;
	int rc;

	if (l == NULL)
		return SABA_ERROR;
	l->host = host;
	l->ctx = ctx;
	l->value = 7;
	rc = host->config_float(ctx, "value", &l->value);
	if (rc == SABA_OK || rc == SABA_NOTFOUND)
		rc = host->config_string(ctx, "stop_file", &file);
	if (rc == SABA_OK)
		l->stop_file = strdup(file);
	if (rc != SABA_OK && rc != SABA_NOTFOUND) {
		free(l);
		return SABA_INVALID;
	}
	*instance = l;
	return SABA_OK;
}

static void legacy_destroy(void *instance)
{
	struct legacy *l = instance;

	if (l != NULL)
		free(l->stop_file);
	free(l);
}

static int legacy_collect(void *instance)
{
	struct legacy *l = instance;

	return l->host->emit(l->ctx, "custom.legacy.value", l->value);
}

static int legacy_shutdown(void *instance)
{
	struct legacy *l = instance;
	struct saba_retire_request req;
	char word[16] = "";
	FILE *f = l->stop_file != NULL ? fopen(l->stop_file, "r") : NULL;

	if (f != NULL) {
		if (fgets(word, sizeof(word), f) == NULL)
			word[0] = '\0';
		fclose(f);
	}
	if (strncmp(word, "terminate", 9) != 0)
		return SABA_STOP_UNKNOWN;
	req.struct_size = sizeof(req);
	req.kind = SABA_STOP_TERMINATE;
	req.reason = "the stop file says terminate";
	l->host->retire(l->ctx, &req);
	return SABA_STOP_TERMINATE;
}

static const struct saba_plugin legacy_plugin = {
	SABA_PLUGIN_HEADER,
	.name = "legacy",
	.version = "1.0",
	.description = "a plugin as ABI 1.0 plugins were written",
	.config_keys = legacy_keys,
	.create = legacy_create,
	.destroy = legacy_destroy,
	.collect = legacy_collect,
	.shutdown = legacy_shutdown,
};

SABA_PLUGIN_EXPORT const struct saba_plugin *saba_plugin_entry(void)
{
	return &legacy_plugin;
}
