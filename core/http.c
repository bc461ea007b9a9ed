#include "config.h"

#include <errno.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "http.h"
#include "http_transport.h"
#include "log.h"
#include "privmod.h"
#include "util.h"

struct saba_http {
	void *conn; /* the transport's; NULL under --dry-run */
	struct saba_http_config cfg;
	char *origin; /* scheme://host[:port] */
	int (*should_abort)(void *arg);
	void *abort_arg;
};

/* Dry-run lines from several threads must not interleave. */
static pthread_mutex_t saba_dry_run_lock = PTHREAD_MUTEX_INITIALIZER;

/* The transport (libcurl and the TLS library under it) is loaded and
 * initialised on first real use: once, configtest and --dry-run never pay
 * for it. */
static pthread_once_t saba_transport_once = PTHREAD_ONCE_INIT;
static const struct saba_http_transport *saba_transport;
static int saba_transport_ready;
static char saba_transport_error[1024];

#ifdef SABA_LAZY_HTTP
static int saba_transport_check(const void *api, char *why, size_t len)
{
	const struct saba_http_transport *t = api;

	if (t == NULL || t->version != SABA_HTTP_TRANSPORT_VERSION || t->struct_size < sizeof(*t) ||
	    t->build == NULL || strcmp(t->build, PACKAGE_VERSION) != 0) {
		snprintf(why, len, "not the transport of saba-agent %s (module of %s)",
			 PACKAGE_VERSION, t != NULL && t->build != NULL ? t->build : "?");
		return 0;
	}
	return 1;
}

static void saba_transport_find(void)
{
	saba_transport = saba_privmod_load("saba-http-curl.so", "SABA_HTTP_MODULE",
					   "saba_http_transport_entry", saba_transport_check,
					   saba_transport_error, sizeof(saba_transport_error));
}
#else
static void saba_transport_find(void)
{
	saba_transport = saba_http_transport_entry();
}
#endif

static void saba_transport_load(void)
{
	saba_transport_find();
	if (saba_transport == NULL)
		return;
	if (saba_transport->global_init() != 0) {
		snprintf(saba_transport_error, sizeof(saba_transport_error),
			 "libcurl's global initialisation failed");
		saba_transport = NULL;
		return;
	}
	saba_transport_ready = 1;
}

static const struct saba_http_transport *saba_transport_get(void)
{
	pthread_once(&saba_transport_once, saba_transport_load);
	return saba_transport;
}

void saba_http_preload(void)
{
	(void)saba_transport_get();
}

void saba_http_global_cleanup(void)
{
	if (saba_transport_ready)
		saba_transport->global_cleanup();
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
	const struct saba_http_transport *t;

	h->cfg = *cfg;
	/* Copies: the config it came from may be replaced by a reload. */
	h->cfg.apibase = NULL;
	h->cfg.apikey = NULL;
	h->cfg.proxy = cfg->proxy != NULL ? saba_strdup(cfg->proxy) : NULL;
	h->cfg.ca_file = cfg->ca_file != NULL ? saba_strdup(cfg->ca_file) : NULL;
	h->origin = saba_origin(cfg->apibase != NULL ? cfg->apibase : "");
	if (cfg->dry_run)
		return h;
	t = saba_transport_get();
	if (t == NULL) {
		saba_err("cannot load the HTTP transport: %s", saba_transport_error);
		goto fail;
	}
	h->conn = t->conn_new(cfg->apikey);
	if (h->conn == NULL) {
		saba_err("cannot initialise libcurl");
		goto fail;
	}
	return h;
fail:
	saba_http_free(h);
	return NULL;
}

void saba_http_free(struct saba_http *h)
{
	if (h == NULL)
		return;
	if (h->conn != NULL)
		saba_transport->conn_free(h->conn);
	free((char *)h->cfg.proxy);
	free((char *)h->cfg.ca_file);
	free(h->origin);
	free(h);
}

void saba_http_result_clear(struct saba_http_result *r)
{
	free(r->body);
	memset(r, 0, sizeof(*r));
	r->retry_after = -1;
}

void saba_http_set_abort(struct saba_http *h, int (*should_abort)(void *arg), void *arg)
{
	h->should_abort = should_abort;
	h->abort_arg = arg;
}

/* One line of JSON per request.  The body is already compact JSON (the
 * API layer's dump): it is spliced in as it is, not parsed and dumped again. */
static void saba_print_dry_run(const char *method, const char *path, const char *body)
{
	json_t *line = json_pack("{s:s, s:s}", "method", method, "path", path);
	char *head = line != NULL ? json_dumps(line, JSON_COMPACT) : NULL;
	size_t n = head != NULL ? strlen(head) : 0;

	if (n < 2) {
		saba_err("dry-run: cannot print %s %s", method, path);
	} else {
		pthread_mutex_lock(&saba_dry_run_lock);
		printf("%.*s,\"body\":%s}\n", (int)(n - 1), head, body != NULL ? body : "null");
		fflush(stdout);
		pthread_mutex_unlock(&saba_dry_run_lock);
	}
	free(head);
	json_decref(line);
}

int saba_http_do(struct saba_http *h, const char *method, const char *path, const char *body,
		 int64_t deadline_ms, struct saba_http_result *r)
{
	return saba_http_do_stream(h, method, path, body, deadline_ms, NULL, NULL, r);
}

int saba_http_do_stream(struct saba_http *h, const char *method, const char *path, const char *body,
			int64_t deadline_ms, int (*sink)(void *arg, const char *data, size_t len),
			void *sink_arg, struct saba_http_result *r)
{
	struct saba_http_request req = {
		.method = method,
		.body = body,
		.timeout_ms = h->cfg.timeout_ms,
		.ca_file = h->cfg.ca_file,
		.proxy = h->cfg.proxy,
		.no_keep_alive = h->cfg.no_keep_alive,
		.should_abort = h->should_abort,
		.abort_arg = h->abort_arg,
		.sink = sink,
		.sink_arg = sink_arg,
		/* Go's client (mackerel-agent's) never replays a POST; of the
		 * agent's, a repeated registration does harm: a second host. */
		.fresh_connection =
			strcmp(method, "POST") == 0 && strcmp(path, "/api/v0/hosts") == 0,
	};
	char *url;
	int ret;

	saba_http_result_clear(r);
	if (h->cfg.dry_run) {
		saba_print_dry_run(method, path, body);
		r->dry_run = 1;
		r->status = 200;
		return 0;
	}
	if (deadline_ms > 0) {
		int64_t left = deadline_ms - saba_now_ms();

		if (left < req.timeout_ms)
			req.timeout_ms = (long)left;
		if (req.timeout_ms <= 0) {
			snprintf(r->error, sizeof(r->error), "deadline passed before the request");
			return -1;
		}
	}
	url = saba_asprintf("%s%s", h->origin, path);
	req.url = url;
	ret = saba_transport->perform(h->conn, &req, r);
	if (ret == 0)
		saba_debug("%s %s -> %ld", method, path, r->status);
	free(url);
	return ret;
}

const char *saba_http_version(void)
{
	const struct saba_http_transport *t = saba_transport_get();

	return t != NULL ? t->curl_version() : "unavailable (the HTTP transport did not load)";
}
