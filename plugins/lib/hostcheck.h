/* The check every cloud plugin (ec2, gce, azure) makes before it retires
 * its own host: the Mackerel host this agent runs as must carry this
 * machine's customIdentifier and not be retired already.  Pure: it reads
 * the API's answer, the caller asks. */
#ifndef SABA_HOSTCHECK_H
#define SABA_HOSTCHECK_H

#include <stddef.h>

/* GET /api/v0/hosts/<id> answered status (-1: no answer) with body
 * (body_len bytes): is it the host whose customIdentifier is want_ci, and
 * not retired?  Returns 1 when it is, 0 otherwise; evidence says why. */
int saba_host_matches(long status, const char *body, size_t body_len, const char *want_ci,
		      char *evidence, size_t len);

#endif
