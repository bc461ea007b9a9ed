/*
 * systemd: the shutdown trigger for hosts run by systemd.  When the agent
 * stops, it asks systemd's manager once (ListJobs, SystemState and whether
 * default.target is active, bounded by a few seconds) why, classifies the
 * stop (classify.c) and asks the core to retire the host only when
 * the kind is in retire_on.  A restart of our own unit, a reboot, a plain
 * stop and any doubt never retire unless configured (restart and unknown:
 * never, whatever the setting).
 *
 * Config:
 *   retire_on = [ "poweroff" ];      kinds that retire: poweroff, halt,
 *                                    reboot, kexec, stop ([] = never)
 *   unit = "saba-agent.service";     the agent's own unit, whose
 *                                    "restart" job means RESTART
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

#include "lib/retire_on.h"
#include "classify.h"

#define SABA_SD_DEFAULT_UNIT "saba-agent.service"
#define SABA_SD_QUERY_USEC   (3 * 1000000ull) /* one query, at most this long */
#define SABA_SD_PRIVATE	     "unix:path=/run/systemd/private"
#define SABA_SD_MANAGER	     "/org/freedesktop/systemd1"
/* The unit object of default.target: the bus resolves the alias. */
#define SABA_SD_DEFAULT_TARGET "/org/freedesktop/systemd1/unit/default_2etarget"

struct saba_systemd {
	const struct saba_host *host;
	saba_ctx *ctx;
	char *unit;
	uint32_t retire_on; /* bit per enum saba_stop_kind */
};

static const struct saba_config_key saba_systemd_keys[] = {
	{"retire_on", SABA_CFG_STRING_LIST,
	 "stop kinds that retire the host: poweroff, halt, reboot, kexec, stop "
	 "(default [\"poweroff\"])"},
	{"unit", SABA_CFG_STRING, "the agent's own unit (default \"" SABA_SD_DEFAULT_UNIT "\")"},
	{NULL, 0, NULL},
};

/* The kinds retire_on accepts; restart and unknown are not among them. */
static const char *const saba_systemd_allowed[] = {"poweroff", "halt", "reboot",
						   "kexec",    "stop", NULL};

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

static uint64_t saba_sd_now_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

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
 * Connect (private: PID 1's own socket, as systemctl does as root; else
 * the system bus), send ListJobs and Get(SystemState) at once and run the
 * connection ourselves until both answered or the deadline: sd_bus_call()
 * could wait for the connection's setup without our bound.
 */
static int saba_sd_query(struct saba_sd_answer *a, int private, uint64_t deadline)
{
	const char *via = private ? "/run/systemd/private" : "the system bus";
	struct saba_sd_call jobs = {.what = "ListJobs"}, state = {.what = "SystemState"},
			    dflt = {.what = "default.target"};
	sd_bus *bus = NULL;
	char ebuf[128];
	uint64_t now = saba_sd_now_usec();
	int r;

	if (now >= deadline) {
		snprintf(a->error, sizeof(a->error), "no time left to ask %s", via);
		r = -ETIMEDOUT;
		goto out;
	}
	if (private) {
		r = sd_bus_new(&bus);
		if (r >= 0)
			r = sd_bus_set_address(bus, SABA_SD_PRIVATE);
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
		now = saba_sd_now_usec();
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
		r = r < 0 ? r : -EBADMSG;
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
	/* Replies are owned by us now; close drops the pending callbacks. */
	sd_bus_flush_close_unref(bus);
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
	const char *unit = SABA_SD_DEFAULT_UNIT;
	int rc;

	if (t == NULL) {
		host->log(ctx, SABA_LOG_ERR, "out of memory");
		rc = SABA_ERROR;
		goto out;
	}
	t->host = host;
	t->ctx = ctx;
	rc = host->config_string(ctx, "unit", &unit);
	if (rc != SABA_OK && rc != SABA_NOTFOUND) {
		host->config_error(ctx, "unit", "must be a string");
		rc = SABA_INVALID;
		goto out;
	}
	if (*unit == '\0' || strchr(unit, '/') != NULL || strlen(unit) > 255) {
		host->config_error(ctx, "unit", "\"%s\" is not a unit name", unit);
		rc = SABA_INVALID;
		goto out;
	}
	rc = saba_retire_on(host, ctx, saba_systemd_allowed, 1u << SABA_STOP_POWEROFF,
			    &t->retire_on);
	if (rc != SABA_OK)
		goto out;
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
	free(t);
	return rc;
}

static void saba_systemd_destroy(void *instance)
{
	struct saba_systemd *t = instance;

	if (t == NULL)
		return;
	free(t->unit);
	free(t);
}

static int saba_systemd_shutdown(void *instance)
{
	struct saba_systemd *t = instance;
	const struct saba_host *host = t->host;
	struct saba_sd_answer a = {0};
	struct saba_sd_state st;
	struct saba_retire_request req;
	char evidence[512];
	int budget = host->shutdown_budget(t->ctx), kind, rc;
	uint64_t usec = SABA_SD_QUERY_USEC, deadline;

	if (budget <= 0) {
		host->log(t->ctx, SABA_LOG_NOTICE, "no time left to ask systemd: not retiring");
		return SABA_STOP_UNKNOWN;
	}
	if ((uint64_t)budget * 1000000u < usec)
		usec = (uint64_t)budget * 1000000u;
	deadline = saba_sd_now_usec() + usec;
	/* As root, PID 1's private socket works even when dbus-daemon is
	 * stopping beside us; the bus is the way for everyone else. */
	rc = geteuid() == 0 ? saba_sd_query(&a, 1, deadline) : -EPERM;
	if (rc < 0 && saba_sd_now_usec() < deadline) {
		if (geteuid() == 0)
			host->log(t->ctx, SABA_LOG_INFO, "%s; trying the system bus", a.error);
		rc = saba_sd_query(&a, 0, deadline);
	}
	if (rc < 0)
		host->log(t->ctx, SABA_LOG_WARNING, "cannot ask systemd why we stop: %s", a.error);
	st = (struct saba_sd_state){.system = a.state, .default_target = a.default_state};
	kind = saba_sd_classify(a.jobs, a.n, &st, t->unit);
	saba_sd_evidence(a.jobs, a.n, &st, t->unit, evidence, sizeof(evidence));
	host->log(t->ctx, SABA_LOG_NOTICE, "stop classified as %s (%s)", saba_stop_name(kind),
		  evidence);
	if (kind == SABA_STOP_RESTART || kind == SABA_STOP_UNKNOWN) {
		host->log(t->ctx, SABA_LOG_NOTICE, "not retiring: %s stops never retire",
			  saba_stop_name(kind));
		goto out;
	}
	if (!(t->retire_on & (1u << kind))) {
		host->log(t->ctx, SABA_LOG_NOTICE, "not retiring: %s is not in retire_on",
			  saba_stop_name(kind));
		goto out;
	}
	/* The core logs the kind and who asked; the reason is the evidence. */
	req = (struct saba_retire_request){
		.struct_size = sizeof(req),
		.kind = kind,
		.reason = evidence,
	};
	host->retire(t->ctx, &req);
out:
	saba_sd_answer_clear(&a);
	return kind;
}

static const struct saba_plugin saba_systemd_plugin = {
	SABA_PLUGIN_HEADER,
	.name = "systemd",
	.version = "1.0",
	.description = "shutdown trigger: retires on a systemd poweroff, never on a restart",
	.config_keys = saba_systemd_keys,
	.create = saba_systemd_create,
	.destroy = saba_systemd_destroy,
	.shutdown = saba_systemd_shutdown,
};

SABA_PLUGIN_EXPORT const struct saba_plugin *saba_plugin_entry(void)
{
	return &saba_systemd_plugin;
}
