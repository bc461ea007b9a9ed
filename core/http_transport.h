/* The seam between core/http.c and libcurl (core/http_curl.c).  libcurl and
 * the TLS stack under it are most of the agent's resident size, and `once`,
 * `configtest` and --dry-run never send anything, so by default the curl
 * side is a private module (saba-http-curl.so in the package library
 * directory) that http.c loads on first real use.  Built with
 * --disable-lazy-http (and on Windows) it is linked in instead.  The module
 * never calls back into the agent: it reports through the result. */
#ifndef SABA_HTTP_TRANSPORT_H
#define SABA_HTTP_TRANSPORT_H

#include <stddef.h>
#include <stdint.h>

#include "http.h"

#define SABA_HTTP_TRANSPORT_VERSION 4u

struct saba_http_request {
	const char *method;
	const char *url;
	const char *body; /* NULL: none */
	long timeout_ms;
	const char *ca_file; /* NULL or "": the system store */
	const char *proxy;   /* NULL or "": libcurl's *_proxy environment */
	int no_keep_alive;   /* close the connection after the request */
	int (*should_abort)(void *arg);
	void *abort_arg;
	/* NULL: the body is collected in the result (up to 8 MiB); else each
	 * piece goes here as it arrives, without a cap (non-zero stops). */
	int (*sink)(void *arg, const char *data, size_t len);
	void *sink_arg;
	/* Never on a kept-alive connection: libcurl sends a request again,
	 * unasked, when the connection it reused turns out dead, even one the
	 * server may have carried out already. */
	int fresh_connection;
};

struct saba_http_transport {
	uint32_t version;	  /* SABA_HTTP_TRANSPORT_VERSION */
	uint32_t struct_size;	  /* sizeof(struct saba_http_transport) */
	const char *build;	  /* PACKAGE_VERSION: agent and module must match */
	int (*global_init)(void); /* 0 on success */
	void (*global_cleanup)(void);
	/* A connection (keep-alive) with the API key header, or NULL. */
	void *(*conn_new)(const char *apikey);
	void (*conn_free)(void *conn);
	/* 0 when a response arrived (r->status set), -1 otherwise (r->error). */
	int (*perform)(void *conn, const struct saba_http_request *req, struct saba_http_result *r);
	const char *(*curl_version)(void); /* libcurl's */
};

/* The module's one exported symbol. */
const struct saba_http_transport *saba_http_transport_entry(void);

#endif
