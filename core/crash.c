#include "config.h"

#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "crash.h"

/* The innermost plugin call of this thread (calls nest: a trigger's
 * shutdown() runs the retire routine, which asks confirm_retire()). */
static __thread struct saba_crash_frame *saba_crash_top;
static pthread_once_t saba_crash_once = PTHREAD_ONCE_INIT;

void saba_crash_enter(struct saba_crash_frame *f, const char *label, const char *hook)
{
	f->label = label;
	f->hook = hook;
	f->prev = saba_crash_top;
	saba_crash_top = f;
}

void saba_crash_leave(struct saba_crash_frame *f)
{
	saba_crash_top = f->prev;
}

/* Async-signal-safe helpers: no stdio in a handler. */
static size_t saba_crash_put(char *buf, size_t n, size_t cap, const char *s)
{
	while (s != NULL && *s != '\0' && n + 1 < cap)
		buf[n++] = *s++;
	return n;
}

static size_t saba_crash_put_int(char *buf, size_t n, size_t cap, int v)
{
	char digits[12];
	int i = 0;

	do {
		digits[i++] = (char)('0' + v % 10);
		v /= 10;
	} while (v > 0 && i < (int)sizeof(digits));
	while (i > 0 && n + 1 < cap)
		buf[n++] = digits[--i];
	return n;
}

static const char *saba_crash_signame(int sig)
{
	switch (sig) {
	case SIGSEGV:
		return "SIGSEGV";
#ifdef SIGBUS
	case SIGBUS:
		return "SIGBUS";
#endif
	case SIGFPE:
		return "SIGFPE";
	case SIGILL:
		return "SIGILL";
	default:
		return "SIGABRT";
	}
}

static void saba_crash_handler(int sig)
{
	const struct saba_crash_frame *f = saba_crash_top;
	char line[512];
	size_t n = 0;

	n = saba_crash_put(line, n, sizeof(line), "saba-agent: fatal: signal ");
	n = saba_crash_put_int(line, n, sizeof(line), sig);
	n = saba_crash_put(line, n, sizeof(line), " (");
	n = saba_crash_put(line, n, sizeof(line), saba_crash_signame(sig));
	n = saba_crash_put(line, n, sizeof(line), ")");
	if (f != NULL) {
		n = saba_crash_put(line, n, sizeof(line), " in plugin ");
		n = saba_crash_put(line, n, sizeof(line), f->label);
		n = saba_crash_put(line, n, sizeof(line), " during ");
		n = saba_crash_put(line, n, sizeof(line), f->hook);
		n = saba_crash_put(line, n, sizeof(line), "()");
	}
	n = saba_crash_put(line, n, sizeof(line), "; exiting\n");
	if (write(STDERR_FILENO, line, n) < 0) {
		/* nothing left to report to */
	}
	/* SA_RESETHAND restored the default: die by the same signal, so the
	 * exit status and any core dump tell the truth. */
	raise(sig);
}

#ifdef _WIN32
/* mingw's CRT turns an access violation, an illegal instruction or a
 * floating-point fault into SIGSEGV/SIGILL/SIGFPE, resetting the handler
 * first as SA_RESETHAND does. */
static void saba_crash_setup(void)
{
	static const int sigs[] = {SIGSEGV, SIGFPE, SIGILL, SIGABRT};

	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		signal(sigs[i], saba_crash_handler);
}
#else
static void saba_crash_setup(void)
{
	static const int sigs[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT};
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = saba_crash_handler;
	sa.sa_flags = (int)SA_RESETHAND | SA_NODEFER;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaction(sigs[i], &sa, NULL);
}
#endif

void saba_crash_install(void)
{
	pthread_once(&saba_crash_once, saba_crash_setup);
}
