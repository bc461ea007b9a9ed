#include "config.h"

#include <curl/curl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http_transport.h"

/* Responses bigger than this are cut off: the API never sends more. */
#define SABA_HTTP_MAX_BODY (8u << 20)
/* A Retry-After beyond this is taken as this many seconds. */
#define SABA_HTTP_MAX_RETRY_AFTER 3600

struct saba_curl_conn {
	CURL *curl;
	struct curl_slist *headers;
};

struct saba_curl_call {
	const struct saba_http_request *req;
	struct saba_http_result *r;
	int oom;
};

static int saba_curl_global_init(void)
{
	return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -1;
}

static void saba_curl_global_cleanup(void)
{
	curl_global_cleanup();
}

static void saba_curl_conn_free(void *conn)
{
	struct saba_curl_conn *c = conn;

	if (c == NULL)
		return;
	if (c->curl != NULL)
		curl_easy_cleanup(c->curl);
	curl_slist_free_all(c->headers);
	free(c);
}

static int saba_curl_header(struct saba_curl_conn *c, const char *line)
{
	struct curl_slist *l = curl_slist_append(c->headers, line);

	if (l == NULL)
		return -1;
	c->headers = l;
	return 0;
}

static void *saba_curl_conn_new(const char *apikey)
{
	struct saba_curl_conn *c = calloc(1, sizeof(*c));
	int rc = 0;

	if (c == NULL)
		return NULL;
	c->curl = curl_easy_init();
	if (c->curl == NULL)
		goto fail;
	if (apikey != NULL) {
		size_t n = strlen(apikey) + sizeof("X-Api-Key: ");
		char *hdr = malloc(n);

		if (hdr == NULL)
			goto fail;
		snprintf(hdr, n, "X-Api-Key: %s", apikey);
		rc |= saba_curl_header(c, hdr);
		/* The key never lingers in freed memory. */
		memset(hdr, 0, n);
		free(hdr);
	}
	rc |= saba_curl_header(c, "Content-Type: application/json");
	rc |= saba_curl_header(c, "Accept: application/json");
	rc |= saba_curl_header(c, "Expect:");
	if (rc != 0)
		goto fail;
	return c;
fail:
	saba_curl_conn_free(c);
	return NULL;
}

static size_t saba_curl_on_body(char *data, size_t size, size_t nmemb, void *userp)
{
	struct saba_curl_call *call = userp;
	struct saba_http_result *r = call->r;
	size_t n = size * nmemb;
	char *body;

	if (call->req->sink != NULL)
		return call->req->sink(call->req->sink_arg, data, n) == 0 ? n : 0;
	if (r->len + n > SABA_HTTP_MAX_BODY)
		return 0; /* aborts the transfer: a runaway response */
	body = realloc(r->body, r->len + n + 1);
	if (body == NULL) {
		call->oom = 1;
		return 0;
	}
	r->body = body;
	memcpy(r->body + r->len, data, n);
	r->len += n;
	r->body[r->len] = '\0';
	return n;
}

static size_t saba_curl_on_header(char *data, size_t size, size_t nmemb, void *userp)
{
	struct saba_curl_call *call = userp;
	size_t n = size * nmemb;
	static const char name[] = "retry-after:";

	if (n > sizeof(name) && strncasecmp(data, name, sizeof(name) - 1) == 0) {
		struct saba_http_result *r = call->r;
		char buf[32], *end;
		size_t vl = n - (sizeof(name) - 1);
		long v;

		if (vl >= sizeof(buf))
			vl = sizeof(buf) - 1;
		memcpy(buf, data + sizeof(name) - 1, vl);
		buf[vl] = '\0';
		/* Only the delta-seconds form; an HTTP date falls back to backoff.
		 * Capped: callers wait retry_after * 1000 ms. */
		errno = 0;
		v = strtol(buf, &end, 10);
		if (end == buf || v < 0)
			r->retry_after = -1;
		else if (errno == ERANGE || v > SABA_HTTP_MAX_RETRY_AFTER)
			r->retry_after = SABA_HTTP_MAX_RETRY_AFTER;
		else
			r->retry_after = v;
	}
	return n;
}

/* libcurl calls this about once a second even while waiting: a stop must
 * not wait for a hung API. */
static int saba_curl_on_progress(void *userp, curl_off_t dltotal, curl_off_t dlnow,
				 curl_off_t ultotal, curl_off_t ulnow)
{
	const struct saba_http_request *req = ((struct saba_curl_call *)userp)->req;

	(void)dltotal;
	(void)dlnow;
	(void)ultotal;
	(void)ulnow;
	return req->should_abort != NULL && req->should_abort(req->abort_arg);
}

static int saba_curl_perform(void *conn, const struct saba_http_request *req,
			     struct saba_http_result *r)
{
	struct saba_curl_conn *c = conn;
	struct saba_curl_call call = {.req = req, .r = r};
	CURL *h = c->curl;
	CURLcode rc;

	curl_easy_reset(h);
	curl_easy_setopt(h, CURLOPT_URL, req->url);
	curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, req->method);
	if (req->body != NULL) {
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, req->body);
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)strlen(req->body));
	} else if (strcmp(req->method, "GET") == 0) {
		curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
	}
	if (req->fresh_connection)
		curl_easy_setopt(h, CURLOPT_FRESH_CONNECT, 1L);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, c->headers);
	curl_easy_setopt(h, CURLOPT_USERAGENT, "saba-agent/" PACKAGE_VERSION);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, req->timeout_ms);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, req->timeout_ms);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	/* Like upstream: HTTP/1.1 only. */
	curl_easy_setopt(h, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
	if (req->ca_file != NULL && *req->ca_file != '\0')
		curl_easy_setopt(h, CURLOPT_CAINFO, req->ca_file);
	if (req->proxy != NULL && *req->proxy != '\0')
		curl_easy_setopt(h, CURLOPT_PROXY, req->proxy);
	if (req->no_keep_alive)
		curl_easy_setopt(h, CURLOPT_FORBID_REUSE, 1L);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, saba_curl_on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &call);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, saba_curl_on_header);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, &call);
	if (req->should_abort != NULL) {
		curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, saba_curl_on_progress);
		curl_easy_setopt(h, CURLOPT_XFERINFODATA, &call);
		curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
	}

	rc = curl_easy_perform(h);
	if (rc != CURLE_OK) {
		snprintf(r->error, sizeof(r->error), "%s",
			 call.oom ? "out of memory" : curl_easy_strerror(rc));
		r->status = 0;
		r->permanent = rc == CURLE_URL_MALFORMAT || rc == CURLE_UNSUPPORTED_PROTOCOL ||
			       rc == CURLE_NOT_BUILT_IN || rc == CURLE_SSL_CACERT_BADFILE;
		return -1;
	}
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &r->status);
	return 0;
}

static const char *saba_curl_version(void)
{
	return curl_version_info(CURLVERSION_NOW)->version;
}

static const struct saba_http_transport saba_curl_transport = {
	.version = SABA_HTTP_TRANSPORT_VERSION,
	.struct_size = sizeof(struct saba_http_transport),
	.build = PACKAGE_VERSION,
	.global_init = saba_curl_global_init,
	.global_cleanup = saba_curl_global_cleanup,
	.conn_new = saba_curl_conn_new,
	.conn_free = saba_curl_conn_free,
	.perform = saba_curl_perform,
	.curl_version = saba_curl_version,
};

__attribute__((visibility("default"))) const struct saba_http_transport *
saba_http_transport_entry(void)
{
	return &saba_curl_transport;
}
