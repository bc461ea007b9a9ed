/* The EC2 Query API for the ec2 plugin: credentials (environment, then the
 * instance role from IMDS, refreshed before expiry), SigV4 by libcurl
 * (CURLOPT_AWS_SIGV4 "aws:amz:<region>:ec2", POST form bodies because curl
 * 7.88 does not canonicalise query strings), DescribeInstances answers read by
 * expat as they stream in.  Every error is reported as an error: callers
 * treat anything but a successful answer as "unknown", never as "gone". */
#ifndef SABA_EC2_AWS_H
#define SABA_EC2_AWS_H

#include <stddef.h>
#include <stdint.h>

/* Reads IMDS for role credentials (the ec2 plugin passes saba_imds_get). */
typedef long (*saba_aws_imds_fn)(void *arg, const char *path, char **body, char *err,
				 size_t err_len);

struct saba_aws_config {
	const char *region; /* "ap-northeast-1"; signs and picks the endpoint */
	const char
		*endpoint; /* NULL: AWS_ENDPOINT_URL_EC2, else https://ec2.<region>.amazonaws.com */
	long timeout_ms;   /* per request */
	saba_aws_imds_fn imds_get; /* NULL: environment credentials only */
	void *imds_arg;
};

struct saba_aws;

struct saba_aws *saba_aws_new(const struct saba_aws_config *cfg);
void saba_aws_free(struct saba_aws *a);

/* Called once per instance in an answer.  state_code is already & 0xFF.
 * Return non-zero to stop (the call then fails).  Called page by page, once
 * a page has been read completely: when a later page fails, earlier pages'
 * instances have been reported although the call returns -1. */
typedef int (*saba_ec2_instance_fn)(void *arg, const char *instance_id, const char *state_name,
				    int state_code);

#define SABA_EC2_MAX_IDS 200 /* per DescribeInstances filter */

/* DescribeInstances with Filter.1.Name=instance-id and the n (<= 200) ids as
 * its values, so an unknown id is simply absent; follows nextToken.
 * RequestLimitExceeded and 5xx are retried with backoff and jitter until
 * deadline_ms (monotonic, saba clock).  Returns 0 when every page answered,
 * -1 otherwise with err naming the AWS error code or the transport error.
 * Thread-safe. */
int saba_ec2_describe(struct saba_aws *a, const char *const *ids, size_t n, int64_t deadline_ms,
		      saba_ec2_instance_fn fn, void *arg, char *err, size_t err_len);

/* NULL when cfg is usable (what saba_aws_new() needs), else why not:
 * region missing or not like "us-east-1", endpoint not http(s)://... */
const char *saba_aws_config_problem(const struct saba_aws_config *cfg);

/* Abort requests in flight and retry waits as soon as fn(arg) returns
 * non-zero (checked several times a second).  Set before first use. */
void saba_aws_set_abort(struct saba_aws *a, int (*fn)(void *arg), void *arg);

/* Make sure credentials are at hand (role credentials are fetched from IMDS
 * and refreshed 5 minutes before their Expiration) and copy the access key
 * id (never the secret) into buf.  0, or -1 with err. */
int saba_aws_key_id(struct saba_aws *a, char *buf, size_t len, char *err, size_t err_len);

/* HTTP requests sent to EC2 so far (retries and pages included). */
uint64_t saba_aws_requests(struct saba_aws *a);

#endif
