/* Collection: each tick queues one round per idle collecting instance,
 * for the loop thread itself (saba_collector_inline: the quick ones) or for
 * short-lived runner threads (one for the quick rounds without a loop
 * thread, one per instance known to be slow); rounds left waiting behind a
 * thread stuck in a plugin get runners of their own (up to 64), so a slow
 * or hung plugin never delays the others, the posting or shutdown.  Runners
 * leave when no round is left.  A busy instance misses the tick (and says
 * so). */
#ifndef SABA_COLLECTOR_H
#define SABA_COLLECTOR_H

#include <stdint.h>

#include "instance.h"

struct saba_takeover;

void saba_collector_start(struct saba_instances *set);
enum saba_round {
	SABA_ROUND_ALL,
	SABA_ROUND_DELTA, /* just the SABA_PLUGIN_DELTA ones (second round of `once`) */
	SABA_ROUND_PLAIN  /* just the others (the round at start-up) */
};

/* Ask idle instances to collect values stamped `tick` (epoch seconds). */
void saba_collector_tick(struct saba_instances *set, int64_t tick, enum saba_round which);
/* on: the quick instances' rounds wait for saba_collector_drain() on the
 * loop thread instead of a runner (an instance whose round took long goes
 * on getting runners). */
void saba_collector_inline(struct saba_instances *set, int on);
/* On the loop thread: collect the rounds waiting for it, guarded by t.
 * Returns 1 when another loop thread took over meanwhile (the caller leaves
 * the loop). */
int saba_collector_drain(struct saba_instances *set, struct saba_takeover *t,
			 unsigned gen); /* POSIX */
/* When (monotonic ms) saba_collector_poll() should run next: rounds are
 * waiting; 0 when none is. */
int64_t saba_collector_due(struct saba_instances *set);
/* Give rounds left waiting behind stuck runners runners of their own. */
void saba_collector_poll(struct saba_instances *set);
/* Wait until every instance finished its round or deadline_ms (monotonic)
 * passed.  Returns the number still busy. */
int saba_collector_wait(struct saba_instances *set, int64_t deadline_ms);
/* The same without naming the late ones. */
int saba_collector_settle(struct saba_instances *set, int64_t deadline_ms);
/* End the workers; busy ones get a short grace (at most until deadline_ms)
 * and are then left alone for now (their module is never unloaded). */
void saba_collector_stop(struct saba_instances *set, int64_t deadline_ms);
/* Before destroying the instances: a last short wait for busy workers; the
 * instances they still run are abandoned (never destroyed). */
void saba_collector_release(struct saba_instances *set);

#endif
