/*
 * fakehost queries: what a test asks after driving a plugin (see fakehost.h).
 */
#define _GNU_SOURCE

#include <stdlib.h>
#include <string.h>

#include "fakehost_priv.h"

size_t fakehost_nvalues(struct fakehost *fh)
{
	return fh->values.n;
}

int fakehost_value(struct fakehost *fh, const char *name, double *value)
{
	for (size_t i = fh->values.n; i-- > 0;) {
		if (strcmp(fh->values.v[i].name, name) == 0) {
			if (value != NULL)
				*value = fh->values.v[i].value;
			return 1;
		}
	}
	return 0;
}

const char *fakehost_value_at(struct fakehost *fh, size_t i, double *value)
{
	if (i >= fh->values.n)
		return NULL;
	if (value != NULL)
		*value = fh->values.v[i].value;
	return fh->values.v[i].name;
}

size_t fakehost_ndropped(struct fakehost *fh)
{
	return fh->ndropped;
}

const char *fakehost_spec(struct fakehost *fh, const char *path)
{
	struct fakehost_event *e;

	for (size_t i = 0; (e = fakehost_nth(fh, FAKEHOST_SPEC, i)) != NULL; i++) {
		if (strcmp(e->key, path) == 0)
			return e->text;
	}
	return NULL;
}

size_t fakehost_nspecs(struct fakehost *fh)
{
	return fakehost_count(fh, FAKEHOST_SPEC);
}

size_t fakehost_nlogs(struct fakehost *fh)
{
	size_t n;

	pthread_mutex_lock(&fh->lock);
	n = fakehost_count(fh, FAKEHOST_LOG);
	pthread_mutex_unlock(&fh->lock);
	return n;
}

const char *fakehost_log_at(struct fakehost *fh, size_t i, int *level)
{
	struct fakehost_event *e = fakehost_nth(fh, FAKEHOST_LOG, i);

	if (e != NULL && level != NULL)
		*level = e->num;
	return e ? e->text : NULL;
}

size_t fakehost_log_count(struct fakehost *fh, int max_level, const char *needle)
{
	size_t n = 0;

	/* locked: a plugin's thread may be logging */
	pthread_mutex_lock(&fh->lock);
	for (size_t i = 0; i < fh->events.n; i++) {
		const struct fakehost_event *e = &fh->events.v[i];

		n += e->type == FAKEHOST_LOG && e->num <= max_level &&
		     (needle == NULL || strstr(e->text, needle) != NULL);
	}
	pthread_mutex_unlock(&fh->lock);
	return n;
}

size_t fakehost_nconfig_errors(struct fakehost *fh)
{
	return fakehost_count(fh, FAKEHOST_CFGERR);
}

const char *fakehost_config_error_at(struct fakehost *fh, size_t i, const char **key)
{
	struct fakehost_event *e = fakehost_nth(fh, FAKEHOST_CFGERR, i);

	if (e != NULL && key != NULL)
		*key = e->key;
	return e ? e->text : NULL;
}

size_t fakehost_nretires(struct fakehost *fh)
{
	return fakehost_count(fh, FAKEHOST_RETIRE);
}

int fakehost_retire_at(struct fakehost *fh, size_t i, const char **reason)
{
	struct fakehost_event *e = fakehost_nth(fh, FAKEHOST_RETIRE, i);

	if (e != NULL && reason != NULL)
		*reason = e->text;
	return e ? e->num : -1;
}

size_t fakehost_misuse(struct fakehost *fh)
{
	return fh->nmisuse;
}

int fakehost_value_ex(struct fakehost *fh, const char *name, double *value, int64_t *time,
		      const char **custom_identifier)
{
	for (size_t i = fh->values.n; i-- > 0;) {
		if (strcmp(fh->values.v[i].name, name) == 0) {
			if (value != NULL)
				*value = fh->values.v[i].value;
			if (time != NULL)
				*time = fh->values.v[i].time;
			if (custom_identifier != NULL)
				*custom_identifier = fh->values.v[i].ci;
			return 1;
		}
	}
	return 0;
}

size_t fakehost_ngraph_defs(struct fakehost *fh)
{
	return fakehost_count(fh, FAKEHOST_GRAPHS);
}

const char *fakehost_graph_defs_at(struct fakehost *fh, size_t i)
{
	struct fakehost_event *e = fakehost_nth(fh, FAKEHOST_GRAPHS, i);

	return e ? e->text : NULL;
}

size_t fakehost_nchecks(struct fakehost *fh)
{
	size_t n;

	pthread_mutex_lock(&fh->lock);
	n = fh->checks.n;
	pthread_mutex_unlock(&fh->lock);
	return n;
}

int fakehost_check_at(struct fakehost *fh, size_t i, struct saba_check_report *out)
{
	int found;

	pthread_mutex_lock(&fh->lock);
	found = i < fh->checks.n;
	if (found)
		*out = fh->checks.v[i];
	pthread_mutex_unlock(&fh->lock);
	return found;
}
