/*
 * metadata: mackerel-agent's metadata plugins.  A thread started by start()
 * runs the command 10 s after the start and then every execution_interval
 * minutes (at least 10, as upstream).  A run that exits 0 and prints JSON
 * hands it to the agent (put_metadata), which sends it as this host's
 * metadata in the namespace when it differs from what the host last got;
 * any other run sends nothing and says why.
 *
 * Settings: saba_md_settings below (`saba-agent plugins metadata` lists
 * them with their defaults).
 */
#define _GNU_SOURCE

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <saba/plugin.h>

#include "lib/clock.h"
#include "lib/command.h"

#define SABA_MD_FIRST_MS    10000	 /* the first run, after start */
#define SABA_MD_MIN_MINUTES 10		 /* and then at most this often */
#define SABA_MD_OUT_CAP	    (100 * 1024) /* the API's limit */
#define SABA_MD_ERR_CAP	    (16 * 1024)

struct saba_md {
	const struct saba_host *host;
	saba_ctx *ctx;
	struct saba_cmd cmd;
	char *ns;
	int64_t interval_ms;
	struct saba_cmd_cancel cancel;
	struct saba_cmd_ratelimit rl;

	pthread_mutex_t lock;
	pthread_cond_t cond; /* CLOCK_MONOTONIC: wakes the wait on stop */
	pthread_t thread;
	int has_thread, stopping;
};

static const struct saba_setting saba_md_settings[] = {
	SABA_CMD_SETTINGS,
	{.name = "namespace",
	 .type = SABA_CFG_STRING,
	 .description = "the metadata's namespace, [-a-zA-Z0-9_]+; absent: the instance name"},
	{.name = "execution_interval",
	 .type = SABA_CFG_INT,
	 .def = "10",
	 .min = 0,
	 .max = SABA_SETTING_UNBOUNDED,
	 .flags = SABA_SETTING_MINUTES,
	 .description = "minutes between runs (under 10: 10, as mackerel-agent)"},
	{.name = NULL},
};

/* The API's namespaces: [-a-zA-Z0-9_]+, and "mackerel..." is Mackerel's. */
static int saba_md_valid_ns(const char *ns)
{
	size_t n = strspn(ns, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_");

	return n > 0 && ns[n] == '\0' && strncmp(ns, "mackerel", 8) != 0;
}

static int saba_md_read_settings(struct saba_md *md)
{
	const struct saba_host *host = md->host;
	const char *ns = host->instance_name(md->ctx);
	long long minutes = SABA_MD_MIN_MINUTES;
	int rc;

	rc = saba_cmd_from_config(host, md->ctx, &md->cmd);
	if (rc != SABA_OK)
		return rc;
	rc = host->config_string(md->ctx, "namespace", &ns);
	if (rc != SABA_OK && rc != SABA_NOTFOUND)
		return rc;
	if (!saba_md_valid_ns(ns)) {
		host->config_error(md->ctx, rc == SABA_OK ? "namespace" : NULL,
				   "namespace \"%s\": the API takes letters, digits, '-' and '_', "
				   "and not a name beginning with \"mackerel\"%s",
				   ns, rc == SABA_OK ? "" : " (set namespace)");
		return SABA_INVALID;
	}
	md->ns = strdup(ns);
	if (md->ns == NULL)
		return SABA_ERROR;
	/* the agent supplies the default and keeps to the range */
	rc = host->config_int(md->ctx, "execution_interval", &minutes);
	if (rc != SABA_OK && rc != SABA_NOTFOUND)
		return rc;
	/* as upstream: shorter ones (0 too) run every 10 minutes */
	if (minutes < SABA_MD_MIN_MINUTES)
		minutes = SABA_MD_MIN_MINUTES;
	if (minutes > 1000000)
		minutes = 1000000;
	md->interval_ms = minutes * 60000;
	return SABA_OK;
}

static void saba_md_destroy(void *instance)
{
	struct saba_md *md = instance;

	if (md == NULL)
		return;
	saba_cmd_free(&md->cmd);
	saba_cmd_cancel_destroy(&md->cancel);
	pthread_mutex_destroy(&md->lock);
	pthread_cond_destroy(&md->cond);
	free(md->ns);
	free(md);
}

static int saba_md_create(const struct saba_host *host, saba_ctx *ctx, void **instance)
{
	struct saba_md *md;
	int rc;

	if (!SABA_HOST_HAS(host, put_metadata)) {
		host->config_error(ctx, NULL, "metadata plugins need an agent with plugin ABI 1.4");
		return SABA_INVALID;
	}
	md = calloc(1, sizeof(*md));
	if (md == NULL || saba_cmd_cancel_init(&md->cancel) != SABA_OK) {
		host->log(ctx, SABA_LOG_ERR, "cannot set up: %s", strerror(errno));
		free(md);
		return SABA_ERROR;
	}
	md->host = host;
	md->ctx = ctx;
	pthread_mutex_init(&md->lock, NULL);
	saba_clock_cond_init(&md->cond);
	rc = saba_md_read_settings(md);
	if (rc != SABA_OK) {
		saba_md_destroy(md);
		return rc;
	}
	*instance = md;
	return SABA_OK;
}

/* One run: exit 0 and JSON, or nothing is sent (and the log says why). */
static void saba_md_once(struct saba_md *md)
{
	struct saba_cmd_result res;
	json_error_t jerr;
	json_t *doc = NULL;

	saba_cmd_run(&md->cmd, NULL, SABA_MD_OUT_CAP, SABA_MD_ERR_CAP, &md->cancel, &res);
	if (res.cancelled || saba_cmd_cancelled(&md->cancel))
		goto out;
	/* may print diagnostics on stderr and its JSON on stdout, as upstream */
	saba_cmd_log_stderr(md->host, md->ctx, SABA_LOG_WARNING, &md->rl, &res);
	if (!res.started || res.timed_out || !res.exited) {
		md->host->log(md->ctx, SABA_LOG_WARNING, "%s: %s; no metadata sent",
			      md->cmd.display, res.error);
		goto out;
	}
	if (res.code != 0) {
		md->host->log(md->ctx, SABA_LOG_WARNING, "%s: exit status %d; no metadata sent",
			      md->cmd.display, res.code);
		goto out;
	}
	if (res.out_truncated) {
		md->host->log(md->ctx, SABA_LOG_WARNING,
			      "%s: more than %d bytes of output (the API's limit); no metadata "
			      "sent",
			      md->cmd.display, SABA_MD_OUT_CAP);
		goto out;
	}
	doc = json_loadb(res.out, res.out_len, JSON_DECODE_ANY, &jerr);
	if (doc == NULL && json_error_code(&jerr) != json_error_numeric_overflow) {
		md->host->log(md->ctx, SABA_LOG_WARNING,
			      "%s: the output is not JSON (line %d, column %d: %s); no metadata "
			      "sent",
			      md->cmd.display, jerr.line, jerr.column, jerr.text);
		goto out;
	}
	if (md->host->put_metadata(md->ctx, md->ns, res.out) == SABA_OK)
		md->host->log(md->ctx, SABA_LOG_DEBUG, "metadata %s handed to the agent", md->ns);
out:
	json_decref(doc);
	saba_cmd_result_free(&res);
}

/* Wait until the monotonic time next (ms) or a stop; 1 on a stop.  Called
 * with md->lock held. */
static int saba_md_wait(struct saba_md *md, int64_t next)
{
	while (!md->stopping && saba_clock_ms() < next) {
		struct timespec ts;

		saba_clock_cond_deadline(next - saba_clock_ms(), &ts);
		pthread_cond_timedwait(&md->cond, &md->lock, &ts);
	}
	return md->stopping;
}

static void *saba_md_main(void *arg)
{
	struct saba_md *md = arg;
	int64_t next = saba_clock_ms() + SABA_MD_FIRST_MS;

	pthread_mutex_lock(&md->lock);
	while (!saba_md_wait(md, next)) {
		int64_t late;

		pthread_mutex_unlock(&md->lock);
		saba_md_once(md);
		/* the schedule keeps its phase, whatever a run took */
		late = saba_clock_ms() - next;
		next += (late / md->interval_ms + 1) * md->interval_ms;
		pthread_mutex_lock(&md->lock);
	}
	pthread_mutex_unlock(&md->lock);
	return NULL;
}

static int saba_md_start(void *instance)
{
	struct saba_md *md = instance;
	int e;

	if (md->has_thread)
		return SABA_OK;
	if (!md->host->dry_run(md->ctx))
		saba_cmd_make_workdir(saba_cmd_default_workdir());
	saba_cmd_cancel_reset(&md->cancel);
	md->stopping = 0;
	e = pthread_create(&md->thread, NULL, saba_md_main, md);
	if (e != 0) {
		md->host->log(md->ctx, SABA_LOG_ERR, "cannot start a thread: %s", strerror(e));
		return SABA_ERROR;
	}
	md->has_thread = 1;
	return SABA_OK;
}

static void saba_md_stop(void *instance)
{
	struct saba_md *md = instance;

	if (!md->has_thread)
		return;
	pthread_mutex_lock(&md->lock);
	md->stopping = 1;
	pthread_cond_broadcast(&md->cond);
	pthread_mutex_unlock(&md->lock);
	/* a running command is killed */
	saba_cmd_cancel(&md->cancel);
	pthread_join(md->thread, NULL);
	md->has_thread = 0;
}

static const struct saba_plugin saba_md_plugin = {
	SABA_PLUGIN_HEADER,
	.name = "metadata",
	.version = "0.1.0",
	.description = "metadata plugins (mackerel-agent): host metadata from a command's JSON",
	.settings = saba_md_settings,
	.create = saba_md_create,
	.destroy = saba_md_destroy,
	.start = saba_md_start,
	.stop = saba_md_stop,
};

SABA_PLUGIN_EXPORT const struct saba_plugin *saba_plugin_entry(void)
{
	return &saba_md_plugin;
}
