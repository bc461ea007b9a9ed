/* IMDSv2 client for the ec2 plugin: a session token from PUT /latest/api/token
 * (TTL header), cached and refreshed before it expires and again after a 401;
 * never through a proxy; short timeouts.  Thread-safe (the poller thread and
 * confirm_retire share one). */
#ifndef SABA_EC2_IMDS_H
#define SABA_EC2_IMDS_H

#include <stddef.h>

struct saba_imds;

/* endpoint: "http://169.254.169.254" (or the imds_endpoint setting, or
 * AWS_EC2_METADATA_SERVICE_ENDPOINT); timeout_ms bounds each request. */
struct saba_imds *saba_imds_new(const char *endpoint, long timeout_ms);
void saba_imds_free(struct saba_imds *m);

/* GET <endpoint>/latest/<path> ("meta-data/instance-id").  Returns the HTTP
 * status (200, 404, ...) or -1 when no answer arrived (err says why).  On 200
 * *body is a malloc'd NUL-terminated copy of the answer (caller frees). */
long saba_imds_get(struct saba_imds *m, const char *path, char **body, char *err, size_t err_len);

/* A growing NUL-terminated buffer for HTTP answers (IMDS, the Mackerel
 * API's sink).  Start it zeroed; the caller frees data. */
struct saba_ec2_buf {
	char *data;
	size_t len;
};

/* Append n bytes.  0, or -1 (nothing appended) when the result would pass
 * max bytes or memory ran out. */
int saba_ec2_buf_append(struct saba_ec2_buf *b, const char *data, size_t n, size_t max);

/* End transfers in flight and fail later ones at once (the plugin is
 * stopping).  Thread-safe; saba_imds_free() still has to follow. */
void saba_imds_abort(struct saba_imds *m);

#endif
