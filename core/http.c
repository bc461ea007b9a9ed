#include "config.h"

#include <curl/curl.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http.h"
#include "log.h"
#include "util.h"

/* Responses bigger than this are cut off: the API never sends more. */
#define SABA_HTTP_MAX_BODY (8u << 20)

struct saba_http {
	CURL *curl;
	struct saba_http_config cfg;
	char *origin; /* scheme://host[:port] */
	struct curl_slist *headers;
	int (*should_abort)(void *arg);
	void *abort_arg;
};

/* Dry-run lines from several threads must not interleave. */
static pthread_mutex_t saba_dry_run_lock = PTHREAD_MUTEX_INITIALIZER;

/* libcurl (and the TLS library under it) is initialised on first real use:
 * once, configtest and --dry-run never pay for it. */
static pthread_once_t saba_curl_once = PTHREAD_ONCE_INIT;
static int saba_curl_ok;

static void saba_curl_init(void)
{
	saba_curl_ok = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK;
}

void saba_http_global_cleanup(void)
{
	if (saba_curl_ok)
		curl_global_cleanup();
}

static char *saba_origin(const char *apibase)
{
	const char *p = strstr(apibase, "://");
	const char *slash = p != NULL ? strchr(p + 3, '/') : NULL;
	size_t n = slash != NULL ? (size_t)(slash - apibase) : strlen(apibase);
	char *o = saba_calloc(1, n + 1);

	memcpy(o, apibase, n);
	return o;
}

struct saba_http *saba_http_new(const struct saba_http_config *cfg)
{
	struct saba_http *h = saba_calloc(1, sizeof(*h));
	char *hdr;

	h->cfg = *cfg;
	h->origin = saba_origin(cfg->apibase != NULL ? cfg->apibase : "");
	if (cfg->dry_run)
		return h;
	pthread_once(&saba_curl_once, saba_curl_init);
	h->curl = saba_curl_ok ? curl_easy_init() : NULL;
	if (h->curl == NULL) {
		saba_err("cannot initialise libcurl");
		saba_http_free(h);
		return NULL;
	}
	if (cfg->apikey != NULL) {
		hdr = saba_asprintf("X-Api-Key: %s", cfg->apikey);
		h->headers = curl_slist_append(h->headers, hdr);
		free(hdr);
	}
	h->headers = curl_slist_append(h->headers, "Content-Type: application/json");
	h->headers = curl_slist_append(h->headers, "Accept: application/json");
	h->headers = curl_slist_append(h->headers, "Expect:");
	return h;
}

void saba_http_free(struct saba_http *h)
{
	if (h == NULL)
		return;
	if (h->curl != NULL)
		curl_easy_cleanup(h->curl);
	curl_slist_free_all(h->headers);
	free(h->origin);
	free(h);
}

void saba_http_result_clear(struct saba_http_result *r)
{
	free(r->body);
	memset(r, 0, sizeof(*r));
	r->retry_after = -1;
}

static size_t saba_on_body(char *data, size_t size, size_t nmemb, void *userp)
{
	struct saba_http_result *r = userp;
	size_t n = size * nmemb;

	if (r->len + n > SABA_HTTP_MAX_BODY)
		return 0; /* aborts the transfer: a runaway response */
	r->body = saba_realloc(r->body, r->len + n + 1);
	memcpy(r->body + r->len, data, n);
	r->len += n;
	r->body[r->len] = '\0';
	return n;
}

static size_t saba_on_header(char *data, size_t size, size_t nmemb, void *userp)
{
	struct saba_http_result *r = userp;
	size_t n = size * nmemb;
	static const char name[] = "retry-after:";

	if (n > sizeof(name) && strncasecmp(data, name, sizeof(name) - 1) == 0) {
		char buf[32];
		size_t vl = n - (sizeof(name) - 1);

		if (vl >= sizeof(buf))
			vl = sizeof(buf) - 1;
		memcpy(buf, data + sizeof(name) - 1, vl);
		buf[vl] = '\0';
		/* Only the delta-seconds form; an HTTP date falls back to backoff. */
		if (sscanf(buf, " %ld", &r->retry_after) != 1 || r->retry_after < 0)
			r->retry_after = -1;
	}
	return n;
}

void saba_http_set_abort(struct saba_http *h, int (*should_abort)(void *arg), void *arg)
{
	h->should_abort = should_abort;
	h->abort_arg = arg;
}

/* libcurl calls this about once a second even while waiting: a stop must
 * not wait for a hung API. */
static int saba_on_progress(void *userp, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
			    curl_off_t ulnow)
{
	struct saba_http *h = userp;

	return h->should_abort != NULL && h->should_abort(h->abort_arg);
}

static void saba_print_dry_run(const char *method, const char *path, const char *body)
{
	json_t *line = json_object();
	json_t *b = body != NULL ? json_loads(body, JSON_DECODE_ANY, NULL) : json_null();
	char *text;

	json_object_set_new(line, "method", json_string(method));
	json_object_set_new(line, "path", json_string(path));
	json_object_set_new(line, "body", b != NULL ? b : json_null());
	text = json_dumps(line, JSON_COMPACT | JSON_REAL_PRECISION(15));
	pthread_mutex_lock(&saba_dry_run_lock);
	printf("%s\n", text);
	fflush(stdout);
	pthread_mutex_unlock(&saba_dry_run_lock);
	free(text);
	json_decref(line);
}

int saba_http_do(struct saba_http *h, const char *method, const char *path, const char *body,
		 int64_t deadline_ms, struct saba_http_result *r)
{
	char *url = NULL;
	long timeout = h->cfg.timeout_ms;
	CURLcode rc;
	int ret = -1;

	saba_http_result_clear(r);
	if (h->cfg.dry_run) {
		saba_print_dry_run(method, path, body);
		r->dry_run = 1;
		r->status = 200;
		return 0;
	}
	if (deadline_ms > 0) {
		int64_t left = deadline_ms - saba_now_ms();

		if (left < timeout)
			timeout = (long)left;
		if (timeout <= 0) {
			snprintf(r->error, sizeof(r->error), "deadline passed before the request");
			return -1;
		}
	}
	url = saba_asprintf("%s%s", h->origin, path);
	curl_easy_reset(h->curl);
	curl_easy_setopt(h->curl, CURLOPT_URL, url);
	curl_easy_setopt(h->curl, CURLOPT_CUSTOMREQUEST, method);
	if (body != NULL) {
		curl_easy_setopt(h->curl, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(h->curl, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
	} else if (strcmp(method, "GET") == 0) {
		curl_easy_setopt(h->curl, CURLOPT_HTTPGET, 1L);
	}
	curl_easy_setopt(h->curl, CURLOPT_HTTPHEADER, h->headers);
	curl_easy_setopt(h->curl, CURLOPT_USERAGENT, "saba-agent/" PACKAGE_VERSION);
	curl_easy_setopt(h->curl, CURLOPT_TIMEOUT_MS, timeout);
	curl_easy_setopt(h->curl, CURLOPT_CONNECTTIMEOUT_MS, timeout);
	curl_easy_setopt(h->curl, CURLOPT_NOSIGNAL, 1L);
	/* Like upstream: HTTP/1.1 only. */
	curl_easy_setopt(h->curl, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
	curl_easy_setopt(h->curl, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h->curl, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(h->curl, CURLOPT_SSL_VERIFYHOST, 2L);
	if (h->cfg.ca_file != NULL && *h->cfg.ca_file != '\0')
		curl_easy_setopt(h->curl, CURLOPT_CAINFO, h->cfg.ca_file);
	if (h->cfg.proxy != NULL && *h->cfg.proxy != '\0')
		curl_easy_setopt(h->curl, CURLOPT_PROXY, h->cfg.proxy);
	curl_easy_setopt(h->curl, CURLOPT_WRITEFUNCTION, saba_on_body);
	curl_easy_setopt(h->curl, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(h->curl, CURLOPT_HEADERFUNCTION, saba_on_header);
	curl_easy_setopt(h->curl, CURLOPT_HEADERDATA, r);
	if (h->should_abort != NULL) {
		curl_easy_setopt(h->curl, CURLOPT_XFERINFOFUNCTION, saba_on_progress);
		curl_easy_setopt(h->curl, CURLOPT_XFERINFODATA, h);
		curl_easy_setopt(h->curl, CURLOPT_NOPROGRESS, 0L);
	}

	rc = curl_easy_perform(h->curl);
	if (rc != CURLE_OK) {
		snprintf(r->error, sizeof(r->error), "%s", curl_easy_strerror(rc));
		r->status = 0;
		goto out;
	}
	curl_easy_getinfo(h->curl, CURLINFO_RESPONSE_CODE, &r->status);
	saba_debug("%s %s -> %ld", method, path, r->status);
	ret = 0;
out:
	free(url);
	return ret;
}

const char *saba_http_version(void)
{
	return curl_version_info(CURLVERSION_NOW)->version;
}
