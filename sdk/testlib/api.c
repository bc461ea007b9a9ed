/*
 * libsaba-plugin-test: the ABI 1.2 host functions.  api_request() answers
 * from canned answers the test queued instead of the network;
 * retire_host() applies the agent's fixed rules, then the scripted result.
 * Both record every request for the test to read back.
 */
#define _GNU_SOURCE

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "api.h"

/* Write an error text into the plugin's buffer, which may be absent. */
static void saba_th_err(char *err, size_t err_len, const char *fmt, ...) SABA_PRINTF(3, 4);
static void saba_th_err(char *err, size_t err_len, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || err_len == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, err_len, fmt, ap);
	va_end(ap);
}

/* Check a request against the header's contract; 0, or misuse (counted
 * and logged).  Caller holds the lock. */
static int saba_th_check_request(struct saba_test_host *th, const char *method, const char *path,
				 const char *body)
{
	json_t *doc;

	/* it may take the whole HTTP timeout: collect() must not wait */
	if (th->in_collect && pthread_equal(th->collect_thread, pthread_self()))
		return saba_th_misuse(th, "api_request() from collect():", path);
	if (method == NULL || (strcmp(method, "GET") != 0 && strcmp(method, "POST") != 0 &&
			       strcmp(method, "PUT") != 0))
		return saba_th_misuse(th, "api_request(): method is not GET, POST or PUT:", method);
	if (path == NULL || path[0] != '/')
		return saba_th_misuse(th, "api_request(): not an absolute path:", path);
	if (body == NULL)
		return 0;
	doc = json_loads(body, JSON_DECODE_ANY, NULL);
	json_decref(doc);
	return doc == NULL ? saba_th_misuse(th, "api_request(): body is not JSON:", body) : 0;
}

/* The first unused answer for method and path, or NULL.  Caller holds
 * the lock. */
static struct saba_th_answer *saba_th_answer_for(struct saba_test_host *th, const char *method,
						 const char *path)
{
	for (size_t i = 0; i < th->answers.n; i++) {
		struct saba_th_answer *a = &th->answers.v[i];

		if (!a->used && (a->method == NULL || strcmp(a->method, method) == 0) &&
		    (a->path == NULL || strcmp(a->path, path) == 0))
			return a;
	}
	return NULL;
}

long saba_th_api_request(saba_ctx *ctx, const char *method, const char *path, const char *body,
			 int (*sink)(void *arg, const char *data, size_t len), void *sink_arg,
			 char *err, size_t err_len)
{
	struct saba_test_host *th = saba_th_of(ctx);
	struct saba_th_answer *a;
	struct saba_th_event *e;
	char *reply = NULL;
	size_t chunk = 0, len, off;
	long status = -1;

	saba_th_err(err, err_len, "%s", "");
	pthread_mutex_lock(&th->lock);
	if (saba_th_check_request(th, method, path, body) != 0) {
		saba_th_err(err, err_len, "invalid request");
		goto out;
	}
	if (th->dry_run) {
		/* as the agent: nothing is sent, nothing recorded */
		saba_th_err(err, err_len, "dry-run: %s %s not sent", method, path);
		goto out;
	}
	a = saba_th_answer_for(th, method, path);
	if (a == NULL) {
		saba_th_logf(th, SABA_LOG_WARNING, "api_request: no canned answer for %s %s",
			     method, path);
		saba_th_err(err, err_len, "no canned answer for %s %s", method, path);
	} else {
		a->used = 1;
		status = a->status;
		if (status < 0)
			saba_th_err(err, err_len, "%s", a->body ? a->body : "no answer");
		else
			reply = saba_th_xstrdup(a->body);
	}
	e = saba_th_record(th, SABA_TH_API, 0, method, saba_th_xstrdup(path));
	e->extra = saba_th_xstrdup(body);
	e->lnum = status;
	chunk = th->api_chunk;
out:
	pthread_mutex_unlock(&th->lock);
	/* outside the lock: the sink may call the host (log, ...) */
	len = reply != NULL ? strlen(reply) : 0;
	if (chunk == 0)
		chunk = len;
	for (off = 0; sink != NULL && off < len; off += chunk) {
		if (sink(sink_arg, reply + off, len - off < chunk ? len - off : chunk) != 0)
			break;
	}
	free(reply);
	return status;
}

/* The agent's fixed rules, then the scripted result.  Caller holds the
 * lock. */
static int saba_th_retire_host_result(struct saba_test_host *th, const char *host_id, int kind)
{
	/* only a terminated machine retires another host */
	if (kind != SABA_STOP_TERMINATE)
		return SABA_RETIRE_DECLINED;
	/* the agent's own host is running: that is retire()'s job */
	if (th->host_id != NULL && strcmp(th->host_id, host_id) == 0)
		return SABA_RETIRE_DECLINED;
	return th->dry_run ? SABA_RETIRE_DRY_RUN : th->retire_host_result;
}

int saba_th_retire_host(saba_ctx *ctx, const char *host_id, const struct saba_retire_request *req)
{
	struct saba_test_host *th = saba_th_of(ctx);
	int result = SABA_RETIRE_DECLINED;

	pthread_mutex_lock(&th->lock);
	if (req == NULL || req->struct_size < sizeof(*req)) {
		saba_th_misuse(th, "retire_host(): request without struct_size", host_id);
	} else if (host_id == NULL || *host_id == '\0') {
		saba_th_misuse(th, "retire_host(): no host id", host_id);
	} else {
		result = saba_th_retire_host_result(th, host_id, req->kind);
		saba_th_record_retire(th, host_id, req, result);
	}
	pthread_mutex_unlock(&th->lock);
	return result;
}

void saba_test_api_answer(struct saba_test_host *th, const char *method, const char *path,
			  long status, const char *body)
{
	struct saba_th_answer *a;

	pthread_mutex_lock(&th->lock);
	SABA_TH_GROW(th->answers);
	a = &th->answers.v[th->answers.n++];
	a->method = saba_th_xstrdup(method);
	a->path = saba_th_xstrdup(path);
	a->body = saba_th_xstrdup(body);
	a->status = status < 0 ? -1 : status;
	a->used = 0;
	pthread_mutex_unlock(&th->lock);
}

void saba_test_set_api_chunk(struct saba_test_host *th, size_t bytes)
{
	pthread_mutex_lock(&th->lock);
	th->api_chunk = bytes;
	pthread_mutex_unlock(&th->lock);
}

void saba_th_answers_free(struct saba_test_host *th)
{
	for (size_t i = 0; i < th->answers.n; i++) {
		free(th->answers.v[i].method);
		free(th->answers.v[i].path);
		free(th->answers.v[i].body);
	}
	free(th->answers.v);
	th->answers.v = NULL;
	th->answers.n = th->answers.cap = 0;
}
