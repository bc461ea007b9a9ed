/*
 * processor_queue_length (Windows): the number of threads ready to run
 * and waiting for a processor, as mackerel-agent reports it on Windows:
 * the PDH counter \System\Processor Queue Length, sampled at each
 * collect() (an instantaneous count, not a rate).
 *
 * The counter is added by its English path (PdhAddEnglishCounterW), so a
 * localised Windows finds it too.  Where PDH does not offer it (Wine
 * implements two counters, not this one), the plugin says so once and
 * reports nothing; each collect() tries again.
 */
#include <windows.h>
#include <pdh.h>
#include <pdhmsg.h>

#include <stdlib.h>

#include <saba/plugin.h>

#define SABA_PQL_PATH L"\\System\\Processor Queue Length"
#define SABA_PQL_NAME "processor_queue_length"

struct saba_pql {
	const struct saba_host *host;
	saba_ctx *ctx;
	PDH_HQUERY query; /* NULL until the counter could be added */
	PDH_HCOUNTER counter;
	int warned; /* the missing counter was reported */
};

static int saba_pql_create(const struct saba_host *host, saba_ctx *ctx, void **instance)
{
	struct saba_pql *q = calloc(1, sizeof(*q));

	if (q == NULL) {
		host->log(ctx, SABA_LOG_ERR, "out of memory");
		return SABA_ERROR;
	}
	q->host = host;
	q->ctx = ctx;
	*instance = q;
	return SABA_OK;
}

static void saba_pql_close(struct saba_pql *q)
{
	if (q->query != NULL)
		PdhCloseQuery(q->query);
	q->query = NULL;
}

static void saba_pql_destroy(void *instance)
{
	struct saba_pql *q = instance;

	if (q == NULL)
		return;
	saba_pql_close(q);
	free(q);
}

/* Open the query; logs why not, loudly the first time. */
static int saba_pql_open(struct saba_pql *q)
{
	PDH_STATUS st = PdhOpenQueryW(NULL, 0, &q->query);
	const char *why = "";

	if (st == ERROR_SUCCESS)
		st = PdhAddEnglishCounterW(q->query, SABA_PQL_PATH, 0, &q->counter);
	if (st == ERROR_SUCCESS)
		return SABA_OK;
	if (st == (PDH_STATUS)PDH_CSTATUS_NO_OBJECT)
		why = ", no such object";
	else if (st == (PDH_STATUS)PDH_CSTATUS_NO_COUNTER)
		why = ", no such counter";
	q->host->log(q->ctx, q->warned ? SABA_LOG_DEBUG : SABA_LOG_WARNING,
		     "PDH has no counter %ls (status 0x%08lx%s): no %s values", SABA_PQL_PATH,
		     (unsigned long)st, why, SABA_PQL_NAME);
	q->warned = 1;
	saba_pql_close(q);
	return SABA_NOTFOUND;
}

static int saba_pql_collect(void *instance)
{
	struct saba_pql *q = instance;
	PDH_FMT_COUNTERVALUE v;
	PDH_STATUS st;

	if (q->query == NULL && saba_pql_open(q) != SABA_OK)
		return SABA_OK;
	st = PdhCollectQueryData(q->query);
	if (st == ERROR_SUCCESS)
		st = PdhGetFormattedCounterValue(q->counter, PDH_FMT_DOUBLE, NULL, &v);
	if (st != ERROR_SUCCESS) {
		q->host->log(q->ctx, SABA_LOG_WARNING, "%ls: status 0x%08lx", SABA_PQL_PATH,
			     (unsigned long)st);
		return SABA_ERROR;
	}
	q->host->emit(q->ctx, SABA_PQL_NAME, v.doubleValue);
	return SABA_OK;
}

static const struct saba_plugin saba_pql_plugin = {
	SABA_PLUGIN_HEADER,
	.name = "processor_queue_length",
	.version = "1.0",
	.description = "threads waiting for a processor (Windows, PDH)",
	.create = saba_pql_create,
	.destroy = saba_pql_destroy,
	.collect = saba_pql_collect,
};

SABA_PLUGIN_EXPORT const struct saba_plugin *saba_plugin_entry(void)
{
	return &saba_pql_plugin;
}
