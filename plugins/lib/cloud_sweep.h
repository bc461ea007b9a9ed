/* The fleet sweeper the cloud plugins share (ec2, gce, azure): every
 * sweep_interval, list the Mackerel hosts (every status but retired) whose
 * customIdentifier ends in the cloud's suffix, ask the cloud in each
 * configured scope (region, project, subscription) about those instances,
 * and retire hosts whose instance is being deleted, or absent for
 * absent_grace from successful answers.  The cloud's side is one callback,
 * ask(), that reports the instances a scope lists (saba_cloud_sweep_mark()).
 *
 * Rules, all failing safe:
 *   - being deleted (terminated), listed by a scope whose every request
 *     answered this sweep: retire.  A scope with any error retires nothing.
 *   - listed in any other state, anywhere: keep, and forget any absence.
 *   - absent: counted only in clean sweeps (every scope answered every
 *     request) and only for an instance this sweeper has seen listed before
 *     (so a wrong scope, another account's instances, or instances gone
 *     before the sweeper started never count as "gone"); retired once it
 *     has been absent in at least 2 clean sweeps spanning absent_grace.
 *     Sweeps with errors neither advance nor reset the count.
 * Which scope owns an instance: the one whose answer last listed it; an
 * instance with an owner is asked for in that scope only, one never listed
 * yet in every scope.  Runs on a thread of its own; retires through
 * host->retire_host (the audited path). */
#ifndef SABA_CLOUD_SWEEP_H
#define SABA_CLOUD_SWEEP_H

#include <stddef.h>
#include <stdint.h>

#include <saba/plugin.h>

#define SABA_SWEEP_ID_MAX 40 /* an instance id, NUL included */

struct saba_cloud_sweep;
struct saba_cloud_sweep_mark;

/* ask() reports one instance scope listed: dead when it is being deleted
 * (or terminated), state its state word for the log ("terminated",
 * "STOPPING", "Deleting").  Ids the sweeper did not ask about are ignored.
 * The sweeper keeps state (at most 31 characters) for its log and retire
 * reasons.  Returns 1 when the sweeper asked about id, else 0. */
int saba_cloud_sweep_mark(struct saba_cloud_sweep_mark *m, const char *id, int dead,
			  const char *state);

/* The cloud's side of the sweeper. */
struct saba_sweep_cloud {
	const char *cloud;	/* "EC2": "6 on EC2", "never listed by EC2" */
	const char *api;	/* "EC2 DescribeInstances": retire reasons */
	const char *request;	/* "DescribeInstances": what failed, in a scope's
				 * warning; NULL: api */
	const char *scope;	/* "region": "regions 1/2 answered", "region %s" */
	const char *dead_words; /* "shutting-down/terminated": the log line */
	const char *suffix;	/* ".ec2.amazonaws.com" */
	/* The instance id of a customIdentifier's head (n bytes), in its
	 * canonical form, into out (SABA_SWEEP_ID_MAX bytes): 0, or -1 when
	 * it is not an id of this cloud. */
	int (*id)(const char *head, size_t n, char *out);
	/* Ask scope number s, named scope, about the n sorted, distinct ids
	 * (those it owns or nobody owns yet) and saba_cloud_sweep_mark() each
	 * instance it lists.  0 when every request of the scope answered,
	 * else -1 (err); marks made before a failure count as "listed", not
	 * as "dead". */
	int (*ask)(void *arg, int s, const char *scope, const char *const *ids, size_t n,
		   struct saba_cloud_sweep_mark *m, char *err, size_t err_len);
	/* Requests sent to the cloud so far (for the log); may be NULL. */
	uint64_t (*requests)(void *arg);
	void *arg;
};

struct saba_cloud_sweep_config {
	const struct saba_host *host; /* ABI >= 1.2: api_request, retire_host */
	saba_ctx *ctx;
	const struct saba_sweep_cloud *cloud; /* kept by pointer: outlives the sweeper */
	const char *const *scopes;
	int nscopes;
	int interval_s;	    /* sweep_interval, default 300 */
	int absent_grace_s; /* absent_grace, default 7200 */
	size_t max_hosts;   /* hosts of this cloud a sweep takes at most; 0: 100000 */
};

/* Copies what it needs from cfg.  NULL on a configuration error (logged). */
struct saba_cloud_sweep *saba_cloud_sweep_new(const struct saba_cloud_sweep_config *cfg);
/* Start the thread: the first sweep runs at once, then every interval. */
int saba_cloud_sweep_start(struct saba_cloud_sweep *s);
/* Stop promptly (aborts waits; a request in flight ends within its timeout,
 * or at once when the cloud watches saba_cloud_sweep_stop_flag()). */
void saba_cloud_sweep_stop(struct saba_cloud_sweep *s);
void saba_cloud_sweep_free(struct saba_cloud_sweep *s);

/* Raised (atomically) while the sweeper stops: an abort flag for
 * saba_cloud_fetch() and saba_cloud_sleep(). */
const int *saba_cloud_sweep_stop_flag(const struct saba_cloud_sweep *s);

/* What one sweep saw and did (also its log line). */
struct saba_cloud_sweep_stats {
	int list_failed;   /* the Mackerel host list could not be read */
	int listed;	   /* hosts in the list */
	int matched;	   /* with a usable customIdentifier of this cloud */
	int invalid;	   /* with the cloud's suffix, but not a usable id */
	int scopes;	   /* configured */
	int scopes_ok;	   /* answered every request */
	int live;	   /* listed, not being deleted */
	int dead;	   /* being deleted, scope answered */
	int held;	   /* being deleted, but its scope failed */
	int absent_wait;   /* absent, not yet for absent_grace and 2 sweeps */
	int absent_gone;   /* absent long enough: retired */
	int never_seen;	   /* absent and never listed to this sweeper */
	int unknown;	   /* absent while some scope failed: no change */
	int retired;	   /* retire_host said done (404 included) or dry-run */
	int retire_failed; /* retire_host failed or declined */
	uint64_t requests; /* cloud requests this sweep */
	int64_t took_ms;
};

/* One sweep now, on the caller's thread (tests, benchmarks); not while the
 * sweeper's thread runs.  Returns 0, or -1 when it was stopped. */
int saba_cloud_sweep_round(struct saba_cloud_sweep *s, struct saba_cloud_sweep_stats *st);

#endif
