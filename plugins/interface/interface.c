/*
 * interface: received and transmitted bytes per second of each network
 * interface from <procfs>/net/dev, with mackerel-agent's names and rules:
 *
 *   interface.<if>.rxBytes.delta, interface.<if>.txBytes.delta
 *   <if> is the kernel's name with [^A-Za-z0-9_-] replaced by "_"
 *   ("eth0.100" -> eth0_100).  lo and veth* (container ends of veth
 *   pairs) are skipped, and so is every interface whose sanitised name
 *   matches the `ignore` regex (as mackerel-agent: "eth0_100", not
 *   "eth0.100").
 *
 * A delta plugin: each collect() keeps its sample in the instance and
 * reports the change since the previous one divided by the real time
 * between the two reads (CLOCK_MONOTONIC), so the first collect() reports
 * nothing.  A counter that went back (driver reset, interface recreated,
 * 32-bit wrap) skips that interface for one round instead of reporting a
 * negative or huge rate.
 *
 * Settings: saba_iface_settings below (`saba-agent plugins interface` lists them
 * with their defaults).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <saba/plugin.h>

#include "lib/clock.h"
#include "lib/metricname.h"
#include "lib/pattern.h"
#include "lib/procfs.h"
#include "lib/samples.h"
#include "lib/textfile.h"

/* bytes packets errs drop fifo frame compressed multicast, then the same
 * eight for transmit */
#define SABA_IF_NCOLS	 16
#define SABA_IF_TX	 8
#define SABA_IF_NAME_MAX 64

struct saba_iface {
	const struct saba_host *host;
	saba_ctx *ctx;
	char *path;		   /* <procfs>/net/dev */
	struct saba_textfile file; /* path, kept open */
	struct saba_regex *ignore;
	struct saba_samples prev, cur;
	int have_prev;
};

static const char *const saba_iface_suffix[2] = {".rxBytes.delta", ".txBytes.delta"};

static const struct saba_setting saba_iface_settings[] = {
	SABA_PROCFS_SETTING,
	{.name = "ignore",
	 .type = SABA_CFG_STRING,
	 .description = "leave out interfaces whose sanitised name matches (regex)"},
	{.name = NULL},
};

/* One "  eth0: 123 456 ..." line into cur; header lines have no colon. */
static int saba_iface_line(struct saba_iface *ifc, char *line, unsigned lineno)
{
	char *colon = strchr(line, ':'), *col[SABA_IF_NCOLS], *name;
	char clean[SABA_IF_NAME_MAX];
	uint64_t rx, tx;

	if (colon == NULL)
		return SABA_OK;
	/* names cannot contain ':', and old kernels glue a big rx byte
	 * count to it ("eth0:1234567890"): cut there, not at a blank */
	*colon = '\0';
	name = line;
	while (*name == ' ' || *name == '\t')
		name++;
	if (saba_split_fields(colon + 1, col, SABA_IF_NCOLS) < SABA_IF_NCOLS)
		return SABA_OK;
	if (strcmp(name, "lo") == 0 || strncmp(name, "veth", 4) == 0)
		return SABA_OK;
	if (saba_parse_u64(col[0], &rx) != SABA_OK ||
	    saba_parse_u64(col[SABA_IF_TX], &tx) != SABA_OK) {
		ifc->host->log(ifc->ctx, SABA_LOG_WARNING, "%s:%u: malformed counters of %s",
			       ifc->path, lineno, name);
		return SABA_OK;
	}
	if (saba_metric_name(clean, sizeof(clean), "", name, "") != SABA_OK ||
	    saba_regex_match(ifc->ignore, clean))
		return SABA_OK;
	return saba_samples_add(&ifc->cur, clean, rx, tx);
}

static int saba_iface_collect(void *instance)
{
	struct saba_iface *ifc = instance;
	struct saba_samples tmp;
	char *text, *cursor, *line;
	unsigned lineno = 0;
	size_t len;
	int err, rc = SABA_OK;

	err = saba_textfile_reread(&ifc->file, ifc->path, &text, &len);
	if (err != 0) {
		ifc->host->log(ifc->ctx, SABA_LOG_ERR, "cannot read %s: %s", ifc->path,
			       strerror(err));
		return SABA_ERROR;
	}
	ifc->cur.at = saba_clock_seconds();
	saba_samples_clear(&ifc->cur);
	cursor = text;
	while (rc == SABA_OK && (line = saba_next_line(&cursor)) != NULL)
		rc = saba_iface_line(ifc, line, ++lineno);
	if (rc != SABA_OK) {
		ifc->host->log(ifc->ctx, SABA_LOG_ERR, "out of memory");
		saba_samples_clear(&ifc->cur);
		ifc->have_prev = 0;
		return rc;
	}
	if (ifc->have_prev)
		saba_samples_emit(ifc->host, ifc->ctx, &ifc->prev, &ifc->cur, "interface.",
				  saba_iface_suffix, 0);
	tmp = ifc->prev;
	ifc->prev = ifc->cur;
	ifc->cur = tmp;
	ifc->have_prev = 1;
	return rc;
}

static void saba_iface_destroy(void *instance)
{
	struct saba_iface *ifc = instance;

	if (ifc == NULL)
		return;
	saba_samples_free(&ifc->prev);
	saba_samples_free(&ifc->cur);
	saba_regex_free(ifc->ignore);
	saba_textfile_close(&ifc->file);
	free(ifc->path);
	free(ifc);
}

static int saba_iface_create(const struct saba_host *host, saba_ctx *ctx, void **instance)
{
	struct saba_iface *ifc = calloc(1, sizeof(*ifc));
	int rc;

	if (ifc == NULL) {
		host->log(ctx, SABA_LOG_ERR, "out of memory");
		return SABA_ERROR;
	}
	ifc->host = host;
	ifc->ctx = ctx;
	ifc->file = (struct saba_textfile)SABA_TEXTFILE_INIT;
	rc = saba_procfs_path(host, ctx, "net/dev", &ifc->path);
	if (rc == SABA_OK)
		rc = saba_regex_setting(host, ctx, "ignore", &ifc->ignore);
	if (rc != SABA_OK) {
		saba_iface_destroy(ifc);
		return rc;
	}
	*instance = ifc;
	return SABA_OK;
}

static const struct saba_plugin saba_iface_plugin = {
	SABA_PLUGIN_HEADER,
	.name = "interface",
	.version = "0.1.0",
	.description = "network bytes per second received and sent, from /proc/net/dev",
	.flags = SABA_PLUGIN_DELTA,
	.settings = saba_iface_settings,
	.create = saba_iface_create,
	.destroy = saba_iface_destroy,
	.collect = saba_iface_collect,
};

SABA_PLUGIN_EXPORT const struct saba_plugin *saba_plugin_entry(void)
{
	return &saba_iface_plugin;
}
