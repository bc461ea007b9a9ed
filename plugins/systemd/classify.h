/* The systemd trigger's decision, as pure functions over what systemd said,
 * so it is unit-tested without D-Bus (linked into the plugin and the test). */
#ifndef SABA_SYSTEMD_CLASSIFY_H
#define SABA_SYSTEMD_CLASSIFY_H

#include <stddef.h>

#include <saba/plugin.h>

/* One entry of org.freedesktop.systemd1.Manager.ListJobs. */
struct saba_sd_job {
	const char *unit; /* "poweroff.target" */
	const char *type; /* "start", "stop", "restart", ... */
};

/*
 * What the manager said besides the queue: SystemState (NULL: the query
 * failed) and the ActiveState of default.target (NULL: not known).
 */
struct saba_sd_state {
	const char *system; /* "running", "stopping", "maintenance", ... */
	const char *default_target;
};

/*
 * Classify a stop of the agent (enum saba_stop_kind) from the job queue,
 * the manager's state and the agent's own unit name.  Fails safe: anything
 * not clearly one case is UNKNOWN.
 *   - our unit's job is a restart                     -> RESTART
 *   - a start job for reboot/soft-reboot.target       -> REBOOT
 *     (kexec.target alone                             -> KEXEC)
 *   - a start job for poweroff/halt.target and
 *     SystemState "stopping"                          -> POWEROFF / HALT
 *   - our unit's stop job is the only job, the system
 *     is "running" or "degraded" and default.target
 *     is active                                       -> STOP
 *   - everything else (no state, empty queue, an
 *     isolate, rescue or emergency mode, ...)         -> UNKNOWN
 */
int saba_sd_classify(const struct saba_sd_job *jobs, size_t n, const struct saba_sd_state *st,
		     const char *own_unit);

/*
 * The evidence behind a classification, for logs and the retire reason:
 * "jobs: poweroff.target/start, saba-agent.service/stop (+27 more);
 * SystemState=stopping; default.target=active".  Lists start jobs of
 * targets and our unit's job.  Always NUL-terminates buf (when len > 0);
 * returns buf.
 */
char *saba_sd_evidence(const struct saba_sd_job *jobs, size_t n, const struct saba_sd_state *st,
		       const char *own_unit, char *buf, size_t len);

#endif
