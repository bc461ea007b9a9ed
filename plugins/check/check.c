/*
 * check: Nagios-style check plugins as mackerel-agent runs them.  A thread
 * started by start() runs the command at once and then every
 * check_interval minutes; its exit status gives the status (0 OK,
 * 1 WARNING, 2 CRITICAL, 3 UNKNOWN, anything else UNKNOWN) and its stdout
 * the message.  Results go to POST /api/v0/monitoring/checks/report
 * through the agent, under the instance's name; an unchanged OK is not
 * sent again.
 *
 * Settings: saba_check_settings below (`saba-agent plugins check` lists them
 * with their defaults).
 */
#define _GNU_SOURCE

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <saba/plugin.h>

#include "lib/clock.h"
#include "lib/command.h"

#define SABA_CHECK_MESSAGE_CHARS 1024
#define SABA_CHECK_MEMO_CHARS	 250
#define SABA_CHECK_OUT_CAP	 (16 * 1024) /* enough for 1024 characters */
#define SABA_CHECK_ERR_CAP	 (16 * 1024)

struct saba_check {
	const struct saba_host *host;
	saba_ctx *ctx;
	const char *name; /* the instance name: the check monitor's name */
	struct saba_cmd cmd, action;
	int has_action;
	int64_t interval_ms;
	int notification_interval; /* minutes; 0: not set */
	int max_check_attempts;	   /* 0: not set */
	char *memo;
	int prevent_alert_auto_close;
	char *custom_identifier;
	struct saba_cmd_cancel cancel;
	struct saba_cmd_ratelimit rl;

	pthread_mutex_t lock;
	pthread_cond_t cond; /* CLOCK_MONOTONIC: wakes the wait on stop */
	pthread_t thread;
	int has_thread, stopping;

	/* the previous result; the check thread's own */
	int last_status; /* -1: none yet */
	char *last_message;
};

static const struct saba_setting saba_check_settings[] = {
	SABA_CMD_SETTINGS,
	{.name = "check_interval",
	 .type = SABA_CFG_INT,
	 .def = "1",
	 .flags = SABA_SETTING_MINUTES,
	 .description =
		 "minutes between checks (outside 1..60: the nearer end, as mackerel-agent)"},
	{.name = "notification_interval",
	 .type = SABA_CFG_INT,
	 .min = 0,
	 .max = SABA_SETTING_UNBOUNDED,
	 .flags = SABA_SETTING_MINUTES,
	 .description = "minutes between notifications (under 10: 10, the API's least)"},
	{.name = "max_check_attempts",
	 .type = SABA_CFG_INT,
	 .min = INT32_MIN,
	 .max = INT32_MAX,
	 .description = "failures in a row before an alert (outside the API's 1..10: the "
			"nearer end, as mackerel-agent)"},
	{.name = "memo",
	 .type = SABA_CFG_STRING,
	 .description = "memo of the check monitor (cut to " SABA_CMD_XSTR(
		 SABA_CHECK_MEMO_CHARS) " characters)"},
	{.name = "prevent_alert_auto_close",
	 .type = SABA_CFG_BOOL,
	 .def = "false",
	 .description = "never send OK, so alerts stay open"},
	{.name = "action",
	 .type = SABA_CFG_TABLE,
	 .description =
		 "run after every check: { command = \"...\"; user = \"...\"; env = { ... }; "
		 "timeout_seconds = 30; }"},
	{.name = "action_env",
	 .type = SABA_CFG_GROUP,
	 .description = "extra environment of the action (as action.env)"},
	{.name = "custom_identifier",
	 .type = SABA_CFG_STRING,
	 .description = "report for the host with this customIdentifier"},
	{.name = NULL},
};

static const char *const saba_check_names[] = {"OK", "WARNING", "CRITICAL", "UNKNOWN"};

/* Bytes of the first max characters of UTF-8 text s. */
static size_t saba_check_cut(const char *s, size_t max)
{
	size_t i = 0, chars = 0;

	for (; s[i] != '\0' && chars < max; chars++) {
		i++;
		while (((unsigned char)s[i] & 0xc0) == 0x80)
			i++;
	}
	return i;
}

/* A setting without a default may be absent: *out keeps its value. */
static int saba_check_int(struct saba_check *ck, const char *key, long long *out)
{
	int rc = ck->host->config_int(ck->ctx, key, out);

	return rc == SABA_NOTFOUND ? SABA_OK : rc;
}

/* action = { command; user; env; timeout_seconds; }, mackerel-agent's
 * inline table (timeout also), and action_env added to its env. */
static int saba_check_action(struct saba_check *ck)
{
	static const char *const known[] = {"command", "user", "env", "timeout", "timeout_seconds"};
	const struct saba_host *host = ck->host;
	int n = host->config_count(ck->ctx, "action"), rc;
	char key[64];

	if (n == SABA_NOTFOUND)
		return SABA_OK;
	if (n < 0)
		return SABA_INVALID;
	for (int i = 0; i < n; i++) {
		const char *name = NULL;
		size_t k = 0;

		if (host->config_element(ck->ctx, "action", i, &name, NULL) != SABA_OK ||
		    name == NULL)
			return SABA_INVALID;
		while (k < sizeof(known) / sizeof(known[0]) && strcmp(known[k], name) != 0)
			k++;
		if (k == sizeof(known) / sizeof(known[0])) {
			snprintf(key, sizeof(key), "action.%s", name);
			host->config_error(ck->ctx, key,
					   "unknown setting (command, user, env, timeout_seconds)");
			return SABA_INVALID;
		}
	}
	rc = saba_cmd_from_table(host, ck->ctx, "action", &ck->action);
	if (rc == SABA_OK)
		rc = saba_cmd_read_env(host, ck->ctx, "action_env", &ck->action);
	ck->has_action = rc == SABA_OK;
	return rc;
}

static int saba_check_read_settings(struct saba_check *ck)
{
	const struct saba_host *host = ck->host;
	long long interval = 0, notify = 0, attempts = 0;
	const char *s;
	int rc;

	rc = saba_cmd_from_config(host, ck->ctx, &ck->cmd);
	if (rc == SABA_OK)
		rc = saba_check_int(ck, "check_interval", &interval);
	if (rc == SABA_OK)
		rc = saba_check_int(ck, "notification_interval", &notify);
	if (rc == SABA_OK)
		rc = saba_check_int(ck, "max_check_attempts", &attempts);
	if (rc == SABA_OK)
		rc = host->config_bool(ck->ctx, "prevent_alert_auto_close",
				       &ck->prevent_alert_auto_close);
	if (rc != SABA_OK && rc != SABA_NOTFOUND)
		return rc;
	if (interval < 1 || interval > 60) {
		host->log(ck->ctx, SABA_LOG_WARNING,
			  "check_interval %lld is out of 1..60; using %d", interval,
			  interval < 1 ? 1 : 60);
		interval = interval < 1 ? 1 : 60;
	}
	ck->interval_ms = interval * 60000;
	if (notify > 0 && notify < 10) {
		/* the API's minimum */
		host->log(ck->ctx, SABA_LOG_WARNING, "notification_interval raised to 10 minutes");
		notify = 10;
	}
	ck->notification_interval = notify > 1000000 ? 1000000 : (int)notify;
	/* mackerel-agent takes any int32 (the agent checked that) and sends
	 * it; the API refuses one outside 1..10, which would drop every report
	 * of the check */
	if (attempts < 0 || attempts > 10) {
		host->log(ck->ctx, SABA_LOG_WARNING,
			  "max_check_attempts %lld is out of the API's 1..10; using %s", attempts,
			  attempts < 0 ? "the API's default (1)" : "10");
		attempts = attempts < 0 ? 0 : 10;
	}
	if (attempts > 1 && ck->prevent_alert_auto_close) {
		host->log(ck->ctx, SABA_LOG_WARNING,
			  "max_check_attempts is 1 with prevent_alert_auto_close");
		attempts = 1;
	}
	ck->max_check_attempts = (int)attempts; /* 0: not set */
	rc = host->config_string(ck->ctx, "memo", &s);
	if (rc == SABA_OK) {
		size_t n = saba_check_cut(s, SABA_CHECK_MEMO_CHARS);

		if (s[n] != '\0')
			host->log(ck->ctx, SABA_LOG_WARNING, "memo is cut to %d characters",
				  SABA_CHECK_MEMO_CHARS);
		ck->memo = malloc(n + 1);
		if (ck->memo == NULL)
			return SABA_ERROR;
		memcpy(ck->memo, s, n);
		ck->memo[n] = '\0';
	} else if (rc != SABA_NOTFOUND) {
		return rc;
	}
	rc = host->config_string(ck->ctx, "custom_identifier", &s);
	if (rc == SABA_OK && *s != '\0')
		ck->custom_identifier = strdup(s);
	else if (rc != SABA_OK && rc != SABA_NOTFOUND)
		return rc;
	return saba_check_action(ck);
}

static void saba_check_destroy(void *instance)
{
	struct saba_check *ck = instance;

	if (ck == NULL)
		return;
	saba_cmd_free(&ck->cmd);
	saba_cmd_free(&ck->action);
	saba_cmd_cancel_destroy(&ck->cancel);
	pthread_mutex_destroy(&ck->lock);
	pthread_cond_destroy(&ck->cond);
	free(ck->memo);
	free(ck->custom_identifier);
	free(ck->last_message);
	free(ck);
}

static int saba_check_create(const struct saba_host *host, saba_ctx *ctx, void **instance)
{
	struct saba_check *ck;
	int rc;

	if (!SABA_HOST_HAS(host, report_check)) {
		host->config_error(ctx, NULL, "check plugins need an agent with plugin ABI 1.1");
		return SABA_INVALID;
	}
	ck = calloc(1, sizeof(*ck));
	if (ck == NULL || saba_cmd_cancel_init(&ck->cancel) != SABA_OK) {
		host->log(ctx, SABA_LOG_ERR, "cannot set up: %s", strerror(errno));
		free(ck);
		return SABA_ERROR;
	}
	ck->host = host;
	ck->ctx = ctx;
	ck->name = host->instance_name(ctx);
	ck->last_status = -1;
	pthread_mutex_init(&ck->lock, NULL);
	saba_clock_cond_init(&ck->cond);
	rc = saba_check_read_settings(ck);
	if (rc != SABA_OK) {
		saba_check_destroy(ck);
		return rc;
	}
	*instance = ck;
	return SABA_OK;
}

/* The message of a run that did not end with 0..3: why, and what the
 * command said (stdout, else the first line of stderr). */
static char *saba_check_reason(const struct saba_cmd_result *res, const char *why)
{
	const char *said = res->out_len > 0 ? res->out : res->err;
	size_t len = res->out_len > 0 ? res->out_len : strcspn(res->err, "\n");
	char *msg = NULL;

	if (!res->started || len == 0 || res->timed_out)
		return strdup(why);
	if (asprintf(&msg, "%s: %.*s", why, (int)len, said) < 0)
		return NULL;
	return msg;
}

/* Run the action with the result in its environment. */
static void saba_check_run_action(struct saba_check *ck, int status, const char *message)
{
	char *env[4] = {NULL, NULL, NULL, NULL};
	struct saba_cmd_result res;

	if (asprintf(&env[0], "MACKEREL_STATUS=%s", saba_check_names[status]) < 0 ||
	    asprintf(&env[1], "MACKEREL_PREVIOUS_STATUS=%s",
		     ck->last_status < 0 ? "" : saba_check_names[ck->last_status]) < 0 ||
	    asprintf(&env[2], "MACKEREL_CHECK_MESSAGE=%s", message) < 0) {
		ck->host->log(ck->ctx, SABA_LOG_ERR, "action: out of memory");
		goto out;
	}
	saba_cmd_run(&ck->action, (const char *const *)env, SABA_CHECK_OUT_CAP, SABA_CHECK_ERR_CAP,
		     &ck->cancel, &res);
	saba_cmd_log_stderr(ck->host, ck->ctx, SABA_LOG_WARNING, &ck->rl, &res);
	if (res.error[0] != '\0' && !res.cancelled)
		ck->host->log(ck->ctx, SABA_LOG_WARNING, "action %s: %s", ck->action.display,
			      res.error);
	saba_cmd_result_free(&res);
out:
	for (int i = 0; i < 3; i++)
		free(env[i]);
}

/* The verdict on one run that started at `started`: report it (unless
 * filtered) and run the action. */
static void saba_check_result(struct saba_check *ck, const struct saba_cmd_result *res,
			      int64_t started)
{
	struct saba_check_report rep = {.struct_size = sizeof(rep)};
	char *message = NULL, why[64];
	int status = SABA_CHECK_UNKNOWN, send;

	saba_cmd_log_stderr(ck->host, ck->ctx, SABA_LOG_WARNING, &ck->rl, res);
	if (res->started && !res->timed_out && res->exited && res->code >= 0 && res->code <= 3) {
		status = res->code;
		message = strdup(res->out);
	} else if (res->started && !res->timed_out && res->exited) {
		snprintf(why, sizeof(why), "exit status %d", res->code);
		message = saba_check_reason(res, why);
	} else {
		message = saba_check_reason(res, res->error);
	}
	if (message == NULL) {
		ck->host->log(ck->ctx, SABA_LOG_ERR, "out of memory");
		return;
	}
	message[saba_check_cut(message, SABA_CHECK_MESSAGE_CHARS)] = '\0';
	/* upstream's filter: an unchanged OK is news to nobody, and with
	 * prevent_alert_auto_close an OK never closes an alert */
	send = !(status == SABA_CHECK_OK && ck->last_status == SABA_CHECK_OK &&
		 strcmp(message, ck->last_message) == 0) &&
	       !(status == SABA_CHECK_OK && ck->prevent_alert_auto_close);
	if (send) {
		rep.name = ck->name;
		rep.status = status;
		rep.message = message;
		rep.occurred_at = started;
		rep.notification_interval = ck->notification_interval;
		rep.max_check_attempts = ck->max_check_attempts;
		rep.custom_identifier = ck->custom_identifier;
		ck->host->report_check(ck->ctx, &rep);
	}
	if (ck->has_action)
		saba_check_run_action(ck, status, message);
	/* last: tests wait for this line */
	ck->host->log(ck->ctx, SABA_LOG_DEBUG, "result %s%s%s%s", saba_check_names[status],
		      res->error[0] ? " (" : "", res->error[0] ? res->error : "",
		      send ? (res->error[0] ? ")" : "")
			   : (res->error[0] ? "); not reported" : "; not reported"));
	ck->last_status = status;
	free(ck->last_message);
	ck->last_message = message;
}

/* One check: run, then the verdict. */
static void saba_check_once(struct saba_check *ck)
{
	struct saba_cmd_result res;
	int64_t started = (int64_t)time(NULL);

	saba_cmd_run(&ck->cmd, NULL, SABA_CHECK_OUT_CAP, SABA_CHECK_ERR_CAP, &ck->cancel, &res);
	/* the agent is stopping: no verdict */
	if (!res.cancelled && !saba_cmd_cancelled(&ck->cancel))
		saba_check_result(ck, &res, started);
	saba_cmd_result_free(&res);
}

static void *saba_check_main(void *arg)
{
	struct saba_check *ck = arg;

	pthread_mutex_lock(&ck->lock);
	while (!ck->stopping) {
		int64_t next = saba_clock_ms() + ck->interval_ms;

		pthread_mutex_unlock(&ck->lock);
		saba_check_once(ck);
		pthread_mutex_lock(&ck->lock);
		/* monotonic: a clock step neither skips nor repeats a check */
		while (!ck->stopping && saba_clock_ms() < next) {
			struct timespec ts;

			saba_clock_cond_deadline(next - saba_clock_ms(), &ts);
			pthread_cond_timedwait(&ck->cond, &ck->lock, &ts);
		}
	}
	pthread_mutex_unlock(&ck->lock);
	return NULL;
}

static int saba_check_start(void *instance)
{
	struct saba_check *ck = instance;
	int e;

	if (ck->has_thread)
		return SABA_OK;
	if (!ck->host->dry_run(ck->ctx))
		saba_cmd_make_workdir(saba_cmd_default_workdir());
	saba_cmd_cancel_reset(&ck->cancel);
	ck->stopping = 0;
	e = pthread_create(&ck->thread, NULL, saba_check_main, ck);
	if (e != 0) {
		ck->host->log(ck->ctx, SABA_LOG_ERR, "cannot start a thread: %s", strerror(e));
		return SABA_ERROR;
	}
	ck->has_thread = 1;
	return SABA_OK;
}

static void saba_check_stop(void *instance)
{
	struct saba_check *ck = instance;

	if (!ck->has_thread)
		return;
	pthread_mutex_lock(&ck->lock);
	ck->stopping = 1;
	pthread_cond_broadcast(&ck->cond);
	pthread_mutex_unlock(&ck->lock);
	/* a running check or action is killed */
	saba_cmd_cancel(&ck->cancel);
	pthread_join(ck->thread, NULL);
	ck->has_thread = 0;
}

static int saba_check_host_spec(void *instance)
{
	struct saba_check *ck = instance;
	json_t *list, *entry;
	char *text;
	int rc;

	/* a check of another host is not this host's monitor, as upstream */
	if (ck->custom_identifier != NULL)
		return SABA_OK;
	entry = json_pack("{s:s}", "name", ck->name);
	if (ck->memo != NULL && *ck->memo != '\0')
		json_object_set_new(entry, "memo", json_string(ck->memo));
	list = json_array();
	json_array_append_new(list, entry);
	text = json_dumps(list, JSON_COMPACT);
	json_decref(list);
	if (text == NULL)
		return SABA_ERROR;
	rc = ck->host->spec_set(ck->ctx, "checks", text);
	free(text);
	return rc;
}

static const struct saba_plugin saba_check_plugin = {
	SABA_PLUGIN_HEADER,
	.name = "check",
	.version = "0.1.0",
	.description = "check plugins (Nagios/mackerel-agent): check monitoring reports",
	.settings = saba_check_settings,
	.create = saba_check_create,
	.destroy = saba_check_destroy,
	.host_spec = saba_check_host_spec,
	.start = saba_check_start,
	.stop = saba_check_stop,
};

SABA_PLUGIN_EXPORT const struct saba_plugin *saba_plugin_entry(void)
{
	return &saba_check_plugin;
}
