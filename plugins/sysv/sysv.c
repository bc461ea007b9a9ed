/*
 * sysv: the shutdown trigger for hosts booted by sysvinit.  When the agent
 * stops, it reads the newest RUN_LVL record of utmp (classify.c):
 * runlevel 0 is a halt, 6 a reboot, 1/S single-user, 2-5 a stop of just
 * the service.  The init script's restart branch leaves a marker file
 * (restart_marker) for the time of the stop, so a restart is told apart
 * from a stop.  It asks the core to retire the host only when the kind is
 * in retire_on; a restart, single-user and any doubt never retire.
 *
 * Config:
 *   retire_on = [ "halt" ];          kinds that retire: halt, reboot, stop
 *                                    ([] = never)
 *   utmp = "/var/run/utmp";          the utmp file (default _PATH_UTMPX)
 *   restart_marker = "/run/saba-agent.restart";
 *                                    the init script's RESTART_MARKER
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

static const struct saba_config_key saba_sysv_keys[] = {
	{"retire_on", SABA_CFG_STRING_LIST,
	 "stop kinds that retire the host: halt, reboot, stop (default [\"halt\"])"},
	{"utmp", SABA_CFG_STRING, "the utmp file to read (default \"" _PATH_UTMPX "\")"},
	{"restart_marker", SABA_CFG_STRING,
	 "file the init script's restart creates (default \"" SABA_SYSV_DEFAULT_MARKER "\")"},
	{NULL, 0, NULL},
};

/* The kinds retire_on accepts; restart, single and unknown are not. */
static const char *const saba_sysv_allowed[] = {"halt", "reboot", "stop", NULL};

/* An absolute path setting, or its default. */
static int saba_sysv_path(struct saba_sysv *t, const char *key, const char *def, char **out)
{
	const char *v = def;
	int rc = t->host->config_string(t->ctx, key, &v);

	if (rc != SABA_OK && rc != SABA_NOTFOUND) {
		t->host->config_error(t->ctx, key, "must be a string");
		return SABA_INVALID;
	}
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
	rc = saba_sysv_path(t, "utmp", _PATH_UTMPX, &t->utmp);
	if (rc == SABA_OK)
		rc = saba_sysv_path(t, "restart_marker", SABA_SYSV_DEFAULT_MARKER, &t->marker);
	if (rc == SABA_OK)
		rc = saba_retire_on(host, ctx, saba_sysv_allowed, 1u << SABA_STOP_HALT,
				    &t->retire_on);
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
	struct saba_retire_request req;
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
	host->log(t->ctx, SABA_LOG_NOTICE, "stop classified as %s (%s)", saba_stop_name(kind),
		  evidence);
	if (kind == SABA_STOP_RESTART || kind == SABA_STOP_UNKNOWN || kind == SABA_STOP_SINGLE) {
		host->log(t->ctx, SABA_LOG_NOTICE, "not retiring: %s stops never retire",
			  saba_stop_name(kind));
		return kind;
	}
	if (!(t->retire_on & (1u << kind))) {
		host->log(t->ctx, SABA_LOG_NOTICE, "not retiring: %s is not in retire_on",
			  saba_stop_name(kind));
		return kind;
	}
	/* The core logs the kind and who asked; the reason is the evidence. */
	req = (struct saba_retire_request){
		.struct_size = sizeof(req),
		.kind = kind,
		.reason = evidence,
	};
	host->retire(t->ctx, &req);
	return kind;
}

static const struct saba_plugin saba_sysv_plugin = {
	SABA_PLUGIN_HEADER,
	.name = "sysv",
	.version = "1.0",
	.description = "shutdown trigger: retires on a SysV halt (runlevel 0), never on a restart",
	.config_keys = saba_sysv_keys,
	.create = saba_sysv_create,
	.destroy = saba_sysv_destroy,
	.shutdown = saba_sysv_shutdown,
};

SABA_PLUGIN_EXPORT const struct saba_plugin *saba_plugin_entry(void)
{
	return &saba_sysv_plugin;
}
