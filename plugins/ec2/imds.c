/* IMDSv2 client; see imds.h.  One session token per client, cached
 * until shortly before its TTL ends and replaced after a 401; each request
 * uses an easy handle of its own so the poller and confirm_retire do not
 * wait for each other's transfers, only for a token being fetched. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "imds.h"
#include "lib/clock.h"

#define SABA_IMDS_TOKEN_TTL   21600	   /* seconds: the longest IMDS allows */
#define SABA_IMDS_TOKEN_SLACK (30 * 60)	   /* renew this long before expiry */
#define SABA_IMDS_MAX_BODY    (256 * 1024) /* metadata items are small */

struct saba_imds {
	char *endpoint; /* without a trailing slash */
	long timeout_ms;
	pthread_mutex_t lock; /* token and token_until */
	char *token;
	int64_t token_until; /* monotonic ms; renew after this */
	int aborted;	     /* atomic: set by saba_imds_abort() */
};

int saba_ec2_buf_append(struct saba_ec2_buf *b, const char *data, size_t n, size_t max)
{
	char *grown;

	if (n > max || b->len > max - n)
		return -1;
	grown = realloc(b->data, b->len + n + 1);
	if (grown == NULL)
		return -1;
	b->data = grown;
	memcpy(b->data + b->len, data, n);
	b->len += n;
	b->data[b->len] = '\0';
	return 0;
}

static size_t saba_imds_on_body(char *data, size_t size, size_t nmemb, void *userp)
{
	size_t n = size * nmemb;

	/* A short count aborts the transfer: a runaway answer. */
	return saba_ec2_buf_append(userp, data, n, SABA_IMDS_MAX_BODY) == 0 ? n : 0;
}

/* Lets saba_imds_abort() end a transfer in flight. */
static int saba_imds_on_progress(void *userp, curl_off_t dt, curl_off_t dn, curl_off_t ut,
				 curl_off_t un)
{
	struct saba_imds *m = userp;

	return __atomic_load_n(&m->aborted, __ATOMIC_RELAXED);
}

struct saba_imds *saba_imds_new(const char *endpoint, long timeout_ms)
{
	struct saba_imds *m;
	size_t n;

	if (endpoint == NULL || timeout_ms <= 0)
		return NULL;
	m = calloc(1, sizeof(*m));
	if (m == NULL || (m->endpoint = strdup(endpoint)) == NULL) {
		free(m);
		return NULL;
	}
	n = strlen(m->endpoint);
	while (n > 0 && m->endpoint[n - 1] == '/')
		m->endpoint[--n] = '\0';
	m->timeout_ms = timeout_ms;
	pthread_mutex_init(&m->lock, NULL);
	return m;
}

void saba_imds_free(struct saba_imds *m)
{
	if (m == NULL)
		return;
	pthread_mutex_destroy(&m->lock);
	free(m->endpoint);
	free(m->token);
	free(m);
}

void saba_imds_abort(struct saba_imds *m)
{
	if (m != NULL)
		__atomic_store_n(&m->aborted, 1, __ATOMIC_RELAXED);
}

/* One request: method "GET" or "PUT", extra header (may be NULL).  Returns
 * the HTTP status or -1 (err set); the body is in *out (caller frees). */
static long saba_imds_do(struct saba_imds *m, const char *method, const char *path,
			 const char *header, struct saba_ec2_buf *out, char *err, size_t err_len)
{
	struct curl_slist *headers = NULL;
	char *url = NULL;
	CURL *curl = NULL;
	CURLcode rc;
	long status = -1;
	size_t ulen;

	out->data = NULL;
	out->len = 0;
	if (__atomic_load_n(&m->aborted, __ATOMIC_RELAXED)) {
		snprintf(err, err_len, "IMDS: stopping");
		goto out;
	}
	ulen = strlen(m->endpoint) + strlen(path) + 16;
	url = malloc(ulen);
	curl = curl_easy_init();
	if (url == NULL || curl == NULL) {
		snprintf(err, err_len, "IMDS: out of memory");
		goto out;
	}
	snprintf(url, ulen, "%s/latest/%s", m->endpoint, path);
	if (header != NULL && (headers = curl_slist_append(NULL, header)) == NULL) {
		snprintf(err, err_len, "IMDS: out of memory");
		goto out;
	}
	curl_easy_setopt(curl, CURLOPT_URL, url);
	if (strcmp(method, "PUT") == 0) {
		/* An empty body, as a plain PUT: no Expect: 100-continue. */
		curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, "PUT");
		curl_easy_setopt(curl, CURLOPT_POSTFIELDS, "");
		curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, 0L);
	} else {
		curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L);
	}
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
	/* Metadata is link-local: never through a proxy, never redirected. */
	curl_easy_setopt(curl, CURLOPT_PROXY, "");
	curl_easy_setopt(curl, CURLOPT_NOPROXY, "*");
	curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, m->timeout_ms);
	curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, m->timeout_ms);
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(curl, CURLOPT_USERAGENT, "saba-agent-ec2");
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, saba_imds_on_body);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, out);
	curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, saba_imds_on_progress);
	curl_easy_setopt(curl, CURLOPT_XFERINFODATA, m);
	curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
	rc = curl_easy_perform(curl);
	if (rc != CURLE_OK) {
		snprintf(err, err_len, "IMDS %s /latest/%s: %s", method, path,
			 __atomic_load_n(&m->aborted, __ATOMIC_RELAXED) ? "stopping"
									: curl_easy_strerror(rc));
		free(out->data);
		out->data = NULL;
		goto out;
	}
	curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
out:
	curl_slist_free_all(headers);
	if (curl != NULL)
		curl_easy_cleanup(curl);
	free(url);
	return status;
}

/* The cached token, or a new one (when stale is the cached one, it is
 * replaced even if not expired: IMDS refused it).  Returns a malloc'd copy
 * or NULL (err set). */
static char *saba_imds_token(struct saba_imds *m, const char *stale, char *err, size_t err_len)
{
	struct saba_ec2_buf b;
	char header[64], *copy = NULL;
	long status;

	pthread_mutex_lock(&m->lock);
	if (m->token != NULL && saba_clock_ms() < m->token_until &&
	    (stale == NULL || strcmp(stale, m->token) != 0)) {
		copy = strdup(m->token);
		goto out;
	}
	snprintf(header, sizeof(header), "X-aws-ec2-metadata-token-ttl-seconds: %d",
		 SABA_IMDS_TOKEN_TTL);
	status = saba_imds_do(m, "PUT", "api/token", header, &b, err, err_len);
	if (status != 200 || b.data == NULL || b.len == 0 || strchr(b.data, '\n') != NULL) {
		if (status >= 0)
			snprintf(err, err_len, "IMDS token: HTTP %ld%s", status,
				 status == 200 ? " with an unusable token" : "");
		free(b.data);
		goto out;
	}
	free(m->token);
	m->token = b.data;
	m->token_until = saba_clock_ms() + (SABA_IMDS_TOKEN_TTL - SABA_IMDS_TOKEN_SLACK) * 1000LL;
	copy = strdup(m->token);
out:
	pthread_mutex_unlock(&m->lock);
	return copy;
}

long saba_imds_get(struct saba_imds *m, const char *path, char **body, char *err, size_t err_len)
{
	struct saba_ec2_buf b = {0};
	char *token = NULL, *header = NULL;
	long status = -1;

	*body = NULL;
	if (err_len > 0)
		err[0] = '\0';
	if (m == NULL || path == NULL || *path == '/' || strpbrk(path, " \r\n?#") != NULL) {
		snprintf(err, err_len, "IMDS: invalid path");
		return -1;
	}
	/* A second round only after a 401: the token expired or IMDS was
	 * restarted; a fresh one is fetched once. */
	for (int round = 0; round < 2; round++) {
		char *fresh = saba_imds_token(m, token, err, err_len);
		size_t hl;

		free(token);
		token = fresh;
		if (token == NULL) {
			status = -1;
			break;
		}
		hl = strlen(token) + 32;
		free(header);
		header = malloc(hl);
		if (header == NULL) {
			snprintf(err, err_len, "IMDS: out of memory");
			status = -1;
			break;
		}
		snprintf(header, hl, "X-aws-ec2-metadata-token: %s", token);
		free(b.data);
		status = saba_imds_do(m, "GET", path, header, &b, err, err_len);
		if (status != 401)
			break;
	}
	if (status == 200) {
		*body = b.data != NULL ? b.data : strdup("");
		b.data = NULL;
		if (*body == NULL) {
			snprintf(err, err_len, "IMDS: out of memory");
			status = -1;
		}
	} else if (status > 0) {
		snprintf(err, err_len, "IMDS GET /latest/%s: HTTP %ld", path, status);
	}
	free(b.data);
	free(header);
	free(token);
	return status;
}
