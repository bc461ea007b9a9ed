/* One HTTP request for the cloud plugins (ec2, gce, azure), on libcurl:
 * metadata services (link-local: never through a proxy, never redirected,
 * short timeouts) and cloud APIs (the environment's proxy; bearer tokens
 * from cloud_token.h).  Answers are kept in memory up to a bound; a
 * transfer ends at once when the caller's abort flag is raised.
 * Thread-safe: each call uses an easy handle of its own. */
#ifndef SABA_CLOUD_HTTP_H
#define SABA_CLOUD_HTTP_H

#include <stddef.h>
#include <stdint.h>

/* A growing NUL-terminated buffer.  Start it zeroed; the caller frees data. */
struct saba_cloud_buf {
	char *data;
	size_t len;
};

/* Append n bytes.  0, or -1 (nothing appended) when the result would pass
 * max bytes or memory ran out. */
int saba_cloud_buf_append(struct saba_cloud_buf *b, const char *data, size_t n, size_t max);

struct saba_cloud_request {
	const char *method;	    /* "GET" (NULL too), "PUT" or "POST" */
	const char *url;	    /* http:// or https:// */
	const char *const *headers; /* "Name: value", NULL-terminated; may be NULL */
	const char *body;	    /* for PUT and POST; NULL: empty */
	long timeout_ms;	    /* the whole transfer, connecting included */
	int metadata;		    /* a metadata service: no proxy */
	size_t max_body;	    /* a longer answer fails; 0: 1 MiB */
	const int *abort;	    /* may be NULL; non-zero ends the transfer */
	const char *user_agent;	    /* NULL: "saba-agent" */
	const char *want_header;    /* a response header to keep ("Metadata-Flavor") */
	const char *error_key;	    /* non-200: err as saba_cloud_api_error() says it */
};

struct saba_cloud_response {
	long status;		    /* the HTTP status; -1: no answer */
	struct saba_cloud_buf body; /* caller frees body.data (NULL without an answer) */
	char header[128];	    /* want_header's value; "" when absent */
};

/* Send the request.  Returns the HTTP status, or -1 when no answer arrived
 * (err says why: timeout, refused, stopped, too long, ...); with
 * rq->error_key, err also says what an answer other than 200 was. */
long saba_cloud_fetch(const struct saba_cloud_request *rq, struct saba_cloud_response *rs,
		      char *err, size_t err_len);

/* Sleep ms, in slices, unless *abort is raised first; returns non-zero
 * when it was. */
int saba_cloud_sleep(int64_t ms, const int *abort);

#endif
