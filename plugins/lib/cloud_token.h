/* Bearer tokens of the machine's own identity, from its metadata service
 * (the gce plugin: the service account's token from the metadata server;
 * the azure plugin: the managed identity's token from IMDS), cached until
 * shortly before they expire and fetched again after the API refused one;
 * and the API calls that carry them.  Tokens never reach a log line.
 * Thread-safe. */
#ifndef SABA_CLOUD_TOKEN_H
#define SABA_CLOUD_TOKEN_H

#include <stddef.h>
#include <stdint.h>

#include "cloud_http.h"

/* A token answer ({"access_token": ..., "expires_in": 3599 or "3599",
 * "token_type": "Bearer"}): 0 with *token (malloc'd) and *expires_in
 * (seconds; 0 when not given), or -1 (err; never the token's text). */
int saba_cloud_token_parse(const char *body, size_t len, char **token, long *expires_in, char *err,
			   size_t err_len);

struct saba_cloud_token;

/* url: the metadata service's token endpoint; header: the one it requires
 * ("Metadata-Flavor: Google", "Metadata: true").  abort as for
 * saba_cloud_fetch().  NULL when out of memory. */
struct saba_cloud_token *saba_cloud_token_new(const char *url, const char *header, long timeout_ms,
					      const int *abort);
void saba_cloud_token_free(struct saba_cloud_token *t);

/* An API request with the token (GET, or rq's method), within deadline_ms
 * (saba_clock_ms() clock): a 401 fetches a new token once; 429 and 5xx
 * are retried with backoff (Retry-After is not needed: the waits are short)
 * while the deadline allows.  rq->headers must leave room: up to 7 of the
 * caller's, plus Authorization.  Returns the last HTTP status, or -1 when no
 * answer arrived or no token was had (err says why).  *requests, when not
 * NULL, counts the requests sent. */
long saba_cloud_api(struct saba_cloud_token *t, const struct saba_cloud_request *rq,
		    int64_t deadline_ms, struct saba_cloud_response *rs, uint64_t *requests,
		    char *err, size_t err_len);

#endif
