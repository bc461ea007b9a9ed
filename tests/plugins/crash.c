/*
 * Test plugin "crash": a metric source that crashes inside collect(), to
 * prove the agent's policy for a crashed plugin (one line naming the
 * plugin, instance and hook, then death by the same signal).
 *
 * Config:
 *   crash_on = 1;      the collect() (1-based) that crashes; the ones
 *                      before emit test.crash = their number; 0: never
 *   signal = "segv";   how: "segv" (store through NULL), "bus" (touch a
 *                      truncated mapping), "fpe" (integer division by
 *                      zero), "ill" (an undefined instruction) or "abrt"
 *                      (abort())
 * A real fault is raised where the CPU allows it; raise() is the fallback
 * (e.g. arm64 does not trap on division by zero).
 */
#define _GNU_SOURCE

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <saba/plugin.h>

struct saba_crash {
	const struct saba_host *host;
	saba_ctx *ctx;
	long long crash_on;
	long long calls;
	int sig;
	int *nowhere; /* always NULL: the SIGSEGV target */
};

static const struct saba_config_key saba_crash_keys[] = {
	{"crash_on", SABA_CFG_INT, "the collect() that crashes, 1-based (default 1; 0: never)"},
	{"signal", SABA_CFG_STRING, "segv, bus, fpe, ill or abrt (default segv)"},
	{NULL, 0, NULL},
};

static const struct {
	const char *name;
	int sig;
} saba_crash_signals[] = {
	{"segv", SIGSEGV}, {"bus", SIGBUS}, {"fpe", SIGFPE}, {"ill", SIGILL}, {"abrt", SIGABRT},
};

#define SABA_CRASH_NSIGNALS (sizeof(saba_crash_signals) / sizeof(saba_crash_signals[0]))

static int saba_crash_create(const struct saba_host *host, saba_ctx *ctx, void **instance)
{
	struct saba_crash *c = NULL;
	const char *how = "segv";
	int rc;

	c = calloc(1, sizeof(*c));
	if (c == NULL) {
		host->log(ctx, SABA_LOG_ERR, "out of memory");
		rc = SABA_ERROR;
		goto out;
	}
	c->host = host;
	c->ctx = ctx;
	c->crash_on = 1;
	rc = host->config_int(ctx, "crash_on", &c->crash_on);
	if ((rc != SABA_OK && rc != SABA_NOTFOUND) || c->crash_on < 0) {
		host->config_error(ctx, "crash_on", "must be an integer >= 0");
		rc = SABA_INVALID;
		goto out;
	}
	rc = host->config_string(ctx, "signal", &how);
	if (rc != SABA_OK && rc != SABA_NOTFOUND) {
		host->config_error(ctx, "signal", "must be a string");
		rc = SABA_INVALID;
		goto out;
	}
	for (size_t i = 0; i < SABA_CRASH_NSIGNALS; i++)
		if (strcmp(how, saba_crash_signals[i].name) == 0)
			c->sig = saba_crash_signals[i].sig;
	if (c->sig == 0) {
		host->config_error(ctx, "signal", "must be segv, bus, fpe, ill or abrt, not \"%s\"",
				   how);
		rc = SABA_INVALID;
		goto out;
	}
	*instance = c;
	c = NULL;
	rc = SABA_OK;
out:
	free(c);
	return rc;
}

static void saba_crash_destroy(void *instance)
{
	free(instance);
}

/* A store into a page of a file that was truncated under the mapping. */
static void saba_crash_bus(void)
{
	long page = sysconf(_SC_PAGESIZE);
	int fd = memfd_create("saba-crash", MFD_CLOEXEC);
	volatile char *p;

	if (fd < 0 || ftruncate(fd, page) != 0)
		return;
	p = mmap(NULL, (size_t)page, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED || ftruncate(fd, 0) != 0)
		return;
	p[0] = 1;
}

/* A real fault, not UBSan's report of one, even in a sanitizer build. */
#if defined(__GNUC__) && (__GNUC__ >= 8 || defined(__clang__))
__attribute__((no_sanitize("undefined")))
#endif
static void
saba_crash_now(struct saba_crash *c)
{
	volatile int zero = 0, quotient;

	switch (c->sig) {
	case SIGSEGV:
		*(volatile int *)c->nowhere = 1;
		break;
	case SIGBUS:
		saba_crash_bus();
		break;
	case SIGFPE:
		quotient = 1 / zero;
		(void)quotient;
		break;
	case SIGILL:
#if defined(__x86_64__) || defined(__i386__)
		__asm__ volatile("ud2");
#endif
		break;
	default:
		abort();
	}
	raise(c->sig);
}

static int saba_crash_collect(void *instance)
{
	struct saba_crash *c = instance;

	c->calls++;
	if (c->calls == c->crash_on) {
		/* Log first, so a test can tell "crashed" from "never called". */
		c->host->log(c->ctx, SABA_LOG_INFO, "collect %lld: crashing now", c->calls);
		saba_crash_now(c);
	}
	return c->host->emit(c->ctx, "test.crash", (double)c->calls);
}

static const struct saba_plugin saba_crash_plugin = {
	SABA_PLUGIN_HEADER,
	.name = "crash",
	.version = "1.0",
	.description = "test plugin: collect() crashes on the Nth call",
	.config_keys = saba_crash_keys,
	.create = saba_crash_create,
	.destroy = saba_crash_destroy,
	.collect = saba_crash_collect,
};

SABA_PLUGIN_EXPORT const struct saba_plugin *saba_plugin_entry(void)
{
	return &saba_crash_plugin;
}
