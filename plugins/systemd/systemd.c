/*
 * systemd: the shutdown trigger for hosts run by systemd.  When the agent
 * stops, it asks systemd's manager why (ListJobs, SystemState and whether
 * default.target is active, within a few seconds of the shutdown budget):
 * as root over PID 1's private socket and, when that fails, over the system
 * bus.  It classifies the stop (classify.c) and asks the core to retire the
 * host only when the kind is in retire_on; a restart of our own unit and
 * any doubt never retire, whatever the setting.  Settings:
 * saba_systemd_settings below (`saba-agent plugins systemd`).
 */
#define _GNU_SOURCE

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <systemd/sd-bus.h>

#include <saba/plugin.h>

#include "lib/clock.h"
#include "lib/retire_on.h"
#include "classify.h"

#define SABA_SD_QUERY_USEC (3 * 1000000ull) /* one query, at most this long */
#define SABA_SD_PRIVATE	   "unix:path=/run/systemd/private"
#define SABA_SD_MANAGER	   "/org/freedesktop/systemd1"
/* The unit object of default.target: the bus resolves the alias. */
#define SABA_SD_DEFAULT_TARGET "/org/freedesktop/systemd1/unit/default_2etarget"

struct saba_systemd {
	const struct saba_host *host;
	saba_ctx *ctx;
	char *unit;
	char *bus;	    /* NULL: PID 1's private socket (root), the system bus */
	uint32_t retire_on; /* bit per enum saba_stop_kind */
};

/* The kinds retire_on accepts; restart and unknown are not among them. */
static const char *const saba_systemd_allowed[] = {"poweroff", "halt", "reboot",
						   "kexec",    "stop", NULL};

static const struct saba_setting saba_systemd_settings[] = {
	SABA_RETIRE_ON_SETTING(saba_systemd_allowed, "[\"poweroff\"]"),
	{.name = "unit",
	 .type = SABA_CFG_STRING,
	 .def = "\"saba-agent.service\"",
	 .description = "the agent's own unit, whose \"restart\" job means a restart"},
	{.name = "bus",
	 .type = SABA_CFG_STRING,
	 .flags = SABA_SETTING_NONEMPTY,
	 .description = "the D-Bus address of systemd to ask (\"unix:path=...\"); absent: "
			"PID 1's private socket as root, then the system bus"},
	{.name = NULL},
};

/* ------------------------------------------------------------------ */
/* the query                                                            */

/* What systemd said; jobs point into the ListJobs reply. */
struct saba_sd_answer {
	sd_bus_message *jobs_reply;
	struct saba_sd_job *jobs;
	size_t n;
	char *state;	     /* NULL until both calls succeeded */
	char *default_state; /* default.target's ActiveState; NULL: not known */
	char error[256];
};

/* One asynchronous call in flight. */
struct saba_sd_call {
	const char *what;
	int done;
	sd_bus_message *reply; /* on success */
	char error[160];
};

static const char *saba_sd_strerror(int err, char *buf, size_t len)
{
	return strerror_r(err < 0 ? -err : err, buf, len);
}

static int saba_sd_on_reply(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
	struct saba_sd_call *c = userdata;
	const sd_bus_error *e = sd_bus_message_get_error(m);

	c->done = 1;
	if (e != NULL)
		snprintf(c->error, sizeof(c->error), "%s: %s", c->what,
			 e->message != NULL ? e->message : e->name);
	else
		c->reply = sd_bus_message_ref(m);
	return 1;
}

static int saba_sd_send(sd_bus *bus, struct saba_sd_call *c, const char *path,
			const char *interface, const char *member, uint64_t usec,
			const char *iface_arg, const char *prop)
{
	sd_bus_message *m = NULL;
	int r;

	r = sd_bus_message_new_method_call(bus, &m, "org.freedesktop.systemd1", path, interface,
					   member);
	if (r >= 0 && iface_arg != NULL)
		r = sd_bus_message_append(m, "ss", iface_arg, prop);
	if (r >= 0)
		r = sd_bus_call_async(bus, NULL, m, saba_sd_on_reply, c, usec);
	sd_bus_message_unref(m);
	return r;
}

static int saba_sd_parse_jobs(struct saba_sd_answer *a, sd_bus_message *m)
{
	size_t cap = 0;
	int r;

	r = sd_bus_message_enter_container(m, SD_BUS_TYPE_ARRAY, "(usssoo)");
	if (r < 0)
		return r;
	for (;;) {
		const char *unit, *type, *state, *job_path, *unit_path;
		uint32_t id;

		r = sd_bus_message_read(m, "(usssoo)", &id, &unit, &type, &state, &job_path,
					&unit_path);
		if (r <= 0)
			break;
		if (a->n == cap) {
			size_t ncap = cap ? cap * 2 : 64;
			struct saba_sd_job *v = realloc(a->jobs, ncap * sizeof(*v));

			if (v == NULL)
				return -ENOMEM;
			a->jobs = v;
			cap = ncap;
		}
		a->jobs[a->n++] = (struct saba_sd_job){.unit = unit, .type = type};
	}
	if (r < 0)
		return r;
	return sd_bus_message_exit_container(m);
}

/* The string in a Get reply, copied; NULL when it is not one. */
static char *saba_sd_reply_string(sd_bus_message *m)
{
	const char *s = NULL;

	if (m == NULL || sd_bus_message_read(m, "v", "s", &s) < 0 || s == NULL)
		return NULL;
	return strdup(s);
}

/*
 * Connect to address (NULL: the system bus), send ListJobs and
 * Get(SystemState) at once and run the connection ourselves until both
 * answered or the deadline: sd_bus_call() could wait for the connection's
 * setup without our bound.
 */
static int saba_sd_query(struct saba_sd_answer *a, const char *address, uint64_t deadline)
{
	const char *via = address != NULL ? address : "the system bus";
	struct saba_sd_call jobs = {.what = "ListJobs"}, state = {.what = "SystemState"},
			    dflt = {.what = "default.target"};
	sd_bus *bus = NULL;
	char ebuf[128];
	uint64_t now = (uint64_t)saba_clock_usec();
	int r;

	if (now >= deadline) {
		snprintf(a->error, sizeof(a->error), "no time left to ask %s", via);
		r = -ETIMEDOUT;
		goto out;
	}
	if (address != NULL) {
		r = sd_bus_new(&bus);
		if (r >= 0)
			r = sd_bus_set_address(bus, address);
		if (r >= 0)
			r = sd_bus_start(bus);
	} else {
		r = sd_bus_open_system(&bus);
	}
	if (r < 0) {
		snprintf(a->error, sizeof(a->error), "cannot connect to %s: %s", via,
			 saba_sd_strerror(r, ebuf, sizeof(ebuf)));
		goto out;
	}
	r = saba_sd_send(bus, &jobs, SABA_SD_MANAGER, "org.freedesktop.systemd1.Manager",
			 "ListJobs", deadline - now, NULL, NULL);
	if (r >= 0)
		r = saba_sd_send(bus, &state, SABA_SD_MANAGER, "org.freedesktop.DBus.Properties",
				 "Get", deadline - now, "org.freedesktop.systemd1.Manager",
				 "SystemState");
	if (r >= 0)
		r = saba_sd_send(bus, &dflt, SABA_SD_DEFAULT_TARGET,
				 "org.freedesktop.DBus.Properties", "Get", deadline - now,
				 "org.freedesktop.systemd1.Unit", "ActiveState");
	if (r < 0) {
		snprintf(a->error, sizeof(a->error), "cannot send to %s: %s", via,
			 saba_sd_strerror(r, ebuf, sizeof(ebuf)));
		goto out;
	}
	while (!(jobs.done && state.done && dflt.done)) {
		now = (uint64_t)saba_clock_usec();
		if (now >= deadline) {
			snprintf(a->error, sizeof(a->error), "no answer from %s in time", via);
			r = -ETIMEDOUT;
			goto out;
		}
		r = sd_bus_process(bus, NULL);
		if (r > 0)
			continue;
		if (r == 0)
			r = sd_bus_wait(bus, deadline - now);
		if (r < 0 && r != -EINTR) {
			snprintf(a->error, sizeof(a->error), "talking to %s: %s", via,
				 saba_sd_strerror(r, ebuf, sizeof(ebuf)));
			goto out;
		}
	}
	if (jobs.reply == NULL || state.reply == NULL) {
		snprintf(a->error, sizeof(a->error), "%s (via %s)",
			 jobs.reply == NULL ? jobs.error : state.error, via);
		r = -EIO;
		goto out;
	}
	r = saba_sd_parse_jobs(a, jobs.reply);
	if (r >= 0 && (a->state = saba_sd_reply_string(state.reply)) == NULL)
		r = -EBADMSG;
	if (r < 0) {
		snprintf(a->error, sizeof(a->error), "unexpected answer from %s", via);
		goto out;
	}
	/* Optional: without it a plain stop is merely not told apart. */
	a->default_state = saba_sd_reply_string(dflt.reply);
	a->jobs_reply = jobs.reply;
	jobs.reply = NULL;
	r = 0;
out:
	sd_bus_message_unref(jobs.reply);
	sd_bus_message_unref(state.reply);
	sd_bus_message_unref(dflt.reply);
	/* Replies are owned by us now; close drops the pending callbacks.
	 * Never flush: with a peer that has not finished the handshake,
	 * sd_bus_flush() waits for it without any bound. */
	if (bus != NULL)
		sd_bus_close(bus);
	sd_bus_unref(bus);
	if (r < 0) {
		free(a->jobs);
		a->jobs = NULL;
		a->n = 0;
	}
	return r;
}

static void saba_sd_answer_clear(struct saba_sd_answer *a)
{
	sd_bus_message_unref(a->jobs_reply);
	free(a->jobs);
	free(a->state);
	free(a->default_state);
	*a = (struct saba_sd_answer){0};
}

/* ------------------------------------------------------------------ */
/* the plugin                                                           */

static int saba_systemd_create(const struct saba_host *host, saba_ctx *ctx, void **instance)
{
	struct saba_systemd *t = calloc(1, sizeof(*t));
	const char *unit = NULL, *bus = NULL;
	int rc;

	if (t == NULL) {
		host->log(ctx, SABA_LOG_ERR, "out of memory");
		rc = SABA_ERROR;
		goto out;
	}
	t->host = host;
	t->ctx = ctx;
	if (host->config_string(ctx, "unit", &unit) != SABA_OK) {
		rc = SABA_INVALID;
		goto out;
	}
	if (*unit == '\0' || strchr(unit, '/') != NULL || strlen(unit) > 255) {
		host->config_error(ctx, "unit", "\"%s\" is not a unit name", unit);
		rc = SABA_INVALID;
		goto out;
	}
	rc = saba_retire_on(host, ctx, &t->retire_on);
	if (rc != SABA_OK)
		goto out;
	if (host->config_string(ctx, "bus", &bus) == SABA_OK && (t->bus = strdup(bus)) == NULL) {
		host->log(ctx, SABA_LOG_ERR, "out of memory");
		rc = SABA_ERROR;
		goto out;
	}
	t->unit = strdup(unit);
	if (t->unit == NULL) {
		host->log(ctx, SABA_LOG_ERR, "out of memory");
		rc = SABA_ERROR;
		goto out;
	}
	*instance = t;
	t = NULL;
	rc = SABA_OK;
out:
	if (t != NULL)
		free(t->bus);
	free(t);
	return rc;
}

static void saba_systemd_destroy(void *instance)
{
	struct saba_systemd *t = instance;

	if (t == NULL)
		return;
	free(t->unit);
	free(t->bus);
	free(t);
}

static int saba_systemd_shutdown(void *instance)
{
	struct saba_systemd *t = instance;
	const struct saba_host *host = t->host;
	struct saba_sd_answer a = {0};
	struct saba_sd_state st;
	char evidence[512];
	int budget = host->shutdown_budget(t->ctx), kind, rc;
	uint64_t usec = SABA_SD_QUERY_USEC, deadline;

	if (budget <= 0) {
		host->log(t->ctx, SABA_LOG_NOTICE, "no time left to ask systemd: not retiring");
		return SABA_STOP_UNKNOWN;
	}
	if ((uint64_t)budget * 1000000u < usec)
		usec = (uint64_t)budget * 1000000u;
	deadline = (uint64_t)saba_clock_usec() + usec;
	/* As root, PID 1's private socket works even when dbus-daemon is
	 * stopping beside us; the bus is the way for everyone else. */
	if (t->bus != NULL)
		rc = saba_sd_query(&a, t->bus, deadline);
	else
		rc = geteuid() == 0 ? saba_sd_query(&a, SABA_SD_PRIVATE, deadline) : -EPERM;
	if (rc < 0 && t->bus == NULL && (uint64_t)saba_clock_usec() < deadline) {
		if (geteuid() == 0)
			host->log(t->ctx, SABA_LOG_INFO, "%s; trying the system bus", a.error);
		rc = saba_sd_query(&a, NULL, deadline);
	}
	if (rc < 0)
		host->log(t->ctx, SABA_LOG_WARNING, "cannot ask systemd why we stop: %s", a.error);
	st = (struct saba_sd_state){.system = a.state, .default_target = a.default_state};
	kind = saba_sd_classify(a.jobs, a.n, &st, t->unit);
	saba_sd_evidence(a.jobs, a.n, &st, t->unit, evidence, sizeof(evidence));
	saba_retire_on_stop(host, t->ctx, kind, evidence, t->retire_on);
	saba_sd_answer_clear(&a);
	return kind;
}

static const struct saba_plugin saba_systemd_plugin = {
	SABA_PLUGIN_HEADER,
	.name = "systemd",
	.version = "1.0",
	.description = "shutdown trigger: retires on a systemd poweroff, never on a restart",
	.settings = saba_systemd_settings,
	.create = saba_systemd_create,
	.destroy = saba_systemd_destroy,
	.shutdown = saba_systemd_shutdown,
};

SABA_PLUGIN_EXPORT const struct saba_plugin *saba_plugin_entry(void)
{
	return &saba_systemd_plugin;
}
