/* One HTTP request for the cloud plugins; see cloud_http.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>

#include "cloud_http.h"
#include "cloud_text.h"
#include "clock.h"

#define SABA_CLOUD_MAX_BODY (1024 * 1024)

int saba_cloud_buf_append(struct saba_cloud_buf *b, const char *data, size_t n, size_t max)
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

static int saba_cloud_aborted(const int *abort)
{
	return abort != NULL && __atomic_load_n(abort, __ATOMIC_RELAXED) != 0;
}

int saba_cloud_sleep(int64_t ms, const int *abort)
{
	int64_t until = saba_clock_ms() + ms;

	for (;;) {
		int64_t left = until - saba_clock_ms();
		struct timespec ts = {0, 0};

		if (saba_cloud_aborted(abort))
			return 1;
		if (left <= 0)
			return 0;
		ts.tv_nsec = (left < 50 ? left : 50) * 1000000L;
		nanosleep(&ts, NULL);
	}
}

/* Where the transfer writes: the answer, bounded. */
struct saba_cloud_xfer {
	const struct saba_cloud_request *rq;
	struct saba_cloud_response *rs;
	int too_long;
};

static size_t saba_cloud_on_body(char *data, size_t size, size_t nmemb, void *userp)
{
	struct saba_cloud_xfer *x = userp;
	size_t n = size * nmemb, max = x->rq->max_body ? x->rq->max_body : SABA_CLOUD_MAX_BODY;

	if (saba_cloud_buf_append(&x->rs->body, data, n, max) != 0) {
		x->too_long = 1;
		return 0; /* a short count ends the transfer */
	}
	return n;
}

/* Keeps the value of the header the caller wants (the last one wins). */
static size_t saba_cloud_on_header(char *data, size_t size, size_t nmemb, void *userp)
{
	struct saba_cloud_xfer *x = userp;
	size_t n = size * nmemb, name = x->rq->want_header ? strlen(x->rq->want_header) : 0;

	if (name > 0 && n > name && data[name] == ':' &&
	    strncasecmp(data, x->rq->want_header, name) == 0) {
		const char *v = data + name + 1;
		size_t vl = n - name - 1;

		while (vl > 0 && (*v == ' ' || *v == '\t'))
			v++, vl--;
		while (vl > 0 && (v[vl - 1] == '\r' || v[vl - 1] == '\n' || v[vl - 1] == ' '))
			vl--;
		if (vl >= sizeof(x->rs->header))
			vl = sizeof(x->rs->header) - 1;
		memcpy(x->rs->header, v, vl);
		x->rs->header[vl] = '\0';
	}
	return n;
}

static int saba_cloud_on_progress(void *userp, curl_off_t dt, curl_off_t dn, curl_off_t ut,
				  curl_off_t un)
{
	struct saba_cloud_xfer *x = userp;

	return saba_cloud_aborted(x->rq->abort);
}

long saba_cloud_fetch(const struct saba_cloud_request *rq, struct saba_cloud_response *rs,
		      char *err, size_t err_len)
{
	struct saba_cloud_xfer x = {rq, rs, 0};
	const char *method = rq->method != NULL ? rq->method : "GET";
	struct curl_slist *headers = NULL;
	CURL *curl = NULL;
	CURLcode rc;

	memset(rs, 0, sizeof(*rs));
	rs->status = -1;
	if (saba_cloud_aborted(rq->abort)) {
		snprintf(err, err_len, "stopping");
		return -1;
	}
	for (size_t i = 0; rq->headers != NULL && rq->headers[i] != NULL; i++) {
		struct curl_slist *h = curl_slist_append(headers, rq->headers[i]);

		if (h == NULL) {
			snprintf(err, err_len, "out of memory");
			goto out;
		}
		headers = h;
	}
	curl = curl_easy_init();
	if (curl == NULL) {
		snprintf(err, err_len, "out of memory");
		goto out;
	}
	curl_easy_setopt(curl, CURLOPT_URL, rq->url);
	if (strcmp(method, "GET") == 0) {
		curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L);
	} else {
		/* The body as it is: no Expect: 100-continue for a small one. */
		curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method);
		curl_easy_setopt(curl, CURLOPT_POSTFIELDS, rq->body != NULL ? rq->body : "");
		curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE,
				 (long)(rq->body != NULL ? strlen(rq->body) : 0));
	}
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
	if (rq->metadata) {
		/* Link-local metadata: never through a proxy. */
		curl_easy_setopt(curl, CURLOPT_PROXY, "");
		curl_easy_setopt(curl, CURLOPT_NOPROXY, "*");
	}
	curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, rq->timeout_ms);
	curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, rq->timeout_ms);
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(curl, CURLOPT_USERAGENT,
			 rq->user_agent != NULL ? rq->user_agent : "saba-agent");
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, saba_cloud_on_body);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, &x);
	curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, saba_cloud_on_header);
	curl_easy_setopt(curl, CURLOPT_HEADERDATA, &x);
	curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, saba_cloud_on_progress);
	curl_easy_setopt(curl, CURLOPT_XFERINFODATA, &x);
	curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
	rc = curl_easy_perform(curl);
	if (rc != CURLE_OK) {
		snprintf(err, err_len, "%s",
			 saba_cloud_aborted(rq->abort) ? "stopping"
			 : x.too_long		       ? "the answer is too long"
						       : curl_easy_strerror(rc));
		free(rs->body.data);
		memset(&rs->body, 0, sizeof(rs->body));
		goto out;
	}
	curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &rs->status);
	if (rs->body.data == NULL && saba_cloud_buf_append(&rs->body, "", 0, 1) != 0) {
		snprintf(err, err_len, "out of memory");
		rs->status = -1;
	} else if (rs->status != 200 && rq->error_key != NULL) {
		saba_cloud_api_error(rs->status, rs->body.data, rs->body.len, rq->error_key, err,
				     err_len);
	}
out:
	curl_slist_free_all(headers);
	if (curl != NULL)
		curl_easy_cleanup(curl);
	return rs->status;
}
