/* Posting: one thread sends sealed batches to POST /api/v0/tsdb, retries
 * with backoff on network errors, 5xx and 429, drops a batch the API
 * refuses (other 4xx), and PUTs the host spec when asked.  Either the loop
 * thread does that itself (saba_poster_inline), or a thread started by a
 * wake-up, which leaves once nothing is left to send. */
#ifndef SABA_POSTER_H
#define SABA_POSTER_H

#include <jansson.h>
#include <stdint.h>

#include "queue.h"
#include "runtime.h"

struct saba_poster;

struct saba_poster *saba_poster_start(struct saba_runtime *rt);
/* New batches are waiting. */
void saba_poster_wake(struct saba_poster *p);
/* PUT this spec (stolen) at the next chance. */
void saba_poster_update_spec(struct saba_poster *p, json_t *spec);
/* on: no posting thread; the loop thread calls saba_poster_work() when
 * saba_poster_due() (monotonic ms, 0: nothing waits) says, a finish aside. */
void saba_poster_inline(struct saba_poster *p, int on);
int64_t saba_poster_due(struct saba_poster *p);
/* One go at what waits (no sleeping: a backoff shows in the next due). */
void saba_poster_work(struct saba_poster *p);
/* Post what is queued until empty or deadline_ms (monotonic), then end the
 * thread and free the poster. */
void saba_poster_finish(struct saba_poster *p, int64_t deadline_ms);

#endif
