/*
 * sysv: the shutdown trigger for hosts booted by sysvinit.  When the agent
 * stops, it reads the newest RUN_LVL record of utmp (classify.c):
 * runlevel 0 is a halt, 6 a reboot, 1/S single-user, 2-5 a stop of just
 * the service.  The init script's restart branch leaves a marker file
 * (restart_marker) for the time of the stop, so a restart is told apart
 * from a stop.  It asks the core to retire the host only when the kind is
 * in retire_on; a restart, single-user and any doubt never retire.
 *
 * Settings: saba_sysv_settings below (`saba-agent plugins sysv` lists them
 * with their defaults).
 */
#define _GNU_SOURCE

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <utmpx.h>

#include <saba/plugin.h>

#include "lib/retire_on.h"
#include "classify.h"

#define SABA_SYSV_DEFAULT_MARKER "/run/saba-agent.restart"
/* A restart's stop takes seconds; older markers are leftovers. */
#define SABA_SYSV_MARKER_MAX_AGE 300

struct saba_sysv {
	const struct saba_host *host;
	saba_ctx *ctx;
	char *utmp;
	char *marker;
	uint32_t retire_on; /* bit per enum saba_stop_kind */
	int64_t since;	    /* when this instance was created, epoch s */
};

/* The kinds retire_on accepts; restart, single and unknown are not. */
static const char *const saba_sysv_allowed[] = {"halt", "reboot", "stop", NULL};

static const struct saba_setting saba_sysv_settings[] = {
	SABA_RETIRE_ON_SETTING(saba_sysv_allowed, "[\"halt\"]"),
	{.name = "utmp",
	 .type = SABA_CFG_STRING,
	 .def = "\"" _PATH_UTMPX "\"",
	 .description = "the utmp file to read (an absolute path)"},
	{.name = "restart_marker",
	 .type = SABA_CFG_STRING,
	 .def = "\"" SABA_SYSV_DEFAULT_MARKER "\"",
	 .description = "the file the init script's restart creates (an absolute path)"},
	{.name = NULL},
};

/* An absolute path setting (the agent supplies its default). */
static int saba_sysv_path(struct saba_sysv *t, const char *key, char **out)
{
	const char *v = NULL;

	if (t->host->config_string(t->ctx, key, &v) != SABA_OK)
		return SABA_INVALID;
	if (v[0] != '/') {
		t->host->config_error(t->ctx, key, "\"%s\" is not an absolute path", v);
		return SABA_INVALID;
	}
	*out = strdup(v);
	if (*out == NULL) {
		t->host->log(t->ctx, SABA_LOG_ERR, "out of memory");
		return SABA_ERROR;
	}
	return SABA_OK;
}

static void saba_sysv_destroy(void *instance)
{
	struct saba_sysv *t = instance;

	if (t == NULL)
		return;
	free(t->utmp);
	free(t->marker);
	free(t);
}

static int saba_sysv_create(const struct saba_host *host, saba_ctx *ctx, void **instance)
{
	struct saba_sysv *t = calloc(1, sizeof(*t));
	int rc;

	if (t == NULL) {
		host->log(ctx, SABA_LOG_ERR, "out of memory");
		return SABA_ERROR;
	}
	t->host = host;
	t->ctx = ctx;
	t->since = (int64_t)time(NULL);
	rc = saba_sysv_path(t, "utmp", &t->utmp);
	if (rc == SABA_OK)
		rc = saba_sysv_path(t, "restart_marker", &t->marker);
	if (rc == SABA_OK)
		rc = saba_retire_on(host, ctx, &t->retire_on);
	if (rc != SABA_OK) {
		saba_sysv_destroy(t);
		return rc;
	}
	*instance = t;
	return SABA_OK;
}

static int saba_sysv_shutdown(void *instance)
{
	struct saba_sysv *t = instance;
	const struct saba_host *host = t->host;
	struct saba_sysv_record rec;
	char err[160] = "", evidence[512];
	int found, marked, kind;

	/* One local file read: no budget to share out, nothing to bound. */
	found = saba_sysv_read_utmp(t->utmp, &rec, err, sizeof(err));
	if (found == SABA_SYSV_UNREADABLE)
		host->log(t->ctx, SABA_LOG_WARNING, "cannot read %s: %s", t->utmp, err);
	marked = saba_sysv_marker_fresh(t->marker, (int64_t)time(NULL), SABA_SYSV_MARKER_MAX_AGE);
	kind = saba_sysv_classify(found == SABA_SYSV_FOUND ? &rec : NULL, t->since, marked);
	saba_sysv_evidence(t->utmp, found == SABA_SYSV_FOUND ? &rec : NULL, err, marked, evidence,
			   sizeof(evidence));
	return saba_retire_on_stop(host, t->ctx, kind, evidence, t->retire_on);
}

static const struct saba_plugin saba_sysv_plugin = {
	SABA_PLUGIN_HEADER,
	.name = "sysv",
	.version = "1.0",
	.description = "shutdown trigger: retires on a SysV halt (runlevel 0), never on a restart",
	.settings = saba_sysv_settings,
	.create = saba_sysv_create,
	.destroy = saba_sysv_destroy,
	.shutdown = saba_sysv_shutdown,
};

SABA_PLUGIN_EXPORT const struct saba_plugin *saba_plugin_entry(void)
{
	return &saba_sysv_plugin;
}
