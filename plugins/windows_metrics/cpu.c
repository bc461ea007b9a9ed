/*
 * cpu (Windows): cpu.user.percentage, cpu.system.percentage and
 * cpu.idle.percentage over the whole machine (0..100, as upstream's PDH
 * counters \Processor(_Total)\% User / Privileged / Idle Time), from two
 * GetSystemTimes samples: the first collect only primes them.
 */
#include <windows.h>

#include <stdint.h>
#include <stdlib.h>

#include <saba/plugin.h>

struct saba_wcpu {
	const struct saba_host *host;
	saba_ctx *ctx;
	int primed;
	uint64_t idle, kernel, user; /* 100 ns units; kernel includes idle */
};

static uint64_t saba_ft(FILETIME f)
{
	return ((uint64_t)f.dwHighDateTime << 32) | f.dwLowDateTime;
}

static int saba_wcpu_create(const struct saba_host *host, saba_ctx *ctx, void **instance)
{
	struct saba_wcpu *c = calloc(1, sizeof(*c));

	if (c == NULL) {
		host->log(ctx, SABA_LOG_ERR, "out of memory");
		return SABA_ERROR;
	}
	c->host = host;
	c->ctx = ctx;
	*instance = c;
	return SABA_OK;
}

static void saba_wcpu_destroy(void *instance)
{
	free(instance);
}

static int saba_wcpu_collect(void *instance)
{
	struct saba_wcpu *c = instance;
	FILETIME fi, fk, fu;
	uint64_t idle, kernel, user, di, dk, du, total;
	int had = c->primed;

	if (!GetSystemTimes(&fi, &fk, &fu)) {
		c->host->log(c->ctx, SABA_LOG_WARNING, "GetSystemTimes failed (error %lu)",
			     (unsigned long)GetLastError());
		return SABA_ERROR;
	}
	idle = saba_ft(fi);
	kernel = saba_ft(fk);
	user = saba_ft(fu);
	/* A counter that went back: skip this round, start again from here. */
	had = had && idle >= c->idle && kernel >= c->kernel && user >= c->user;
	di = idle - c->idle;
	dk = kernel - c->kernel;
	du = user - c->user;
	c->idle = idle;
	c->kernel = kernel;
	c->user = user;
	c->primed = 1;
	if (!had || dk < di)
		return SABA_OK;
	total = dk + du;
	if (total == 0)
		return SABA_OK;
	c->host->emit(c->ctx, "cpu.user.percentage", (double)du * 100 / (double)total);
	c->host->emit(c->ctx, "cpu.system.percentage", (double)(dk - di) * 100 / (double)total);
	c->host->emit(c->ctx, "cpu.idle.percentage", (double)di * 100 / (double)total);
	return SABA_OK;
}

static const struct saba_plugin saba_wcpu_plugin = {
	SABA_PLUGIN_HEADER,
	.name = "cpu",
	.version = "1.0",
	.description = "CPU usage (Windows, GetSystemTimes)",
	.flags = SABA_PLUGIN_DELTA,
	.create = saba_wcpu_create,
	.destroy = saba_wcpu_destroy,
	.collect = saba_wcpu_collect,
};

SABA_PLUGIN_EXPORT const struct saba_plugin *saba_plugin_entry(void)
{
	return &saba_wcpu_plugin;
}
