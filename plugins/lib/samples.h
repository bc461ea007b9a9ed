/* Previous samples of per-device counters (disk, interface) and the
 * per-second rates between two of them. */
#ifndef SABA_SAMPLES_H
#define SABA_SAMPLES_H

#include <stddef.h>
#include <stdint.h>

#include <saba/plugin.h>

struct saba_sample {
	char *name;    /* sanitised device name */
	uint64_t v[2]; /* the two counters of the device */
};

struct saba_samples {
	struct saba_sample *v;
	size_t n, cap;
	double at; /* saba_clock_seconds() when read */
};

/* Append a sample (copies name).  SABA_OK or SABA_ERROR (out of memory). */
int saba_samples_add(struct saba_samples *s, const char *name, uint64_t a, uint64_t b);
/* The sample of name, or NULL.  *hint is where the search starts and is
 * moved past the hit, so files listed in a stable order cost O(n). */
const struct saba_sample *saba_samples_find(const struct saba_samples *s, const char *name,
					    size_t *hint);
/* Forget the samples, keep the memory. */
void saba_samples_clear(struct saba_samples *s);
void saba_samples_free(struct saba_samples *s);

/* Per-second rate of a counter: SABA_OK and *rate, or SABA_NOTFOUND when
 * the counter went back (reset, wrap, device replaced) or no time passed:
 * such a sample is skipped rather than reported negative or huge. */
int saba_counter_rate(uint64_t prev, uint64_t cur, double elapsed, double *rate);

/* For each device of cur that prev has too, emit
 * "<prefix><name><suffix[k]>" as the per-second rate of its counter k
 * between the two.  A counter that went back skips that counter this
 * round, or with both set the device's two counters (a disk's reads and
 * writes go together; an interface's rx and tx do not, as upstream). */
#define SABA_SAMPLES_METRIC_MAX 640
void saba_samples_emit(const struct saba_host *host, saba_ctx *ctx, const struct saba_samples *prev,
		       const struct saba_samples *cur, const char *prefix,
		       const char *const suffix[2], int both);

#endif
