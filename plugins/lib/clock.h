/* The plugins' one clock: CLOCK_MONOTONIC, which a step of the wall clock
 * neither turns back nor jumps, for deadlines, intervals and rates (linked
 * into each module that keeps time; never into the agent). */
#ifndef SABA_CLOCK_H
#define SABA_CLOCK_H

#include <pthread.h>
#include <stdint.h>
#include <time.h>

/* Microseconds, milliseconds and seconds on that clock. */
int64_t saba_clock_usec(void);
int64_t saba_clock_ms(void);
double saba_clock_seconds(void);

/* A condition variable whose timed waits count on that clock, and the
 * deadline ms from now to give pthread_cond_timedwait() on it.  (On
 * Windows, winpthreads' timed waits count on the wall clock whatever the
 * attribute says, so there both use the wall clock.) */
void saba_clock_cond_init(pthread_cond_t *cond);
void saba_clock_cond_deadline(int64_t ms, struct timespec *ts);

#endif
