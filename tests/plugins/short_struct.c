/*
 * Test plugin "short_struct": an older, shorter descriptor, as a plugin
 * built against an early ABI 1.0 header would have.  It ends after collect,
 * and struct_size says so.  The agent must load it, read only struct_size
 * bytes and treat every later member (host_spec, start, shutdown, ...) as
 * not implemented.
 */
#include <stddef.h>
#include <stdlib.h>

#include <saba/plugin.h>

struct saba_short_plugin {
	uint16_t abi_major;
	uint16_t abi_minor;
	uint32_t struct_size;
	const char *name;
	const char *version;
	const char *description;
	uint32_t flags;
	const struct saba_config_key *config_keys;
	int (*create)(const struct saba_host *host, saba_ctx *ctx, void **instance);
	void (*destroy)(void *instance);
	int (*collect)(void *instance);
	/* the current header goes on with host_spec, start, ... */
};

/* The prefix must match the real layout, or this tests nothing. */
_Static_assert(offsetof(struct saba_short_plugin, collect) == offsetof(struct saba_plugin, collect),
	       "short descriptor must be a prefix of struct saba_plugin");
_Static_assert(sizeof(struct saba_short_plugin) < sizeof(struct saba_plugin),
	       "short descriptor must be shorter");

struct saba_short {
	const struct saba_host *host;
	saba_ctx *ctx;
};

static int saba_short_create(const struct saba_host *host, saba_ctx *ctx, void **instance)
{
	struct saba_short *s = malloc(sizeof(*s));

	if (s == NULL) {
		host->log(ctx, SABA_LOG_ERR, "out of memory");
		return SABA_ERROR;
	}
	s->host = host;
	s->ctx = ctx;
	*instance = s;
	return SABA_OK;
}

static void saba_short_destroy(void *instance)
{
	free(instance);
}

static int saba_short_collect(void *instance)
{
	struct saba_short *s = instance;

	return s->host->emit(s->ctx, "test.short", 1.0);
}

static const struct saba_short_plugin saba_short_plugin = {
	.abi_major = SABA_PLUGIN_ABI_MAJOR,
	.abi_minor = 0,
	.struct_size = sizeof(struct saba_short_plugin),
	.name = "short_struct",
	.version = "1.0",
	.description = "test plugin: a descriptor shorter than the agent's",
	.create = saba_short_create,
	.destroy = saba_short_destroy,
	.collect = saba_short_collect,
};

SABA_PLUGIN_EXPORT const struct saba_plugin *saba_plugin_entry(void)
{
	/* the agent reads struct_size bytes, never past them */
	return (const struct saba_plugin *)(const void *)&saba_short_plugin;
}
