/*
 * The systemd trigger's classifier: which kind of stop the job queue
 * shows.  See shutdown-triggers.md ("Recommended detection rule"): while
 * units are stopped for a shutdown, the queue holds a waiting start job for
 * exactly one of poweroff/halt/reboot/kexec(/soft-reboot).target, and the
 * manager's SystemState is "stopping".
 *
 * A plain `systemctl stop` is told from the other stops that leave the
 * machine running by what it lacks: an isolate (rescue.target,
 * emergency.target or any target that does not want us) stops us the same
 * way, and by the time we ask, the target's own job may be done.  It
 * leaves other units' stop jobs beside ours, the manager "maintenance" for
 * rescue and emergency, or default.target stopped before us (it is ordered
 * after every unit it wants).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "classify.h"

/* What a queued job tells us, one bit each. */
enum {
	SABA_SD_POWEROFF = 1u << 0,
	SABA_SD_HALT = 1u << 1,
	SABA_SD_REBOOT = 1u << 2, /* reboot.target or soft-reboot.target */
	SABA_SD_KEXEC = 1u << 3,
	SABA_SD_OTHER_TARGET = 1u << 4, /* e.g. isolate rescue.target */
	SABA_SD_OWN_RESTART = 1u << 5,
	SABA_SD_OWN_STOP = 1u << 6,
	SABA_SD_OTHER_JOB = 1u << 7, /* any job of another unit */
};

static int saba_sd_streq(const char *a, const char *b)
{
	return a != NULL && b != NULL && strcmp(a, b) == 0;
}

static int saba_sd_is_target(const char *unit)
{
	size_t n = unit != NULL ? strlen(unit) : 0;

	return n > 7 && strcmp(unit + n - 7, ".target") == 0;
}

static unsigned saba_sd_scan(const struct saba_sd_job *jobs, size_t n, const char *own_unit)
{
	unsigned seen = 0;

	for (size_t i = 0; jobs != NULL && i < n; i++) {
		const char *unit = jobs[i].unit, *type = jobs[i].type;

		if (unit == NULL || type == NULL)
			continue;
		if (saba_sd_streq(unit, own_unit)) {
			/* "try-restart" collapses to "restart" once queued, but
			 * either one means we come back. */
			if (strstr(type, "restart") != NULL)
				seen |= SABA_SD_OWN_RESTART;
			else if (strcmp(type, "stop") == 0)
				seen |= SABA_SD_OWN_STOP;
			continue;
		}
		seen |= SABA_SD_OTHER_JOB;
		if (strcmp(type, "start") != 0 || !saba_sd_is_target(unit))
			continue;
		if (strcmp(unit, "poweroff.target") == 0)
			seen |= SABA_SD_POWEROFF;
		else if (strcmp(unit, "halt.target") == 0)
			seen |= SABA_SD_HALT;
		else if (strcmp(unit, "reboot.target") == 0 ||
			 strcmp(unit, "soft-reboot.target") == 0)
			seen |= SABA_SD_REBOOT;
		else if (strcmp(unit, "kexec.target") == 0)
			seen |= SABA_SD_KEXEC;
		else
			seen |= SABA_SD_OTHER_TARGET;
	}
	return seen;
}

/* A manager at rest: no shutdown, no rescue or emergency mode, booted. */
static int saba_sd_at_rest(const char *system_state)
{
	return strcmp(system_state, "running") == 0 || strcmp(system_state, "degraded") == 0;
}

int saba_sd_classify(const struct saba_sd_job *jobs, size_t n, const struct saba_sd_state *st,
		     const char *own_unit)
{
	unsigned seen;
	int stopping;

	/* No state means the query failed: no evidence at all. */
	if (st == NULL || st->system == NULL)
		return SABA_STOP_UNKNOWN;
	seen = saba_sd_scan(jobs, n, own_unit);
	stopping = strcmp(st->system, "stopping") == 0;
	if (seen & SABA_SD_OWN_RESTART)
		return SABA_STOP_RESTART;
	/* Any reboot-like target wins, even beside poweroff: coming back is
	 * the case that must never retire. */
	if (seen & SABA_SD_REBOOT)
		return SABA_STOP_REBOOT;
	if (seen & SABA_SD_KEXEC)
		return SABA_STOP_KEXEC;
	if (seen & (SABA_SD_POWEROFF | SABA_SD_HALT)) {
		/* The cross-check: a shutdown transaction makes the manager
		 * "stopping"; a stray start job for the target alone does not. */
		if (!stopping)
			return SABA_STOP_UNKNOWN;
		/* Both at once is odd; halt is the one that retires less. */
		return (seen & SABA_SD_HALT) ? SABA_STOP_HALT : SABA_STOP_POWEROFF;
	}
	/* `systemctl stop` queues our stop alone; anything beside it (an
	 * isolate's other stops, a start job) is doubt. */
	if (seen == SABA_SD_OWN_STOP && saba_sd_at_rest(st->system) &&
	    saba_sd_streq(st->default_target, "active"))
		return SABA_STOP_STOP;
	return SABA_STOP_UNKNOWN;
}

struct saba_sd_buf {
	char *p;
	size_t len, used;
};

static void saba_sd_append(struct saba_sd_buf *b, const char *fmt, ...) SABA_PRINTF(2, 3);

static void saba_sd_append(struct saba_sd_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->used + 1 >= b->len)
		return;
	va_start(ap, fmt);
	n = vsnprintf(b->p + b->used, b->len - b->used, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	b->used += (size_t)n < b->len - b->used ? (size_t)n : b->len - b->used - 1;
}

char *saba_sd_evidence(const struct saba_sd_job *jobs, size_t n, const struct saba_sd_state *st,
		       const char *own_unit, char *buf, size_t len)
{
	struct saba_sd_buf b = {.p = buf, .len = len};
	size_t shown = 0;

	if (buf == NULL || len == 0)
		return buf;
	buf[0] = '\0';
	if (st == NULL || st->system == NULL) {
		saba_sd_append(&b, "systemd could not be asked");
		return buf;
	}
	for (size_t i = 0; jobs != NULL && i < n; i++) {
		const char *unit = jobs[i].unit, *type = jobs[i].type;

		if (unit == NULL || type == NULL)
			continue;
		if (!saba_sd_streq(unit, own_unit) &&
		    !(strcmp(type, "start") == 0 && saba_sd_is_target(unit)))
			continue;
		saba_sd_append(&b, "%s%s/%s", shown ? ", " : "jobs: ", unit, type);
		shown++;
	}
	if (shown == 0)
		saba_sd_append(&b, n == 0 ? "no jobs queued" : "no target or %s job",
			       own_unit != NULL ? own_unit : "own unit");
	if (n > shown)
		saba_sd_append(&b, " (+%zu more)", n - shown);
	saba_sd_append(&b, "; SystemState=%s; default.target=%s", st->system,
		       st->default_target != NULL ? st->default_target : "?");
	return buf;
}
