/*
 * diagnostic: the agent's own memory and threads, as mackerel-agent's
 * `diagnostic = true` posts its Go runtime's (metrics/agent.go), under the
 * same names and graphs:
 *
 *   custom.agent.memory.alloc      bytes malloc'd and in use
 *   custom.agent.memory.heapAlloc  the same (Go reports its heap twice)
 *   custom.agent.memory.heapSys    bytes the heap took from the system
 *   custom.agent.memory.sys        the agent's resident memory (VmRSS)
 *   custom.agent.runtime.goroutine_num  the agent's threads
 *
 * No settings.  Plugins run inside the agent, so malloc's statistics and
 * /proc/self are the agent's.
 */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <saba/plugin.h>

struct saba_diagnostic {
	const struct saba_host *host;
	saba_ctx *ctx;
	int graphs_sent;
};

/* mackerel-agent's graph definitions, as it converts them
 * (metrics/plugin.go makeGraphDefsParam). */
static const char saba_diagnostic_graphs[] =
	"[{\"name\":\"custom.agent.memory\",\"displayName\":\"Agent Memory\",\"unit\":\"bytes\","
	"\"metrics\":["
	"{\"name\":\"custom.agent.memory.alloc\",\"displayName\":\"Alloc\",\"isStacked\":false},"
	"{\"name\":\"custom.agent.memory.sys\",\"displayName\":\"Sys\",\"isStacked\":false},"
	"{\"name\":\"custom.agent.memory.heapAlloc\",\"displayName\":\"Heap Alloc\","
	"\"isStacked\":false},"
	"{\"name\":\"custom.agent.memory.heapSys\",\"displayName\":\"Heap "
	"Sys\",\"isStacked\":false}"
	"]},"
	"{\"name\":\"custom.agent.runtime\",\"displayName\":\"Agent Runtime\",\"unit\":\"integer\","
	"\"metrics\":[{\"name\":\"custom.agent.runtime.goroutine_num\","
	"\"displayName\":\"Goroutine Num\",\"isStacked\":false}]}]";

/* VmRSS (bytes) and Threads of /proc/self/status; -1 when missing. */
static void saba_diagnostic_status(double *rss, double *threads)
{
	FILE *f = fopen("/proc/self/status", "re");
	char line[256];
	unsigned long long v;

	*rss = *threads = -1;
	if (f == NULL)
		return;
	while (fgets(line, sizeof(line), f) != NULL) {
		if (sscanf(line, "VmRSS: %llu kB", &v) == 1)
			*rss = (double)v * 1024;
		else if (sscanf(line, "Threads: %llu", &v) == 1)
			*threads = (double)v;
	}
	fclose(f);
}

static int saba_diagnostic_collect(void *instance)
{
	struct saba_diagnostic *d = instance;
	const struct saba_host *host = d->host;
	double rss, threads, in_use, from_system;
#if defined(__GLIBC__) && (__GLIBC__ > 2 || __GLIBC_MINOR__ >= 33)
	struct mallinfo2 mi = mallinfo2();

	in_use = (double)mi.uordblks + (double)mi.hblkhd;
	from_system = (double)mi.arena + (double)mi.hblkhd;
#else
	struct mallinfo mi = mallinfo();

	in_use = (double)(unsigned)mi.uordblks + (double)(unsigned)mi.hblkhd;
	from_system = (double)(unsigned)mi.arena + (double)(unsigned)mi.hblkhd;
#endif
	if (!d->graphs_sent && SABA_HOST_HAS(host, graph_defs))
		d->graphs_sent = host->graph_defs(d->ctx, saba_diagnostic_graphs) == SABA_OK;
	saba_diagnostic_status(&rss, &threads);
	host->emit(d->ctx, "custom.agent.memory.alloc", in_use);
	host->emit(d->ctx, "custom.agent.memory.heapAlloc", in_use);
	host->emit(d->ctx, "custom.agent.memory.heapSys", from_system);
	if (rss >= 0)
		host->emit(d->ctx, "custom.agent.memory.sys", rss);
	if (threads >= 0)
		host->emit(d->ctx, "custom.agent.runtime.goroutine_num", threads);
	return SABA_OK;
}

static int saba_diagnostic_create(const struct saba_host *host, saba_ctx *ctx, void **instance)
{
	struct saba_diagnostic *d = calloc(1, sizeof(*d));

	if (d == NULL)
		return SABA_ERROR;
	d->host = host;
	d->ctx = ctx;
	*instance = d;
	return SABA_OK;
}

static void saba_diagnostic_destroy(void *instance)
{
	free(instance);
}

static const struct saba_plugin saba_diagnostic_plugin = {
	SABA_PLUGIN_HEADER,
	.name = "diagnostic",
	.version = "0.1.0",
	.description = "the agent's own memory and threads (custom.agent.*, mackerel-agent's "
		       "diagnostic)",
	.create = saba_diagnostic_create,
	.destroy = saba_diagnostic_destroy,
	.collect = saba_diagnostic_collect,
};

SABA_PLUGIN_EXPORT const struct saba_plugin *saba_plugin_entry(void)
{
	return &saba_diagnostic_plugin;
}
