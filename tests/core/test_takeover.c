/*
 * The loop thread's takeover (core/takeover.c): guarded work that ends in
 * time keeps its thread; work that overruns gets a new loop thread once the
 * main thread takes the timer's signal, and the old thread learns it was
 * taken over when it is back; when no thread can be started, the old one
 * stays the loop and the timer is armed again a second later.
 * pthread_create is wrapped (-Wl,--wrap) so that a test can refuse threads.
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

#include "takeover.h"
#include "unit.h"
#include "util.h"

int __real_pthread_create(pthread_t *th, const pthread_attr_t *attr, void *(*fn)(void *),
			  void *arg);
int __wrap_pthread_create(pthread_t *th, const pthread_attr_t *attr, void *(*fn)(void *),
			  void *arg);

static int refuse_threads;

int __wrap_pthread_create(pthread_t *th, const pthread_attr_t *attr, void *(*fn)(void *), void *arg)
{
	if (__atomic_load_n(&refuse_threads, __ATOMIC_SEQ_CST))
		return EAGAIN;
	return __real_pthread_create(th, attr, fn, arg);
}

/* What the n-th loop thread does: guarded work of work_ms under a budget
 * of budget_ms; what its leave() said. */
struct scenario {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct saba_takeover *t;
	int started, finished;
	int64_t budget_ms[3], work_ms[3];
	int over[3];
	unsigned gen[3];
};

static void *loop_main(void *arg)
{
	struct scenario *s = arg;
	unsigned gen = saba_takeover_gen(s->t);
	int n, over;

	pthread_mutex_lock(&s->lock);
	n = s->started++;
	pthread_mutex_unlock(&s->lock);
	saba_takeover_enter(s->t, s->budget_ms[n]);
	usleep((useconds_t)(s->work_ms[n] * 1000));
	over = saba_takeover_leave(s->t, gen);
	pthread_mutex_lock(&s->lock);
	s->gen[n] = gen;
	s->over[n] = over;
	s->finished++;
	pthread_cond_broadcast(&s->cond);
	pthread_mutex_unlock(&s->lock);
	return NULL;
}

/* The main thread's part: take the timer's signal within ms and hand it to
 * the takeover.  1 when one came. */
static int take_signal(struct saba_takeover *t, int64_t ms)
{
	struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SABA_TAKEOVER_SIGNAL);
	if (sigtimedwait(&set, NULL, &ts) != SABA_TAKEOVER_SIGNAL)
		return 0;
	saba_takeover_check(t, 0);
	return 1;
}

/* Wait until n loop threads have finished (at most 20 s). */
static void wait_finished(struct scenario *s, int n)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += 20;
	pthread_mutex_lock(&s->lock);
	while (s->finished < n && pthread_cond_timedwait(&s->cond, &s->lock, &ts) == 0)
		;
	pthread_mutex_unlock(&s->lock);
	CU_ASSERT_EQUAL_FATAL(s->finished, n);
}

static struct scenario *scenario_new(void)
{
	struct scenario *s = saba_calloc(1, sizeof(*s));

	pthread_mutex_init(&s->lock, NULL);
	pthread_cond_init(&s->cond, NULL);
	s->t = saba_takeover_new(loop_main, s);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s->t);
	return s;
}

static void scenario_free(struct scenario *s)
{
	saba_takeover_destroy(s->t);
	pthread_cond_destroy(&s->cond);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

static int takeovers(struct saba_takeover *t)
{
	int n;

	pthread_mutex_lock(&t->lock);
	n = t->count;
	pthread_mutex_unlock(&t->lock);
	return n;
}

static void test_work_in_time_keeps_its_thread(void)
{
	struct scenario *s = scenario_new();

	s->budget_ms[0] = 2000;
	s->work_ms[0] = 10;
	CU_ASSERT_EQUAL_FATAL(saba_takeover_begin(s->t), 0);
	wait_finished(s, 1);
	CU_ASSERT_EQUAL(s->over[0], 0);
	/* the timer was disarmed: no signal comes after the budget */
	CU_ASSERT_EQUAL(take_signal(s->t, 2500), 0);
	CU_ASSERT_EQUAL(takeovers(s->t), 0);
	CU_ASSERT_EQUAL(s->started, 1);
	scenario_free(s);
}

static void test_overrun_starts_a_new_loop_thread(void)
{
	struct scenario *s = scenario_new();

	s->budget_ms[0] = 50;
	s->work_ms[0] = 600;
	s->budget_ms[1] = 2000;
	s->work_ms[1] = 10;
	CU_ASSERT_EQUAL_FATAL(saba_takeover_begin(s->t), 0);
	CU_ASSERT_EQUAL(take_signal(s->t, 2000), 1);
	wait_finished(s, 2);
	CU_ASSERT_EQUAL(takeovers(s->t), 1);
	/* the old thread learns it was taken over; the new one is the loop */
	CU_ASSERT_EQUAL(s->over[0], 1);
	CU_ASSERT_EQUAL(s->over[1], 0);
	CU_ASSERT_EQUAL(s->gen[1], s->gen[0] + 1);
	CU_ASSERT_EQUAL(s->t->left_behind, 0);
	CU_ASSERT_EQUAL(take_signal(s->t, 2500), 0);
	scenario_free(s);
}

static void test_no_thread_keeps_the_old_loop_and_retries(void)
{
	struct scenario *s = scenario_new();

	s->budget_ms[0] = 50;
	s->work_ms[0] = 4000;
	s->budget_ms[1] = 2000;
	s->work_ms[1] = 10;
	CU_ASSERT_EQUAL_FATAL(saba_takeover_begin(s->t), 0);
	__atomic_store_n(&refuse_threads, 1, __ATOMIC_SEQ_CST);
	CU_ASSERT_EQUAL(take_signal(s->t, 2000), 1);
	/* no thread: no takeover, the old one is still the loop, and still
	 * guarded: the timer comes again a second later */
	CU_ASSERT_EQUAL(takeovers(s->t), 0);
	pthread_mutex_lock(&s->t->lock);
	CU_ASSERT_EQUAL(s->t->busy, 1);
	CU_ASSERT_EQUAL(s->t->gen, 0);
	pthread_mutex_unlock(&s->t->lock);
	__atomic_store_n(&refuse_threads, 0, __ATOMIC_SEQ_CST);
	CU_ASSERT_EQUAL(take_signal(s->t, 2500), 1);
	CU_ASSERT_EQUAL(takeovers(s->t), 1);
	wait_finished(s, 2);
	CU_ASSERT_EQUAL(s->over[0], 1);
	CU_ASSERT_EQUAL(s->over[1], 0);
	scenario_free(s);
}

static const struct unit_test tests[] = {
	UNIT_TEST(test_work_in_time_keeps_its_thread),
	UNIT_TEST(test_overrun_starts_a_new_loop_thread),
	UNIT_TEST(test_no_thread_keeps_the_old_loop_and_retries),
};

int main(void)
{
	sigset_t set;

	/* as the agent does: the timer's signal is taken by the main thread
	 * only, so every thread starts with it blocked */
	sigemptyset(&set);
	sigaddset(&set, SABA_TAKEOVER_SIGNAL);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	return UNIT_RUN("takeover", tests);
}
