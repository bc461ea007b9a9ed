/*
 * interface (Windows): received and transmitted bytes per second of each
 * network adapter, with mackerel-agent's names on Windows:
 *
 *   interface.<name>.rxBytes.delta, interface.<name>.txBytes.delta
 *
 * The adapters are GetAdaptersAddresses' but the software loopback; their
 * counters are GetIfEntry2's InOctets and OutOctets (IP Helper, 64-bit).
 * <name> is the adapter's description ("Intel(R) Ethernet Connection")
 * with every character but [A-Za-z0-9-] as one "_"; when two descriptions
 * give the same name, the later one in byte order gets "_" appended until
 * it is unique, as upstream does.  `ignore` is matched against the
 * description itself.
 *
 * A delta plugin: each collect() keeps its sample and reports the change
 * since the previous one divided by the time between the two reads, so the
 * first collect() reports nothing.  A counter that went back skips that
 * counter for one round.
 *
 * Settings: saba_wif_settings below (`saba-agent plugins interface` lists
 * them).
 */
#include <winsock2.h>
#include <ws2tcpip.h>
#include <windows.h>
#include <iphlpapi.h>
#include <netioapi.h>

#include <stdlib.h>
#include <string.h>

#include <saba/plugin.h>

#include "lib/clock.h"
#include "lib/pattern.h"
#include "lib/samples.h"

#define SABA_WIF_BUF 16384 /* first GetAdaptersAddresses buffer, grown on demand */

struct saba_wif {
	const struct saba_host *host;
	saba_ctx *ctx;
	struct saba_regex *ignore;
	struct saba_samples prev, cur;
	int have_prev;
};

/* One adapter of a GetAdaptersAddresses list. */
struct saba_wif_adapter {
	char *desc; /* UTF-8 */
	char *name; /* the metric name's part */
	NET_LUID luid;
	int loopback;
};

static const char *const saba_wif_suffix[2] = {".rxBytes.delta", ".txBytes.delta"};

static const struct saba_setting saba_wif_settings[] = {
	{.name = "ignore",
	 .type = SABA_CFG_STRING,
	 .description = "leave out adapters whose description matches (regex)"},
	{.name = NULL},
};

static char *saba_wif_utf8(const wchar_t *w)
{
	int n = WideCharToMultiByte(CP_UTF8, 0, w, -1, NULL, 0, NULL, NULL);
	char *s = n > 0 ? malloc((size_t)n) : NULL;

	if (s != NULL)
		WideCharToMultiByte(CP_UTF8, 0, w, -1, s, n, NULL, NULL);
	return s;
}

/* The description with each character but [A-Za-z0-9-] as "_" (a
 * surrogate pair is one character), and room for the "_"s that make it
 * unique. */
static char *saba_wif_escape(const wchar_t *w, size_t extra)
{
	size_t n = wcslen(w), j = 0;
	char *s = malloc(n + extra + 1);

	if (s == NULL)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		wchar_t c = w[i];

		if ((c >= L'0' && c <= L'9') || (c >= L'a' && c <= L'z') ||
		    (c >= L'A' && c <= L'Z') || c == L'-') {
			s[j++] = (char)c;
			continue;
		}
		if (c >= 0xd800 && c < 0xdc00 && i + 1 < n && w[i + 1] >= 0xdc00 &&
		    w[i + 1] < 0xe000)
			i++;
		s[j++] = '_';
	}
	s[j] = '\0';
	return s;
}

static int saba_wif_by_desc(const void *a, const void *b)
{
	return strcmp(((const struct saba_wif_adapter *)a)->desc,
		      ((const struct saba_wif_adapter *)b)->desc);
}

/* Does an adapter before list[i] have list[i]'s name? */
static int saba_wif_taken(const struct saba_wif_adapter *list, size_t i)
{
	for (size_t j = 0; j < i; j++)
		if (strcmp(list[i].name, list[j].name) == 0)
			return 1;
	return 0;
}

static void saba_wif_free_list(struct saba_wif_adapter *list, size_t n)
{
	for (size_t i = 0; list != NULL && i < n; i++) {
		free(list[i].desc);
		free(list[i].name);
	}
	free(list);
}

/* GetAdaptersAddresses into a malloc'd buffer; NULL with the error. */
static IP_ADAPTER_ADDRESSES *saba_wif_query(ULONG *err)
{
	ULONG flags = GAA_FLAG_SKIP_UNICAST | GAA_FLAG_SKIP_ANYCAST | GAA_FLAG_SKIP_MULTICAST |
		      GAA_FLAG_SKIP_DNS_SERVER;
	ULONG size = SABA_WIF_BUF;

	for (int tries = 0; tries < 4; tries++) {
		IP_ADAPTER_ADDRESSES *buf = malloc(size);

		if (buf == NULL) {
			*err = ERROR_NOT_ENOUGH_MEMORY;
			return NULL;
		}
		*err = GetAdaptersAddresses(AF_UNSPEC, flags, NULL, buf, &size);
		if (*err == NO_ERROR)
			return buf;
		free(buf);
		if (*err != ERROR_BUFFER_OVERFLOW)
			return NULL;
	}
	return NULL;
}

/* The adapters, named as upstream names them: every description (the
 * loopback's too) escaped in byte order, each name made unique. */
static struct saba_wif_adapter *saba_wif_adapters(struct saba_wif *w, size_t *count)
{
	struct saba_wif_adapter *list = NULL;
	IP_ADAPTER_ADDRESSES *all, *a;
	size_t n = 0, total = 0;
	ULONG err;

	*count = 0;
	all = saba_wif_query(&err);
	if (all == NULL) {
		w->host->log(w->ctx, SABA_LOG_ERR, "GetAdaptersAddresses failed (error %lu)",
			     (unsigned long)err);
		return NULL;
	}
	for (a = all; a != NULL; a = a->Next)
		total++;
	list = calloc(total + 1, sizeof(*list));
	for (a = all; list != NULL && a != NULL; a = a->Next, n++) {
		list[n].desc = saba_wif_utf8(a->Description != NULL ? a->Description : L"");
		list[n].name =
			saba_wif_escape(a->Description != NULL ? a->Description : L"", total);
		list[n].luid = a->Luid;
		list[n].loopback = a->IfType == IF_TYPE_SOFTWARE_LOOPBACK;
		if (list[n].desc == NULL || list[n].name == NULL) {
			saba_wif_free_list(list, n + 1);
			list = NULL;
		}
	}
	free(all);
	if (list == NULL) {
		w->host->log(w->ctx, SABA_LOG_ERR, "out of memory");
		return NULL;
	}
	qsort(list, n, sizeof(*list), saba_wif_by_desc);
	for (size_t i = 1; i < n; i++)
		while (saba_wif_taken(list, i))
			strcat(list[i].name, "_");
	*count = n;
	return list;
}

static int saba_wif_collect(void *instance)
{
	struct saba_wif *w = instance;
	struct saba_wif_adapter *list;
	struct saba_samples tmp;
	size_t n;
	int rc = SABA_OK;

	list = saba_wif_adapters(w, &n);
	if (list == NULL)
		return SABA_ERROR;
	w->cur.at = saba_clock_seconds();
	saba_samples_clear(&w->cur);
	for (size_t i = 0; i < n && rc == SABA_OK; i++) {
		MIB_IF_ROW2 row;
		DWORD err;

		if (list[i].loopback || saba_regex_match(w->ignore, list[i].desc))
			continue;
		memset(&row, 0, sizeof(row));
		row.InterfaceLuid = list[i].luid;
		err = GetIfEntry2(&row);
		if (err != NO_ERROR) {
			/* gone since the list was made */
			w->host->log(w->ctx, SABA_LOG_DEBUG, "%s: GetIfEntry2 failed (error %lu)",
				     list[i].desc, (unsigned long)err);
			continue;
		}
		rc = saba_samples_add(&w->cur, list[i].name, row.InOctets, row.OutOctets);
	}
	saba_wif_free_list(list, n);
	if (rc != SABA_OK) {
		w->host->log(w->ctx, SABA_LOG_ERR, "out of memory");
		saba_samples_clear(&w->cur);
		w->have_prev = 0;
		return rc;
	}
	if (w->have_prev)
		saba_samples_emit(w->host, w->ctx, &w->prev, &w->cur, "interface.", saba_wif_suffix,
				  0);
	tmp = w->prev;
	w->prev = w->cur;
	w->cur = tmp;
	w->have_prev = 1;
	return SABA_OK;
}

static void saba_wif_destroy(void *instance)
{
	struct saba_wif *w = instance;

	if (w == NULL)
		return;
	saba_samples_free(&w->prev);
	saba_samples_free(&w->cur);
	saba_regex_free(w->ignore);
	free(w);
}

static int saba_wif_create(const struct saba_host *host, saba_ctx *ctx, void **instance)
{
	struct saba_wif *w = calloc(1, sizeof(*w));
	int rc;

	if (w == NULL) {
		host->log(ctx, SABA_LOG_ERR, "out of memory");
		return SABA_ERROR;
	}
	w->host = host;
	w->ctx = ctx;
	rc = saba_regex_setting(host, ctx, "ignore", &w->ignore);
	if (rc != SABA_OK) {
		saba_wif_destroy(w);
		return rc;
	}
	*instance = w;
	return SABA_OK;
}

static const struct saba_plugin saba_wif_plugin = {
	SABA_PLUGIN_HEADER,
	.name = "interface",
	.version = "1.0",
	.description = "network traffic per adapter (Windows, IP Helper)",
	.flags = SABA_PLUGIN_DELTA,
	.settings = saba_wif_settings,
	.create = saba_wif_create,
	.destroy = saba_wif_destroy,
	.collect = saba_wif_collect,
};

SABA_PLUGIN_EXPORT const struct saba_plugin *saba_plugin_entry(void)
{
	return &saba_wif_plugin;
}
