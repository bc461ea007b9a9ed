#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "takeover.h"
#include "util.h"

/* Arm (ms > 0) or disarm (ms == 0) the one-shot timer. */
static void saba_takeover_arm(struct saba_takeover *t, int64_t ms)
{
	struct itimerspec its;

	memset(&its, 0, sizeof(its));
	its.it_value.tv_sec = (time_t)(ms / 1000);
	its.it_value.tv_nsec = (long)(ms % 1000) * 1000000L;
	timer_settime(t->timer, 0, &its, NULL);
}

/* With the lock held. */
static int saba_takeover_spawn(struct saba_takeover *t)
{
	pthread_attr_t attr;
	pthread_t th;
	int rc;

	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	rc = pthread_create(&th, &attr, t->loop_main, t->arg);
	pthread_attr_destroy(&attr);
	return rc == 0 ? 0 : -1;
}

static void saba_takeover_free(struct saba_takeover *t)
{
	pthread_mutex_destroy(&t->lock);
	free(t);
}

struct saba_takeover *saba_takeover_new(void *(*loop_main)(void *), void *arg)
{
	struct saba_takeover *t = saba_calloc(1, sizeof(*t));
	struct sigevent sev;

	memset(&sev, 0, sizeof(sev));
	sev.sigev_notify = SIGEV_SIGNAL;
	sev.sigev_signo = SABA_TAKEOVER_SIGNAL;
	if (timer_create(CLOCK_MONOTONIC, &sev, &t->timer) != 0) {
		saba_warn("no timer for the loop (%s): collecting on runner threads",
			  strerror(errno));
		free(t);
		return NULL;
	}
	t->has_timer = 1;
	t->loop_main = loop_main;
	t->arg = arg;
	pthread_mutex_init(&t->lock, NULL);
	return t;
}

int saba_takeover_begin(struct saba_takeover *t)
{
	int rc;

	pthread_mutex_lock(&t->lock);
	rc = saba_takeover_spawn(t);
	pthread_mutex_unlock(&t->lock);
	if (rc != 0)
		saba_warn("cannot start the loop thread: collecting on runner threads");
	return rc;
}

unsigned saba_takeover_gen(struct saba_takeover *t)
{
	unsigned gen;

	pthread_mutex_lock(&t->lock);
	gen = t->gen;
	pthread_mutex_unlock(&t->lock);
	return gen;
}

void saba_takeover_enter(struct saba_takeover *t, int64_t ms)
{
	if (ms < 1)
		ms = 1;
	pthread_mutex_lock(&t->lock);
	t->busy = 1;
	t->due_ms = saba_now_ms() + ms;
	pthread_mutex_unlock(&t->lock);
	saba_takeover_arm(t, ms);
}

int saba_takeover_leave(struct saba_takeover *t, unsigned gen)
{
	int over, last;

	pthread_mutex_lock(&t->lock);
	over = t->gen != gen;
	if (!over)
		t->busy = 0;
	else
		t->left_behind--;
	last = over && t->orphaned && t->left_behind == 0;
	pthread_mutex_unlock(&t->lock);
	if (last)
		saba_takeover_free(t);
	else if (!over)
		saba_takeover_arm(t, 0); /* a thread taken over leaves the new one's timer alone */
	return over;
}

void saba_takeover_check(struct saba_takeover *t, int now)
{
	int64_t left;

	pthread_mutex_lock(&t->lock);
	left = t->due_ms - saba_now_ms();
	if (!t->has_timer) {
		/* destroyed: the loop is over */
	} else if (t->busy && !now && left > 0) {
		/* Fired a little early, or an old expiry: wait for the rest. */
		saba_takeover_arm(t, left);
	} else if (t->busy) {
		t->gen++;
		t->busy = 0;
		if (saba_takeover_spawn(t) == 0) {
			t->count++;
			t->left_behind++;
			if (!now)
				saba_info("the loop overran its work by %lld ms; a new loop thread "
					  "goes on while the old one finishes it",
					  (long long)-left);
		} else {
			/* The old one stays the loop; try again in a second. */
			saba_err("cannot start a new loop thread; trying again in 1 s");
			t->gen--;
			t->busy = 1;
			saba_takeover_arm(t, 1000);
		}
	}
	pthread_mutex_unlock(&t->lock);
}

void saba_takeover_destroy(struct saba_takeover *t)
{
	int keep;

	if (t == NULL)
		return;
	pthread_mutex_lock(&t->lock);
	if (t->has_timer)
		timer_delete(t->timer);
	t->has_timer = 0;
	keep = t->left_behind > 0;
	t->orphaned = keep;
	pthread_mutex_unlock(&t->lock);
	if (!keep)
		saba_takeover_free(t);
}
