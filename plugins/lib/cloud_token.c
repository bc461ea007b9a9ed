/* Bearer tokens from a metadata service, and API calls with them; see
 * cloud_token.h. */
#define _GNU_SOURCE /* explicit_bzero */

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "clock.h"
#include "cloud_text.h"
#include "cloud_token.h"

#define SABA_TOKEN_SLACK_S   60 /* renew this long before expiry */
#define SABA_TOKEN_MAX_LEN   (16 * 1024)
#define SABA_API_BACKOFF_MS  250
#define SABA_API_BACKOFF_CAP 4000
#define SABA_API_MAX_HEADERS 7

struct saba_cloud_token {
	char *url;
	char *header;
	long timeout_ms;
	const int *abort;
	pthread_mutex_t lock; /* token, until_ms */
	char *token;
	int64_t until_ms; /* monotonic; use the token before this */
};

static void saba_token_wipe(char *s)
{
	if (s != NULL) {
		explicit_bzero(s, strlen(s));
		free(s);
	}
}

int saba_cloud_token_parse(const char *body, size_t len, char **token, long *expires_in, char *err,
			   size_t err_len)
{
	json_t *doc = body != NULL ? json_loadb(body, len, 0, NULL) : NULL;
	json_t *exp = json_object_get(doc, "expires_in");
	const char *tok = saba_cloud_json_str(doc, "access_token");
	const char *type = saba_cloud_json_str(doc, "token_type");
	long secs = 0;
	int rc = -1;

	*token = NULL;
	*expires_in = 0;
	if (json_is_integer(exp) && json_integer_value(exp) > 0 &&
	    json_integer_value(exp) < 366L * 86400) {
		secs = (long)json_integer_value(exp);
	} else if (json_is_string(exp)) {
		/* IMDS writes "3599" */
		const char *s = json_string_value(exp);

		if (saba_cloud_token_ok(s, 8, "0123456789"))
			secs = strtol(s, NULL, 10);
	}
	/* A token goes into a header: printable ASCII, no spaces. */
	if (tok == NULL || *tok == '\0' || strlen(tok) > SABA_TOKEN_MAX_LEN ||
	    strspn(tok, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~+/=") !=
		    strlen(tok) ||
	    (type != NULL && strcasecmp(type, "Bearer") != 0)) {
		snprintf(err, err_len, "the token answer is not a usable bearer token");
		goto out;
	}
	if ((*token = strdup(tok)) == NULL) {
		snprintf(err, err_len, "out of memory");
		goto out;
	}
	*expires_in = secs;
	rc = 0;
out:
	json_decref(doc); /* jansson does not wipe; the copy is wiped by its owner */
	return rc;
}

struct saba_cloud_token *saba_cloud_token_new(const char *url, const char *header, long timeout_ms,
					      const int *abort)
{
	struct saba_cloud_token *t = calloc(1, sizeof(*t));

	if (t == NULL)
		return NULL;
	t->url = strdup(url);
	t->header = strdup(header);
	t->timeout_ms = timeout_ms;
	t->abort = abort;
	pthread_mutex_init(&t->lock, NULL);
	if (t->url == NULL || t->header == NULL) {
		saba_cloud_token_free(t);
		return NULL;
	}
	return t;
}

void saba_cloud_token_free(struct saba_cloud_token *t)
{
	if (t == NULL)
		return;
	saba_token_wipe(t->token);
	pthread_mutex_destroy(&t->lock);
	free(t->url);
	free(t->header);
	free(t);
}

/* A copy of a usable token: the cached one unless it is stale (the API
 * refused it) or expiring, else a new one.  NULL with err. */
static char *saba_token_get(struct saba_cloud_token *t, const char *stale, char *err,
			    size_t err_len)
{
	const char *headers[] = {t->header, NULL};
	struct saba_cloud_request rq = {
		.url = t->url,
		.headers = headers,
		.timeout_ms = t->timeout_ms,
		.metadata = 1,
		.max_body = 64 * 1024,
		.abort = t->abort,
		.error_key = "code",
	};
	struct saba_cloud_response rs;
	char ferr[200] = "", *fresh = NULL, *copy = NULL;
	long secs = 0;

	pthread_mutex_lock(&t->lock);
	if (t->token != NULL && saba_clock_ms() < t->until_ms &&
	    (stale == NULL || strcmp(stale, t->token) != 0)) {
		copy = strdup(t->token);
		if (copy == NULL)
			snprintf(err, err_len, "out of memory");
		goto out;
	}
	if (saba_cloud_fetch(&rq, &rs, ferr, sizeof(ferr)) != 200) {
		snprintf(err, err_len, "no token from the metadata service: %s", ferr);
	} else if (saba_cloud_token_parse(rs.body.data, rs.body.len, &fresh, &secs, err, err_len) ==
		   0) {
		saba_token_wipe(t->token);
		t->token = fresh;
		/* Without a lifetime it is used for this call only. */
		t->until_ms = secs > 0 ? saba_clock_ms() + (secs - (secs / 2 < SABA_TOKEN_SLACK_S
									    ? secs / 2
									    : SABA_TOKEN_SLACK_S)) *
								   1000LL
				       : 0;
		copy = strdup(fresh);
		if (copy == NULL)
			snprintf(err, err_len, "out of memory");
	}
	if (rs.body.data != NULL)
		explicit_bzero(rs.body.data, rs.body.len);
	free(rs.body.data);
out:
	pthread_mutex_unlock(&t->lock);
	return copy;
}

long saba_cloud_api(struct saba_cloud_token *t, const struct saba_cloud_request *rq,
		    int64_t deadline_ms, struct saba_cloud_response *rs, uint64_t *requests,
		    char *err, size_t err_len)
{
	const char *headers[SABA_API_MAX_HEADERS + 2];
	struct saba_cloud_request r = *rq;
	unsigned int seed = (unsigned int)saba_clock_ms() ^ (unsigned int)(uintptr_t)rs;
	char *token = NULL, *auth = NULL;
	size_t nh = 0;
	int refused = 0, renewed = 0;
	long status = -1;

	memset(rs, 0, sizeof(*rs));
	rs->status = -1;
	for (; rq->headers != NULL && rq->headers[nh] != NULL; nh++) {
		if (nh == SABA_API_MAX_HEADERS) {
			snprintf(err, err_len, "too many request headers");
			return -1;
		}
		headers[nh] = rq->headers[nh];
	}
	headers[nh + 1] = NULL;
	r.headers = headers;
	for (int attempt = 0;; attempt++) {
		int64_t left = deadline_ms - saba_clock_ms(), wait;
		char *fresh;
		size_t al;

		if (left <= 0) {
			snprintf(err, err_len, "the deadline passed");
			status = -1;
			break;
		}
		fresh = saba_token_get(t, refused ? token : NULL, err, err_len);
		refused = 0;
		if (fresh == NULL) {
			status = -1;
			break;
		}
		saba_token_wipe(token);
		token = fresh;
		al = strlen(token) + 32;
		saba_token_wipe(auth);
		if ((auth = malloc(al)) == NULL) {
			snprintf(err, err_len, "out of memory");
			status = -1;
			break;
		}
		snprintf(auth, al, "Authorization: Bearer %s", token);
		headers[nh] = auth;
		r.timeout_ms = left < rq->timeout_ms ? (long)left : rq->timeout_ms;
		free(rs->body.data);
		status = saba_cloud_fetch(&r, rs, err, err_len);
		if (requests != NULL)
			__atomic_fetch_add(requests, 1, __ATOMIC_RELAXED);
		if (status == 401 && !renewed) {
			/* expired or revoked: one new token */
			refused = renewed = 1;
			continue;
		}
		if (status != 429 && status < 500)
			break;
		wait = SABA_API_BACKOFF_MS << (attempt < 4 ? attempt : 4);
		wait = (wait > SABA_API_BACKOFF_CAP ? SABA_API_BACKOFF_CAP : wait) / 2;
		wait += (int64_t)(rand_r(&seed) % (unsigned int)(wait + 1));
		if (saba_clock_ms() + wait >= deadline_ms)
			break;
		if (saba_cloud_sleep(wait, rq->abort)) {
			snprintf(err, err_len, "stopping");
			break;
		}
	}
	saba_token_wipe(auth);
	saba_token_wipe(token);
	return status;
}
