/*
 * Test plugin "hang": collect() (or another hook) never returns.  Proves
 * that a hung plugin delays neither the other plugins, nor posting, nor
 * the agent's start, reload or shutdown.
 *
 * Config:
 *   hang = true;          false: collect() emits test.hang = 1 and returns
 *   hook = "collect";     the hook that hangs: collect, create, start, stop,
 *                         destroy or host_spec
 */
#define _POSIX_C_SOURCE 200809L

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <saba/plugin.h>

struct saba_hang {
	const struct saba_host *host;
	saba_ctx *ctx;
	int hang;
	char hook[16];
};

static const struct saba_config_key saba_hang_keys[] = {
	{"hang", SABA_CFG_BOOL, "block in collect() forever (default true)"},
	{"hook", SABA_CFG_STRING,
	 "the hook that blocks: collect (default), create, start, stop, destroy, host_spec"},
	{NULL, 0, NULL},
};

/* sleep() rather than pause(): a signal (the agent's SIGTERM handler may
 * run on this thread) must not end the hang either */
static void saba_hang_forever(const struct saba_host *host, saba_ctx *ctx, const char *hook)
{
	/* say so first, so a test can tell "hung" from "never called" */
	host->log(ctx, SABA_LOG_INFO, "%s: hanging forever", hook);
	for (;;)
		sleep(3600);
}

static int saba_hang_is(const struct saba_hang *h, const char *hook)
{
	return h->hang && strcmp(h->hook, hook) == 0;
}

static int saba_hang_create(const struct saba_host *host, saba_ctx *ctx, void **instance)
{
	struct saba_hang *h;
	const char *hook = "collect";
	int hang = 1, rc;

	rc = host->config_bool(ctx, "hang", &hang);
	if (rc != SABA_OK && rc != SABA_NOTFOUND) {
		host->config_error(ctx, "hang", "must be true or false");
		return SABA_INVALID;
	}
	rc = host->config_string(ctx, "hook", &hook);
	if ((rc != SABA_OK && rc != SABA_NOTFOUND) || strlen(hook) >= sizeof(h->hook)) {
		host->config_error(ctx, "hook", "must be the name of a hook");
		return SABA_INVALID;
	}
	if (hang && strcmp(hook, "create") == 0)
		saba_hang_forever(host, ctx, hook);
	h = malloc(sizeof(*h));
	if (h == NULL) {
		host->log(ctx, SABA_LOG_ERR, "out of memory");
		return SABA_ERROR;
	}
	h->host = host;
	h->ctx = ctx;
	h->hang = hang;
	snprintf(h->hook, sizeof(h->hook), "%s", hook);
	*instance = h;
	return SABA_OK;
}

static void saba_hang_destroy(void *instance)
{
	struct saba_hang *h = instance;

	if (saba_hang_is(h, "destroy"))
		saba_hang_forever(h->host, h->ctx, "destroy");
	free(instance);
}

static int saba_hang_collect(void *instance)
{
	struct saba_hang *h = instance;

	if (!saba_hang_is(h, "collect"))
		return h->host->emit(h->ctx, "test.hang", 1.0);
	h->host->log(h->ctx, SABA_LOG_INFO, "collect: hanging forever (hang = true)");
	for (;;)
		sleep(3600);
}

static int saba_hang_host_spec(void *instance)
{
	struct saba_hang *h = instance;

	if (saba_hang_is(h, "host_spec"))
		saba_hang_forever(h->host, h->ctx, "host_spec");
	return SABA_OK;
}

static int saba_hang_start(void *instance)
{
	struct saba_hang *h = instance;

	if (saba_hang_is(h, "start"))
		saba_hang_forever(h->host, h->ctx, "start");
	return SABA_OK;
}

static void saba_hang_stop(void *instance)
{
	struct saba_hang *h = instance;

	if (saba_hang_is(h, "stop"))
		saba_hang_forever(h->host, h->ctx, "stop");
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
	.host_spec = saba_hang_host_spec,
	.start = saba_hang_start,
	.stop = saba_hang_stop,
};

SABA_PLUGIN_EXPORT const struct saba_plugin *saba_plugin_entry(void)
{
	return &saba_hang_plugin;
}
