/* DescribeInstances over libcurl with SigV4, and the credentials it signs
 * with.  The answer is read by xml.c while it streams in. */
#define _GNU_SOURCE /* timegm, explicit_bzero */

#include <curl/curl.h>
#include <jansson.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "aws.h"
#include "xml.h"
#include "lib/clock.h"

/* Windows has SecureZeroMemory and _mkgmtime instead. */
#ifdef _WIN32
#include <windows.h>
#define saba_aws_wipe(p, n) SecureZeroMemory((p), (n))
#define timegm		    _mkgmtime
#else
#define saba_aws_wipe(p, n) explicit_bzero((p), (n))
#endif

#define SABA_AWS_REFRESH_EARLY_MS (5 * 60 * 1000) /* role credentials */
#define SABA_AWS_MAX_PAGES	  1000		  /* per call: a nextToken loop ends */
#define SABA_AWS_BACKOFF_BASE_MS  250
#define SABA_AWS_BACKOFF_CAP_MS	  8000

struct saba_aws_creds {
	char *key_id;
	char *secret;
	char *token;	    /* NULL: long-term keys */
	int64_t expires_ms; /* wall clock; 0: never (environment) */
};

struct saba_aws {
	char *url;   /* endpoint, with a path */
	char *sigv4; /* "aws:amz:<region>:ec2" */
	long timeout_ms;
	saba_aws_imds_fn imds_get;
	void *imds_arg;
	int (*should_abort)(void *arg);
	void *abort_arg;
	pthread_mutex_t lock; /* creds */
	int from_env;
	struct saba_aws_creds creds; /* key_id NULL: none yet */
	uint64_t requests;	     /* atomic */
};

static int64_t saba_aws_wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ------------------------------------------------------------------ */
/* configuration                                                        */

static int saba_aws_region_ok(const char *r)
{
	size_t n = r != NULL ? strlen(r) : 0;

	if (n < 4 || n > 32 || r[0] == '-' || r[n - 1] == '-')
		return 0;
	for (size_t i = 0; i < n; i++) {
		if (!((r[i] >= 'a' && r[i] <= 'z') || (r[i] >= '0' && r[i] <= '9') || r[i] == '-'))
			return 0;
	}
	return 1;
}

static const char *saba_aws_endpoint(const struct saba_aws_config *cfg)
{
	const char *env = getenv("AWS_ENDPOINT_URL_EC2");

	if (cfg->endpoint != NULL && *cfg->endpoint != '\0')
		return cfg->endpoint;
	return env != NULL && *env != '\0' ? env : NULL;
}

const char *saba_aws_config_problem(const struct saba_aws_config *cfg)
{
	const char *ep = saba_aws_endpoint(cfg);

	if (!saba_aws_region_ok(cfg->region))
		return "the region is missing or not a region name (like \"us-east-1\")";
	if (ep != NULL && strncmp(ep, "http://", 7) != 0 && strncmp(ep, "https://", 8) != 0)
		return "the EC2 endpoint is not an http:// or https:// URL";
	if (cfg->timeout_ms <= 0)
		return "the EC2 timeout is not positive";
	return NULL;
}

static char *saba_aws_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *saba_aws_printf(const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	return n < 0 ? NULL : s;
}

static char *saba_aws_url(const struct saba_aws_config *cfg)
{
	const char *ep = saba_aws_endpoint(cfg);
	const char *host;

	if (ep == NULL) /* China's regions live under amazonaws.com.cn */
		return saba_aws_printf("https://ec2.%s.amazonaws.com%s/", cfg->region,
				       strncmp(cfg->region, "cn-", 3) == 0 ? ".cn" : "");
	host = strstr(ep, "://") + 3;
	return saba_aws_printf("%s%s", ep, strchr(host, '/') != NULL ? "" : "/");
}

static void saba_aws_creds_clear(struct saba_aws_creds *c)
{
	char **s[] = {&c->key_id, &c->secret, &c->token};

	for (size_t i = 0; i < sizeof(s) / sizeof(s[0]); i++) {
		if (*s[i] != NULL) {
			saba_aws_wipe(*s[i], strlen(*s[i]));
			free(*s[i]);
			*s[i] = NULL;
		}
	}
	c->expires_ms = 0;
}

struct saba_aws *saba_aws_new(const struct saba_aws_config *cfg)
{
	struct saba_aws *a;
	const char *id = getenv("AWS_ACCESS_KEY_ID");
	const char *secret = getenv("AWS_SECRET_ACCESS_KEY");
	const char *token = getenv("AWS_SESSION_TOKEN");

	if (cfg == NULL || saba_aws_config_problem(cfg) != NULL)
		return NULL;
	a = calloc(1, sizeof(*a));
	if (a == NULL)
		return NULL;
	pthread_mutex_init(&a->lock, NULL);
	a->url = saba_aws_url(cfg);
	a->sigv4 = saba_aws_printf("aws:amz:%s:ec2", cfg->region);
	a->timeout_ms = cfg->timeout_ms;
	a->imds_get = cfg->imds_get;
	a->imds_arg = cfg->imds_arg;
	/* Like the SDKs: both keys from the environment, or none of them. */
	if (id != NULL && *id != '\0' && secret != NULL && *secret != '\0') {
		a->from_env = 1;
		a->creds.key_id = strdup(id);
		a->creds.secret = strdup(secret);
		a->creds.token = token != NULL && *token != '\0' ? strdup(token) : NULL;
		if (a->creds.key_id == NULL || a->creds.secret == NULL ||
		    (token != NULL && *token != '\0' && a->creds.token == NULL))
			goto fail;
	}
	if (a->url == NULL || a->sigv4 == NULL)
		goto fail;
	return a;
fail:
	saba_aws_free(a);
	return NULL;
}

void saba_aws_free(struct saba_aws *a)
{
	if (a == NULL)
		return;
	saba_aws_creds_clear(&a->creds);
	pthread_mutex_destroy(&a->lock);
	free(a->url);
	free(a->sigv4);
	free(a);
}

void saba_aws_set_abort(struct saba_aws *a, int (*fn)(void *arg), void *arg)
{
	a->should_abort = fn;
	a->abort_arg = arg;
}

uint64_t saba_aws_requests(struct saba_aws *a)
{
	return __atomic_load_n(&a->requests, __ATOMIC_RELAXED);
}

static int saba_aws_aborted(struct saba_aws *a)
{
	return a->should_abort != NULL && a->should_abort(a->abort_arg);
}

/* ------------------------------------------------------------------ */
/* credentials                                                          */

/* "2024-05-01T12:34:56Z" (fractions allowed) as wall-clock ms; 0 if not. */
static int64_t saba_aws_parse_time(const char *s)
{
	struct tm tm = {0};
	int n = 0;

	if (s == NULL || sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon,
				&tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &n) != 6)
		return 0;
	if (s[n] == '.') {
		n++;
		while (s[n] >= '0' && s[n] <= '9')
			n++;
	}
	if (strcmp(s + n, "Z") != 0)
		return 0;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	return (int64_t)timegm(&tm) * 1000;
}

static int saba_aws_role_name_ok(const char *r)
{
	size_t n = strlen(r);

	if (n == 0 || n > 128)
		return 0;
	/* IAM role names: letters, digits and +=,.@_- */
	return strspn(r, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+=,.@_-") ==
	       n;
}

static const char *saba_aws_json_str(json_t *o, const char *key)
{
	const char *v = json_string_value(json_object_get(o, key));

	return v != NULL && *v != '\0' ? v : NULL;
}

/* The instance role's credentials from IMDS into *c. */
static int saba_aws_fetch_role(struct saba_aws *a, struct saba_aws_creds *c, char *err,
			       size_t err_len)
{
	char *body = NULL, *path = NULL, *nl;
	char ierr[256] = "";
	json_t *doc = NULL;
	const char *code, *id, *secret, *token, *exp;
	long st;
	int ret = -1;

	st = a->imds_get(a->imds_arg, "meta-data/iam/security-credentials/", &body, ierr,
			 sizeof(ierr));
	if (st != 200) {
		if (st == 404)
			snprintf(err, err_len,
				 "no credentials: none in the environment and the "
				 "instance has no IAM role (IMDS 404)");
		else
			snprintf(err, err_len, "no credentials: IMDS role name: %s",
				 st < 0 ? ierr : "unexpected HTTP status");
		goto out;
	}
	nl = strpbrk(body, "\r\n");
	if (nl != NULL)
		*nl = '\0';
	if (!saba_aws_role_name_ok(body)) {
		snprintf(err, err_len, "no credentials: IMDS gave no usable role name");
		goto out;
	}
	path = saba_aws_printf("meta-data/iam/security-credentials/%s", body);
	free(body);
	body = NULL;
	if (path == NULL) {
		snprintf(err, err_len, "out of memory");
		goto out;
	}
	st = a->imds_get(a->imds_arg, path, &body, ierr, sizeof(ierr));
	if (st != 200) {
		snprintf(err, err_len, "no credentials: IMDS role credentials: %s",
			 st < 0 ? ierr : "unexpected HTTP status");
		goto out;
	}
	doc = json_loads(body, 0, NULL);
	code = saba_aws_json_str(doc, "Code");
	id = saba_aws_json_str(doc, "AccessKeyId");
	secret = saba_aws_json_str(doc, "SecretAccessKey");
	token = saba_aws_json_str(doc, "Token");
	exp = saba_aws_json_str(doc, "Expiration");
	if (!json_is_object(doc) || (code != NULL && strcmp(code, "Success") != 0) || id == NULL ||
	    secret == NULL) {
		char shown[41] = "";

		/* the answer's Code goes into a log line: printable only */
		for (size_t i = 0; code != NULL && code[i] != '\0' && i + 1 < sizeof(shown); i++)
			shown[i] = code[i] >= 0x20 && code[i] < 0x7f ? code[i] : '?';
		snprintf(err, err_len, "no credentials: IMDS role credentials are not usable%s%s",
			 code != NULL ? ": Code " : "", shown);
		goto out;
	}
	c->key_id = strdup(id);
	c->secret = strdup(secret);
	c->token = token != NULL ? strdup(token) : NULL;
	/* Without a readable Expiration they are used once, then fetched again. */
	c->expires_ms = saba_aws_parse_time(exp);
	if (c->key_id == NULL || c->secret == NULL || (token != NULL && c->token == NULL)) {
		saba_aws_creds_clear(c);
		snprintf(err, err_len, "out of memory");
		goto out;
	}
	ret = 0;
out:
	if (body != NULL) {
		saba_aws_wipe(body, strlen(body));
		free(body);
	}
	free(path);
	json_decref(doc); /* jansson does not wipe; the copies above are wiped */
	return ret;
}

static int saba_aws_creds_copy(const struct saba_aws_creds *from, struct saba_aws_creds *to)
{
	to->key_id = strdup(from->key_id);
	to->secret = strdup(from->secret);
	to->token = from->token != NULL ? strdup(from->token) : NULL;
	to->expires_ms = from->expires_ms;
	if (to->key_id == NULL || to->secret == NULL ||
	    (from->token != NULL && to->token == NULL)) {
		saba_aws_creds_clear(to);
		return -1;
	}
	return 0;
}

/* A private copy of usable credentials, refreshing role credentials when
 * they are within 5 minutes of expiring.  When IMDS fails, credentials that
 * have not expired yet are still used. */
static int saba_aws_get_creds(struct saba_aws *a, struct saba_aws_creds *out, char *err,
			      size_t err_len)
{
	struct saba_aws_creds fresh = {0};
	int64_t now = saba_aws_wall_ms();
	int ret = -1;

	pthread_mutex_lock(&a->lock);
	if (a->from_env ||
	    (a->creds.key_id != NULL && now < a->creds.expires_ms - SABA_AWS_REFRESH_EARLY_MS))
		goto copy;
	if (a->imds_get == NULL) {
		snprintf(err, err_len,
			 "no credentials: AWS_ACCESS_KEY_ID and "
			 "AWS_SECRET_ACCESS_KEY are not both set, and no instance "
			 "role is available");
		goto out;
	}
	if (saba_aws_fetch_role(a, &fresh, err, err_len) == 0) {
		saba_aws_creds_clear(&a->creds);
		a->creds = fresh;
	} else if (a->creds.key_id == NULL || now >= a->creds.expires_ms) {
		saba_aws_creds_clear(&a->creds);
		goto out;
	}
copy:
	if (saba_aws_creds_copy(&a->creds, out) != 0) {
		snprintf(err, err_len, "out of memory");
		goto out;
	}
	/* Used once: without an Expiration, fetch again next time. */
	if (!a->from_env && a->creds.expires_ms == 0)
		saba_aws_creds_clear(&a->creds);
	ret = 0;
out:
	pthread_mutex_unlock(&a->lock);
	return ret;
}

int saba_aws_key_id(struct saba_aws *a, char *buf, size_t len, char *err, size_t err_len)
{
	struct saba_aws_creds c = {0};

	if (saba_aws_get_creds(a, &c, err, err_len) != 0)
		return -1;
	snprintf(buf, len, "%s", c.key_id);
	saba_aws_creds_clear(&c);
	return 0;
}

/* ------------------------------------------------------------------ */
/* one request                                                          */

enum saba_page_result {
	SABA_PAGE_OK = 0,
	SABA_PAGE_RETRY, /* throttled or 5xx */
	SABA_PAGE_FAIL,
};

static size_t saba_aws_on_body(char *data, size_t size, size_t nmemb, void *userp)
{
	struct saba_ec2_xml *x = userp;
	size_t n = size * nmemb;

	/* An unreadable answer ends the transfer; its problem is reported. */
	return saba_ec2_xml_feed(x, data, n, 0) == 0 ? n : 0;
}

static int saba_aws_on_progress(void *userp, curl_off_t dltotal, curl_off_t dlnow,
				curl_off_t ultotal, curl_off_t ulnow)
{
	(void)dltotal;
	(void)dlnow;
	(void)ultotal;
	(void)ulnow;
	return saba_aws_aborted(userp);
}

static int saba_aws_retryable(long status, const char *code)
{
	return (code != NULL && strcmp(code, "RequestLimitExceeded") == 0) || status >= 500;
}

/* POST body once; on SABA_PAGE_OK *x holds the answer (caller frees). */
static int saba_aws_page(struct saba_aws *a, CURL *c, const char *body,
			 const struct saba_aws_creds *cr, long timeout_ms, struct saba_ec2_xml **xp,
			 char *err, size_t err_len)
{
	struct saba_ec2_xml *x = saba_ec2_xml_new();
	struct curl_slist *headers = NULL;
	char curl_err[CURL_ERROR_SIZE] = "";
	char *token_hdr = NULL;
	const char *problem, *code;
	long status = 0;
	CURLcode rc;
	int ret = SABA_PAGE_FAIL;

	*xp = NULL;
	if (x == NULL) {
		snprintf(err, err_len, "out of memory");
		return SABA_PAGE_FAIL;
	}
	if (cr->token != NULL) {
		/* Set as a header so that curl signs it. */
		token_hdr = saba_aws_printf("X-Amz-Security-Token: %s", cr->token);
		headers = token_hdr != NULL ? curl_slist_append(NULL, token_hdr) : NULL;
		if (headers == NULL) {
			snprintf(err, err_len, "out of memory");
			goto out;
		}
	}
	curl_easy_reset(c);
	curl_easy_setopt(c, CURLOPT_URL, a->url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_POST, 1L);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
	curl_easy_setopt(c, CURLOPT_AWS_SIGV4, a->sigv4);
	curl_easy_setopt(c, CURLOPT_USERNAME, cr->key_id);
	curl_easy_setopt(c, CURLOPT_PASSWORD, cr->secret);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "saba-agent-ec2");
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, curl_err);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, saba_aws_on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, x);
	curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, saba_aws_on_progress);
	curl_easy_setopt(c, CURLOPT_XFERINFODATA, a);
	__atomic_fetch_add(&a->requests, 1, __ATOMIC_RELAXED);
	rc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	if (rc == CURLE_ABORTED_BY_CALLBACK) {
		snprintf(err, err_len, "stopped");
		goto out;
	}
	if (rc != CURLE_OK && !(rc == CURLE_WRITE_ERROR && saba_ec2_xml_problem(x) != NULL)) {
		snprintf(err, err_len, "%s",
			 curl_err[0] != '\0' ? curl_err : curl_easy_strerror(rc));
		goto out;
	}
	saba_ec2_xml_feed(x, "", 0, 1);
	problem = saba_ec2_xml_problem(x);
	code = saba_ec2_xml_error_code(x);
	if (status == 200 && problem == NULL && saba_ec2_xml_kind(x) == SABA_EC2_XML_DESCRIBE) {
		*xp = x;
		x = NULL;
		ret = SABA_PAGE_OK;
	} else if (status == 200) {
		snprintf(err, err_len, "HTTP 200 with an unreadable answer: %s",
			 problem != NULL ? problem : "not a DescribeInstancesResponse");
	} else {
		if (code != NULL)
			snprintf(err, err_len, "%s: %.200s (HTTP %ld)", code,
				 saba_ec2_xml_error_message(x), status);
		else
			snprintf(err, err_len, "HTTP %ld without an EC2 error code%s%.150s", status,
				 problem != NULL ? ": " : "", problem != NULL ? problem : "");
		ret = saba_aws_retryable(status, code) ? SABA_PAGE_RETRY : SABA_PAGE_FAIL;
	}
out:
	curl_slist_free_all(headers);
	if (token_hdr != NULL) {
		saba_aws_wipe(token_hdr, strlen(token_hdr));
		free(token_hdr);
	}
	saba_ec2_xml_free(x);
	return ret;
}

/* Sleep ms unless stopped first; returns non-zero when stopped. */
static int saba_aws_sleep(struct saba_aws *a, int64_t ms)
{
	int64_t until = saba_clock_ms() + ms;

	for (;;) {
		int64_t left = until - saba_clock_ms();
		struct timespec ts = {0, 0};

		if (saba_aws_aborted(a))
			return 1;
		if (left <= 0)
			return 0;
		ts.tv_nsec = (left < 50 ? left : 50) * 1000000L;
		nanosleep(&ts, NULL);
	}
}

static int64_t saba_aws_backoff(int attempt, unsigned int *seed)
{
	int64_t d = SABA_AWS_BACKOFF_BASE_MS;

	while (attempt-- > 0 && d < SABA_AWS_BACKOFF_CAP_MS)
		d *= 2;
	if (d > SABA_AWS_BACKOFF_CAP_MS)
		d = SABA_AWS_BACKOFF_CAP_MS;
	/* Half fixed, half random: callers throttled together spread out. */
	return d / 2 + (int64_t)(rand_r(seed) % (unsigned int)(d / 2 + 1));
}

/* One page with retries of throttling and 5xx until the deadline. */
static int saba_aws_page_retrying(struct saba_aws *a, CURL *c, const char *body,
				  int64_t deadline_ms, struct saba_ec2_xml **xp, char *err,
				  size_t err_len)
{
	unsigned int seed = (unsigned int)saba_clock_ms() ^ (unsigned int)(uintptr_t)xp;

	for (int attempt = 0;; attempt++) {
		struct saba_aws_creds cr = {0};
		int64_t left = deadline_ms - saba_clock_ms();
		int64_t wait;
		int r;

		if (left <= 0) {
			snprintf(err, err_len, "deadline passed before the request");
			return -1;
		}
		if (saba_aws_get_creds(a, &cr, err, err_len) != 0)
			return -1;
		r = saba_aws_page(a, c, body, &cr,
				  left < a->timeout_ms ? (long)left : a->timeout_ms, xp, err,
				  err_len);
		saba_aws_creds_clear(&cr);
		if (r == SABA_PAGE_OK)
			return 0;
		if (r == SABA_PAGE_FAIL)
			return -1;
		wait = saba_aws_backoff(attempt, &seed);
		if (saba_clock_ms() + wait >= deadline_ms) {
			size_t n = strlen(err);

			snprintf(err + n, err_len - n,
				 "; gave up at the deadline after %d attempts", attempt + 1);
			return -1;
		}
		if (saba_aws_sleep(a, wait)) {
			snprintf(err, err_len, "stopped");
			return -1;
		}
	}
}

/* ------------------------------------------------------------------ */
/* DescribeInstances                                                    */

/* The form body for ids, or NULL when out of memory. */
static char *saba_aws_body(CURL *c, const char *const *ids, size_t n)
{
	static const char head[] =
		"Action=DescribeInstances&Version=2016-11-15&Filter.1.Name=instance-id";
	size_t cap = sizeof(head) + n * 64, len = sizeof(head) - 1;
	char *body = malloc(cap);

	if (body == NULL)
		return NULL;
	memcpy(body, head, len + 1);
	for (size_t i = 0; i < n; i++) {
		char *v = curl_easy_escape(c, ids[i], 0);
		char *p;
		int w;

		if (v == NULL)
			goto fail;
		for (;;) {
			w = snprintf(body + len, cap - len, "&Filter.1.Value.%zu=%s", i + 1, v);
			if (w >= 0 && (size_t)w < cap - len)
				break;
			p = realloc(body, cap * 2);
			if (p == NULL) {
				curl_free(v);
				goto fail;
			}
			body = p;
			cap *= 2;
		}
		len += (size_t)w;
		curl_free(v);
	}
	return body;
fail:
	free(body);
	return NULL;
}

int saba_ec2_describe(struct saba_aws *a, const char *const *ids, size_t n, int64_t deadline_ms,
		      saba_ec2_instance_fn fn, void *arg, char *err, size_t err_len)
{
	CURL *c = NULL;
	char *base = NULL, *body = NULL, *token = NULL;
	struct saba_ec2_xml *x = NULL;
	int ret = -1;

	if (err_len > 0)
		err[0] = '\0';
	if (n == 0)
		return 0;
	if (a == NULL || ids == NULL || n > SABA_EC2_MAX_IDS) {
		snprintf(err, err_len, "invalid DescribeInstances call (%zu ids)", n);
		return -1;
	}
	c = curl_easy_init();
	base = c != NULL ? saba_aws_body(c, ids, n) : NULL;
	if (base == NULL) {
		snprintf(err, err_len, "cannot set up the request");
		goto out;
	}
	for (int page = 0;; page++) {
		const char *next;

		if (page == SABA_AWS_MAX_PAGES) {
			snprintf(err, err_len, "more than %d pages: nextToken does not end",
				 SABA_AWS_MAX_PAGES);
			goto out;
		}
		if (token != NULL) {
			char *t = curl_easy_escape(c, token, 0);

			free(body);
			body = t != NULL ? saba_aws_printf("%s&NextToken=%s", base, t) : NULL;
			curl_free(t);
			if (body == NULL) {
				snprintf(err, err_len, "out of memory");
				goto out;
			}
		}
		if (saba_aws_page_retrying(a, c, token != NULL ? body : base, deadline_ms, &x, err,
					   err_len) != 0)
			goto out;
		for (size_t i = 0; i < saba_ec2_xml_count(x); i++) {
			const struct saba_ec2_instance *in = saba_ec2_xml_instance(x, i);

			if (fn != NULL && fn(arg, in->id, in->state, in->code) != 0) {
				snprintf(err, err_len, "stopped by the caller");
				goto out;
			}
		}
		next = saba_ec2_xml_next_token(x);
		if (next == NULL)
			break;
		if (token != NULL && strcmp(token, next) == 0) {
			snprintf(err, err_len, "the same nextToken twice");
			goto out;
		}
		free(token);
		token = strdup(next);
		saba_ec2_xml_free(x);
		x = NULL;
		if (token == NULL) {
			snprintf(err, err_len, "out of memory");
			goto out;
		}
	}
	ret = 0;
out:
	saba_ec2_xml_free(x);
	free(token);
	free(body);
	free(base);
	if (c != NULL)
		curl_easy_cleanup(c);
	return ret;
}
