/* Counter samples and rates; see samples.h. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <saba/plugin.h>

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
