/*
 * Test plugin "create_fails": create() reports a config error and fails.
 * The agent must log it with the instance's FILE:LINE, never call collect
 * or destroy for it, and (per its policy) refuse to start or carry on.
 */
#include <saba/plugin.h>

static int saba_create_fails_create(const struct saba_host *host, saba_ctx *ctx, void **instance)
{
	host->config_error(ctx, NULL, "deliberate failure");
	return SABA_ERROR;
}

static int saba_create_fails_collect(void *instance)
{
	/* unreachable: there is never an instance */
	return SABA_ERROR;
}

static const struct saba_plugin saba_create_fails_plugin = {
	SABA_PLUGIN_HEADER,
	.name = "create_fails",
	.version = "1.0",
	.description = "test plugin: create() always fails",
	.create = saba_create_fails_create,
	.collect = saba_create_fails_collect,
};

SABA_PLUGIN_EXPORT const struct saba_plugin *saba_plugin_entry(void)
{
	return &saba_create_fails_plugin;
}
