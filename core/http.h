/* HTTP to the Mackerel API through libcurl: one handle per thread, TLS always
 * verified, the API key only ever in a header (never logged). */
#ifndef SABA_HTTP_H
#define SABA_HTTP_H

#include <stddef.h>
#include <stdint.h>

struct saba_http_config {
	const char *apibase; /* scheme://host[:port]; any path is ignored */
	const char *apikey;
	const char *proxy;   /* "" or NULL: libcurl's *_proxy environment */
	const char *ca_file; /* "" or NULL: the system store */
	long timeout_ms;     /* per request */
	int no_keep_alive;   /* a new connection for every request */
	int dry_run;	     /* print requests as JSON lines, send nothing */
};

struct saba_http_result {
	long status; /* HTTP status; 0 when no response arrived */
	char *body;  /* response body, NUL-terminated (may be NULL) */
	size_t len;
	long retry_after; /* seconds from Retry-After (at most 3600), or -1 */
	int dry_run;	  /* request was only printed */
	char error[256];  /* transport error when status == 0 */
	int permanent;	  /* that error comes back on every try: a URL, proxy or
			   * CA file libcurl refuses */
};

struct saba_http;

struct saba_http *saba_http_new(const struct saba_http_config *cfg);
void saba_http_free(struct saba_http *h);

/* Abort requests in flight as soon as should_abort(arg) returns non-zero
 * (checked about once a second). */
void saba_http_set_abort(struct saba_http *h, int (*should_abort)(void *arg), void *arg);

/* One request.  deadline_ms (monotonic, 0: none) caps the time it may take
 * below the configured timeout.  Returns 0 when a response arrived (any
 * status), -1 on a transport error (r->error says which). */
int saba_http_do(struct saba_http *h, const char *method, const char *path, const char *body,
		 int64_t deadline_ms, struct saba_http_result *r);
/* Like saba_http_do, but the response body goes to sink piece by piece as
 * it arrives (no size cap; sink returning non-zero ends the transfer with an
 * error) instead of into r->body. */
int saba_http_do_stream(struct saba_http *h, const char *method, const char *path, const char *body,
			int64_t deadline_ms, int (*sink)(void *arg, const char *data, size_t len),
			void *sink_arg, struct saba_http_result *r);
void saba_http_result_clear(struct saba_http_result *r);

/* At exit: undo libcurl's global initialisation if it happened. */
void saba_http_global_cleanup(void);
/* Load the HTTP transport (libcurl) now, not at the first request: before
 * plugins that link libcurl themselves are loaded, so its library tree is
 * mapped once, not loaded, unloaded with a plugin that leaves (the
 * implicit ec2 off EC2) and loaded again.  Failure shows at the request. */
void saba_http_preload(void);

/* libcurl's version, for `version`. */
const char *saba_http_version(void);

#endif
