/* The collect-and-post loop runs on a thread of its own and does its quick
 * work (the fast plugins' rounds, a post) itself, without handing it to
 * another thread.  Each such piece is guarded: it may run until a budget
 * passes; then a POSIX timer wakes the main thread (which takes signals),
 * and a new loop thread takes over the loop while the old one finishes its
 * piece and leaves.  So a hung plugin or post costs one thread, never the
 * loop, and at rest the agent has two threads: main and the loop.
 * POSIX only (the timer's signal is SIGALRM, blocked in every thread and
 * taken by the main thread's sigwait). */
#ifndef SABA_TAKEOVER_H
#define SABA_TAKEOVER_H

#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <time.h>

#define SABA_TAKEOVER_SIGNAL SIGALRM

struct saba_takeover {
	pthread_mutex_t lock;
	unsigned gen;	/* the current loop thread's; bumped at each takeover */
	int busy;	/* the current loop thread is inside guarded work */
	int64_t due_ms; /* monotonic: when that work has overrun */
	timer_t timer;
	int has_timer;
	void *(*loop_main)(void *); /* how a new loop thread starts */
	void *arg;
	int count;	 /* takeovers so far */
	int left_behind; /* threads taken over, not yet back */
	int orphaned;	 /* destroyed while some were: the last one frees it */
};

/* The guard of a loop whose threads run loop_main(arg), detached.  NULL
 * when no timer can be had. */
struct saba_takeover *saba_takeover_new(void *(*loop_main)(void *), void *arg);
/* Start the first loop thread: 0, or -1. */
int saba_takeover_begin(struct saba_takeover *t);
/* At the start of loop_main: this thread's generation. */
unsigned saba_takeover_gen(struct saba_takeover *t);
/* On the loop thread, around work that might hang: it may take ms. */
void saba_takeover_enter(struct saba_takeover *t, int64_t ms);
/* After it: 0 while gen is still the loop's; 1 when another thread took
 * over (the caller leaves the loop and its thread ends). */
int saba_takeover_leave(struct saba_takeover *t, unsigned gen);
/* Main thread, on SABA_TAKEOVER_SIGNAL (or with now=1 at a stop, so the
 * loop sees the stop at once): start a new loop thread when the current one
 * overran its guarded work. */
void saba_takeover_check(struct saba_takeover *t, int now);
/* After the loop ended (no loop thread runs it any more); a thread taken
 * over and still in its work frees t when it is back. */
void saba_takeover_destroy(struct saba_takeover *t);

#endif
