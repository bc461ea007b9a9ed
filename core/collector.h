/* Collection: each tick queues one round per idle collecting instance for a
 * bounded pool of worker threads (8 for rounds that return; a worker stuck in
 * a round that never returned is replaced, up to 64), so a slow or hung
 * plugin never delays the others, the posting or shutdown.  A busy instance
 * misses the tick (and says so). */
#ifndef SABA_COLLECTOR_H
#define SABA_COLLECTOR_H

#include <stdint.h>

#include "instance.h"

void saba_collector_start(struct saba_instances *set);
/* Ask idle instances to collect values stamped `tick` (epoch seconds).
 * only_delta: just the SABA_PLUGIN_DELTA ones (second round of `once`). */
void saba_collector_tick(struct saba_instances *set, int64_t tick, int only_delta);
/* Wait until every instance finished its round or deadline_ms (monotonic)
 * passed.  Returns the number still busy. */
int saba_collector_wait(struct saba_instances *set, int64_t deadline_ms);
/* End the workers; busy ones get a short grace (at most until deadline_ms)
 * and are then left alone for now (their module is never unloaded). */
void saba_collector_stop(struct saba_instances *set, int64_t deadline_ms);
/* Before destroying the instances: a last short wait for busy workers; the
 * instances they still run are abandoned (never destroyed). */
void saba_collector_release(struct saba_instances *set);

#endif
