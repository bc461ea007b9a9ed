#include "config.h"

#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include "signals.h"
#include "takeover.h"
#include "util.h"

void saba_signals_set(sigset_t *s)
{
	sigemptyset(s);
	sigaddset(s, SIGTERM);
	sigaddset(s, SIGINT);
	sigaddset(s, SIGHUP);
	sigaddset(s, SIGUSR1);
	sigaddset(s, SABA_TAKEOVER_SIGNAL);
}

void saba_signals_block(void)
{
	sigset_t sigs;

	saba_signals_set(&sigs);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
}

void saba_signals_take(struct saba_signals *s, int sig)
{
	struct saba_runtime *rt = s->rt;

	pthread_mutex_lock(&rt->lock);
	if (sig == SIGHUP) {
		rt->reload_requested = 1;
	} else if (rt->stop_requested && saba_now_ms() - s->first_stop < 1000) {
		/* The same stop delivered twice (to the process and to its
		 * group, as timeout(1) and some init scripts do). */
	} else if (rt->stop_requested) {
		static const char msg[] = "saba-agent: second signal, exiting at once\n";

		if (write(STDERR_FILENO, msg, sizeof(msg) - 1) < 0)
			_exit(1);
		_exit(1);
	} else {
		rt->stop_requested = 1;
		s->first_stop = saba_now_ms();
	}
	pthread_cond_broadcast(&rt->wake);
	pthread_mutex_unlock(&rt->lock);
}

static void *saba_signals_main(void *arg)
{
	struct saba_signals *s = arg;
	sigset_t set;
	int sig;

	saba_signals_set(&set);
	for (;;) {
		if (sigwait(&set, &sig) != 0)
			continue;
		if (sig == SIGUSR1)
			break;
		if (sig != SABA_TAKEOVER_SIGNAL) /* a loop timer's last expiry */
			saba_signals_take(s, sig);
	}
	return NULL;
}

void saba_signals_start(struct saba_signals *s)
{
	if (pthread_create(&s->thread, NULL, saba_signals_main, s) == 0)
		s->has_thread = 1;
}

void saba_signals_end(struct saba_signals *s)
{
	if (!s->has_thread)
		return;
	pthread_kill(s->thread, SIGUSR1);
	pthread_join(s->thread, NULL);
	s->has_thread = 0;
}
