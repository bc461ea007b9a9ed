/*
 * Test plugin "bad_major": valid in every way but its ABI major, which is
 * one ahead of the agent's.  The agent must refuse to load it and name both
 * numbers.
 */
#include <saba/plugin.h>

static int saba_bad_major_create(const struct saba_host *host, saba_ctx *ctx, void **instance)
{
	/* never reached: any non-NULL pointer will do */
	*instance = (void *)host;
	return SABA_OK;
}

static void saba_bad_major_destroy(void *instance)
{
}

static int saba_bad_major_collect(void *instance)
{
	return SABA_OK;
}

/* Not SABA_PLUGIN_HEADER: that would set the major we must not have. */
static const struct saba_plugin saba_bad_major_plugin = {
	.abi_major = SABA_PLUGIN_ABI_MAJOR + 1,
	.abi_minor = 0,
	.struct_size = sizeof(struct saba_plugin),
	.name = "bad_major",
	.version = "1.0",
	.description = "test plugin: built against a future ABI major",
	.create = saba_bad_major_create,
	.destroy = saba_bad_major_destroy,
	.collect = saba_bad_major_collect,
};

SABA_PLUGIN_EXPORT const struct saba_plugin *saba_plugin_entry(void)
{
	return &saba_bad_major_plugin;
}
