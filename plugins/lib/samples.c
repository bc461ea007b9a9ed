/* Counter samples and rates; see samples.h. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <saba/plugin.h>

#include "metricname.h"
#include "samples.h"

int saba_samples_add(struct saba_samples *s, const char *name, uint64_t a, uint64_t b)
{
	struct saba_sample *v;
	char *copy;

	if (s->n == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 16;

		v = realloc(s->v, cap * sizeof(*v));
		if (v == NULL)
			return SABA_ERROR;
		s->v = v;
		s->cap = cap;
	}
	copy = strdup(name);
	if (copy == NULL)
		return SABA_ERROR;
	s->v[s->n].name = copy;
	s->v[s->n].v[0] = a;
	s->v[s->n].v[1] = b;
	s->n++;
	return SABA_OK;
}

const struct saba_sample *saba_samples_find(const struct saba_samples *s, const char *name,
					    size_t *hint)
{
	for (size_t k = 0; k < s->n; k++) {
		size_t i = (*hint + k) % s->n;

		if (strcmp(s->v[i].name, name) == 0) {
			*hint = i + 1;
			return &s->v[i];
		}
	}
	return NULL;
}

void saba_samples_clear(struct saba_samples *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->v[i].name);
	s->n = 0;
}

void saba_samples_free(struct saba_samples *s)
{
	saba_samples_clear(s);
	free(s->v);
	s->v = NULL;
	s->cap = 0;
}

int saba_counter_rate(uint64_t prev, uint64_t cur, double elapsed, double *rate)
{
	if (cur < prev || !(elapsed > 0))
		return SABA_NOTFOUND;
	*rate = (double)(cur - prev) / elapsed;
	return SABA_OK;
}

void saba_samples_emit(const struct saba_host *host, saba_ctx *ctx, const struct saba_samples *prev,
		       const struct saba_samples *cur, const char *prefix,
		       const char *const suffix[2], int both)
{
	double elapsed = cur->at - prev->at;
	char metric[SABA_SAMPLES_METRIC_MAX];
	size_t hint = 0;

	for (size_t i = 0; i < cur->n; i++) {
		const struct saba_sample *c = &cur->v[i];
		const struct saba_sample *p = saba_samples_find(prev, c->name, &hint);
		int ok[2];
		double rate[2];

		/* a new device: no delta this round */
		if (p == NULL)
			continue;
		for (int k = 0; k < 2; k++)
			ok[k] = saba_counter_rate(p->v[k], c->v[k], elapsed, &rate[k]) == SABA_OK;
		if (!ok[0] || !ok[1])
			host->log(ctx, SABA_LOG_DEBUG, "%s: counter went back; skipped this round",
				  c->name);
		for (int k = 0; k < 2; k++) {
			if (!ok[k] || (both && !ok[1 - k]))
				continue;
			if (saba_metric_name(metric, sizeof(metric), prefix, c->name, suffix[k]) ==
			    SABA_OK)
				host->emit(ctx, metric, rate[k]);
		}
	}
}
