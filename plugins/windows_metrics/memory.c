/*
 * memory (Windows): physical memory and page file from GlobalMemoryStatusEx,
 * with the names and units of mackerel-agent's Windows memory generator:
 *
 *   memory.total, memory.free (available), memory.used = total - free, in
 *   bytes; memory.pagefile_total, memory.pagefile_free in KiB (upstream
 *   divides those two by 1024, and this stays wire-compatible).
 */
#include <windows.h>

#include <stdlib.h>

#include <saba/plugin.h>

struct saba_wmem {
	const struct saba_host *host;
	saba_ctx *ctx;
};

static int saba_wmem_create(const struct saba_host *host, saba_ctx *ctx, void **instance)
{
	struct saba_wmem *m = calloc(1, sizeof(*m));

	if (m == NULL) {
		host->log(ctx, SABA_LOG_ERR, "out of memory");
		return SABA_ERROR;
	}
	m->host = host;
	m->ctx = ctx;
	*instance = m;
	return SABA_OK;
}

static void saba_wmem_destroy(void *instance)
{
	free(instance);
}

static int saba_wmem_collect(void *instance)
{
	struct saba_wmem *m = instance;
	MEMORYSTATUSEX ms = {.dwLength = sizeof(ms)};

	if (!GlobalMemoryStatusEx(&ms)) {
		m->host->log(m->ctx, SABA_LOG_WARNING, "GlobalMemoryStatusEx failed (error %lu)",
			     (unsigned long)GetLastError());
		return SABA_ERROR;
	}
	m->host->emit(m->ctx, "memory.total", (double)ms.ullTotalPhys);
	m->host->emit(m->ctx, "memory.free", (double)ms.ullAvailPhys);
	m->host->emit(m->ctx, "memory.used", (double)(ms.ullTotalPhys - ms.ullAvailPhys));
	m->host->emit(m->ctx, "memory.pagefile_total", (double)ms.ullTotalPageFile / 1024);
	m->host->emit(m->ctx, "memory.pagefile_free", (double)ms.ullAvailPageFile / 1024);
	return SABA_OK;
}

static const struct saba_plugin saba_wmem_plugin = {
	SABA_PLUGIN_HEADER,
	.name = "memory",
	.version = "1.0",
	.description = "memory and page file usage (Windows, GlobalMemoryStatusEx)",
	.create = saba_wmem_create,
	.destroy = saba_wmem_destroy,
	.collect = saba_wmem_collect,
};

SABA_PLUGIN_EXPORT const struct saba_plugin *saba_plugin_entry(void)
{
	return &saba_wmem_plugin;
}
