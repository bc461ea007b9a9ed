/*
 * libsaba-plugin-test: what a test asks after driving a plugin (see
 * <saba/plugin-test.h>).  Counters take the lock, a plugin thread may
 * still be running; the rest hand out pointers into the records.
 */
#define _GNU_SOURCE

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "testhost.h"

/* How many events of a type, under the lock. */
static size_t saba_th_count_locked(struct saba_test_host *th, int type)
{
	size_t n;

	pthread_mutex_lock(&th->lock);
	n = saba_th_count(th, type);
	pthread_mutex_unlock(&th->lock);
	return n;
}

/* A size_t field, read under the lock. */
static size_t saba_th_size(struct saba_test_host *th, const size_t *field)
{
	size_t n;

	pthread_mutex_lock(&th->lock);
	n = *field;
	pthread_mutex_unlock(&th->lock);
	return n;
}

size_t saba_test_nvalues(struct saba_test_host *th)
{
	return saba_th_size(th, &th->values.n);
}

int saba_test_value_ex(struct saba_test_host *th, const char *name, double *value, int64_t *time,
		       const char **custom_identifier)
{
	for (size_t i = th->values.n; i-- > 0;) {
		const struct saba_th_value *v = &th->values.v[i];

		if (strcmp(v->name, name) != 0)
			continue;
		if (value != NULL)
			*value = v->value;
		if (time != NULL)
			*time = v->time;
		if (custom_identifier != NULL)
			*custom_identifier = v->ci;
		return 1;
	}
	return 0;
}

int saba_test_value(struct saba_test_host *th, const char *name, double *value)
{
	return saba_test_value_ex(th, name, value, NULL, NULL);
}

const char *saba_test_value_at(struct saba_test_host *th, size_t i, double *value)
{
	if (i >= th->values.n)
		return NULL;
	if (value != NULL)
		*value = th->values.v[i].value;
	return th->values.v[i].name;
}

size_t saba_test_ndropped(struct saba_test_host *th)
{
	return saba_th_size(th, &th->ndropped);
}

const char *saba_test_spec(struct saba_test_host *th, const char *path)
{
	struct saba_th_event *e;

	for (size_t i = 0; (e = saba_th_nth(th, SABA_TH_SPEC, i)) != NULL; i++) {
		if (strcmp(e->key, path) == 0)
			return e->text;
	}
	return NULL;
}

size_t saba_test_nspecs(struct saba_test_host *th)
{
	return saba_th_count_locked(th, SABA_TH_SPEC);
}

size_t saba_test_nlogs(struct saba_test_host *th)
{
	return saba_th_count_locked(th, SABA_TH_LOG);
}

const char *saba_test_log_at(struct saba_test_host *th, size_t i, int *level)
{
	struct saba_th_event *e = saba_th_nth(th, SABA_TH_LOG, i);

	if (e != NULL && level != NULL)
		*level = e->num;
	return e ? e->text : NULL;
}

size_t saba_test_log_count(struct saba_test_host *th, int max_level, const char *needle)
{
	size_t n = 0;

	pthread_mutex_lock(&th->lock);
	for (size_t i = 0; i < th->events.n; i++) {
		const struct saba_th_event *e = &th->events.v[i];

		n += e->type == SABA_TH_LOG && e->num <= max_level &&
		     (needle == NULL || strstr(e->text, needle) != NULL);
	}
	pthread_mutex_unlock(&th->lock);
	return n;
}

size_t saba_test_nconfig_errors(struct saba_test_host *th)
{
	return saba_th_count_locked(th, SABA_TH_CFGERR);
}

const char *saba_test_config_error_at(struct saba_test_host *th, size_t i, const char **key)
{
	struct saba_th_event *e = saba_th_nth(th, SABA_TH_CFGERR, i);

	if (e != NULL && key != NULL)
		*key = e->key;
	return e ? e->text : NULL;
}

size_t saba_test_nretires(struct saba_test_host *th)
{
	return saba_th_count_locked(th, SABA_TH_RETIRE);
}

int saba_test_retire_at(struct saba_test_host *th, size_t i, const char **reason, int *result)
{
	struct saba_th_event *e = saba_th_nth(th, SABA_TH_RETIRE, i);

	if (e == NULL)
		return -1;
	if (reason != NULL)
		*reason = e->text;
	if (result != NULL)
		*result = e->num2;
	return e->num;
}

size_t saba_test_ngraph_defs(struct saba_test_host *th)
{
	return saba_th_count_locked(th, SABA_TH_GRAPHS);
}

const char *saba_test_graph_defs_at(struct saba_test_host *th, size_t i)
{
	struct saba_th_event *e = saba_th_nth(th, SABA_TH_GRAPHS, i);

	return e ? e->text : NULL;
}

size_t saba_test_nchecks(struct saba_test_host *th)
{
	return saba_th_size(th, &th->checks.n);
}

int saba_test_check_at(struct saba_test_host *th, size_t i, struct saba_check_report *out)
{
	int found;

	pthread_mutex_lock(&th->lock);
	found = i < th->checks.n;
	if (found)
		*out = th->checks.v[i];
	pthread_mutex_unlock(&th->lock);
	return found;
}

size_t saba_test_napi_requests(struct saba_test_host *th)
{
	return saba_th_count_locked(th, SABA_TH_API);
}

const char *saba_test_api_request_at(struct saba_test_host *th, size_t i, const char **method,
				     const char **body, long *status)
{
	struct saba_th_event *e = saba_th_nth(th, SABA_TH_API, i);

	if (e == NULL)
		return NULL;
	if (method != NULL)
		*method = e->key;
	if (body != NULL)
		*body = e->extra;
	if (status != NULL)
		*status = e->lnum;
	return e->text;
}

size_t saba_test_nretire_hosts(struct saba_test_host *th)
{
	return saba_th_count_locked(th, SABA_TH_RETIRE_HOST);
}

const char *saba_test_retire_host_at(struct saba_test_host *th, size_t i, int *kind,
				     const char **reason, int *result)
{
	struct saba_th_event *e = saba_th_nth(th, SABA_TH_RETIRE_HOST, i);

	if (e == NULL)
		return NULL;
	if (kind != NULL)
		*kind = e->num;
	if (reason != NULL)
		*reason = e->text;
	if (result != NULL)
		*result = e->num2;
	return e->key;
}

size_t saba_test_misuse(struct saba_test_host *th)
{
	return saba_th_size(th, &th->nmisuse);
}
