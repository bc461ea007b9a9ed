/*
 * Test plugin "hang": collect() never returns.  Proves that a hung plugin
 * delays neither the other plugins, nor posting, nor the agent's shutdown.
 *
 * Config:
 *   hang = true;   false: collect() emits test.hang = 1 and returns
 */
#define _POSIX_C_SOURCE 200809L

#include <stdlib.h>
#include <unistd.h>

#include <saba/plugin.h>

struct saba_hang {
	const struct saba_host *host;
	saba_ctx *ctx;
	int hang;
};

static const struct saba_config_key saba_hang_keys[] = {
	{"hang", SABA_CFG_BOOL, "block in collect() forever (default true)"},
	{NULL, 0, NULL},
};

static int saba_hang_create(const struct saba_host *host, saba_ctx *ctx, void **instance)
{
	struct saba_hang *h;
	int hang = 1, rc;

	rc = host->config_bool(ctx, "hang", &hang);
	if (rc != SABA_OK && rc != SABA_NOTFOUND) {
		host->config_error(ctx, "hang", "must be true or false");
		return SABA_INVALID;
	}
	h = malloc(sizeof(*h));
	if (h == NULL) {
		host->log(ctx, SABA_LOG_ERR, "out of memory");
		return SABA_ERROR;
	}
	h->host = host;
	h->ctx = ctx;
	h->hang = hang;
	*instance = h;
	return SABA_OK;
}

static void saba_hang_destroy(void *instance)
{
	free(instance);
}

static int saba_hang_collect(void *instance)
{
	struct saba_hang *h = instance;

	if (!h->hang)
		return h->host->emit(h->ctx, "test.hang", 1.0);
	/* say so first, so a test can tell "hung" from "never called" */
	h->host->log(h->ctx, SABA_LOG_INFO, "collect: hanging forever (hang = true)");
	/* sleep() rather than pause(): a signal (the agent's SIGTERM
	 * handler may run on this thread) must not end the hang either */
	for (;;)
		sleep(3600);
}

static const struct saba_plugin saba_hang_plugin = {
	SABA_PLUGIN_HEADER,
	.name = "hang",
	.version = "1.0",
	.description = "test plugin: collect() blocks forever",
	.config_keys = saba_hang_keys,
	.create = saba_hang_create,
	.destroy = saba_hang_destroy,
	.collect = saba_hang_collect,
};

SABA_PLUGIN_EXPORT const struct saba_plugin *saba_plugin_entry(void)
{
	return &saba_hang_plugin;
}
