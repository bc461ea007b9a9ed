/* The signals of `saba-agent run` (POSIX): blocked in every thread from the
 * first instant and taken synchronously by one thread, the signal thread,
 * or the main thread while the loop runs on a thread of its own
 * (core/agent.c).  SIGUSR1 only ends that thread's wait. */
#ifndef SABA_SIGNALS_H
#define SABA_SIGNALS_H

#include <pthread.h>
#include <signal.h>
#include <stdint.h>

#include "runtime.h"

struct saba_signals {
	struct saba_runtime *rt;
	pthread_t thread;
	int has_thread;
	int64_t first_stop; /* monotonic ms of the first stop signal */
};

/* SIGTERM, SIGINT, SIGHUP, SIGUSR1 and the loop's takeover timer signal. */
void saba_signals_set(sigset_t *s);
/* Block them in the calling thread and every thread it starts: done first
 * thing, so a stop is never lost nor the default action taken. */
void saba_signals_block(void);
/* One signal: SIGHUP asks for a reload, the first SIGTERM or SIGINT for the
 * stop, and a second one (not the same one delivered twice) exits at once. */
void saba_signals_take(struct saba_signals *s, int sig);
/* The signal thread: started (when it can be) and ended. */
void saba_signals_start(struct saba_signals *s);
void saba_signals_end(struct saba_signals *s);

#endif
