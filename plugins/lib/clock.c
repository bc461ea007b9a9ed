/* The plugins' monotonic clock; see clock.h. */
#include "clock.h"

int64_t saba_clock_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int64_t saba_clock_ms(void)
{
	return saba_clock_usec() / 1000;
}

double saba_clock_seconds(void)
{
	return (double)saba_clock_usec() / 1e6;
}

void saba_clock_cond_init(pthread_cond_t *cond)
{
#ifdef _WIN32
	pthread_cond_init(cond, NULL);
#else
	pthread_condattr_t ca;

	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(cond, &ca);
	pthread_condattr_destroy(&ca);
#endif
}

void saba_clock_cond_deadline(int64_t ms, struct timespec *ts)
{
#ifdef _WIN32
	clock_gettime(CLOCK_REALTIME, ts);
#else
	clock_gettime(CLOCK_MONOTONIC, ts);
#endif
	ts->tv_sec += (time_t)(ms / 1000);
	ts->tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}
