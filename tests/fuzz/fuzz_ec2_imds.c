/*
 * fuzz_ec2_imds: IMDS answers (and the Mackerel host answer of the host
 * check) through the ec2 plugin's readers: the spot instance-action JSON
 * and the Auto Scaling lifecycle state (plugins/ec2/classify.c), whether a host
 * answer names this instance, the DMI uuid, the instance id, region and
 * identity document and meta.cloud (plugins/ec2/identity.c), and the instance
 * role's credentials JSON (plugins/ec2/aws.c, through its IMDS callback).  Each
 * verdict is checked against one worked out here, each evidence line must
 * be one printable line: it goes to the log and into a retire reason.
 *
 * Only the IMDS transfer is replaced: saba_imds_get() below serves the
 * input's parts by path (plugins/ec2/imds.c is not linked).
 *
 * Input: parts separated by "%%": spot/instance-action,
 * autoscaling/target-lifecycle-state, the Mackerel host answer,
 * meta-data/instance-id, meta-data/placement/region, the identity
 * document, the IAM role name, its credentials, then the answer to every
 * other path (meta.cloud items, the partition) and a DMI uuid.  A part
 * that starts with "!404\n" is answered 404 (any status works), "!none\n"
 * not at all.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "fuzz.h"
#include "plugins/ec2/aws.h"
#include "plugins/ec2/classify.h"
#include "plugins/ec2/identity.h"
#include "plugins/ec2/imds.h"
#include "plugins/lib/hostcheck.h"

#define FUZZ_CI "i-0123456789abcdef0.ec2.amazonaws.com"

enum {
	FUZZ_SPOT,
	FUZZ_LIFECYCLE,
	FUZZ_HOST,
	FUZZ_INSTANCE_ID,
	FUZZ_REGION,
	FUZZ_DOCUMENT,
	FUZZ_ROLE,
	FUZZ_CREDS,
	FUZZ_OTHER,
	FUZZ_UUID,
	FUZZ_NPARTS,
};

static struct fuzz_part fuzz_parts[FUZZ_NPARTS];

/* A part as IMDS would answer it: the status, and the body after a
 * "!status" line. */
static long fuzz_answer(int i, const char **body, size_t *len)
{
	const struct fuzz_part *p = &fuzz_parts[i];
	const char *nl = memchr(p->data, '\n', p->len);
	long status = 200;

	*body = p->data;
	*len = p->len;
	if (p->len > 0 && p->data[0] == '!' && nl != NULL) {
		char first[16];

		snprintf(first, sizeof(first), "%.*s", (int)(nl - p->data < 15 ? nl - p->data : 15),
			 p->data);
		status = strcmp(first, "!none") == 0 ? -1 : strtol(first + 1, NULL, 10);
		*len -= (size_t)(nl + 1 - p->data);
		*body = nl + 1;
	}
	return status;
}

long saba_imds_get(struct saba_imds *m, const char *path, char **body, char *err, size_t err_len)
{
	static const char *const paths[] = {
		[FUZZ_INSTANCE_ID] = "meta-data/instance-id",
		[FUZZ_REGION] = "meta-data/placement/region",
		[FUZZ_DOCUMENT] = "dynamic/instance-identity/document",
		[FUZZ_ROLE] = "meta-data/iam/security-credentials/",
	};
	int i = FUZZ_OTHER;
	const char *b;
	size_t len;
	long status;

	for (int k = 0; k < FUZZ_NPARTS; k++)
		if (k < (int)(sizeof(paths) / sizeof(paths[0])) && paths[k] != NULL &&
		    strcmp(path, paths[k]) == 0)
			i = k;
	if (strncmp(path, "meta-data/iam/security-credentials/", 35) == 0 && path[35] != '\0')
		i = FUZZ_CREDS;
	status = fuzz_answer(i, &b, &len);
	*body = NULL;
	if (status < 0) {
		snprintf(err, err_len, "IMDS: no answer (fuzz)");
		return -1;
	}
	/* like the client: a NUL-terminated copy of a 200 answer */
	if (status == 200)
		*body = fuzz_str(&(struct fuzz_part){b, len});
	return status;
}

/* One line of printable text, within its buffer. */
static void fuzz_line(const char *what, const char *s, size_t size)
{
	size_t n = strnlen(s, size);

	if (n == size)
		fuzz_fail("%s is not NUL-terminated", what);
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			fuzz_fail("%s has the control character 0x%02x: %s", what, s[i], s);
}

static void fuzz_signals(void)
{
	char evidence[256], *body;
	const char *b;
	size_t len;
	long status = fuzz_answer(FUZZ_SPOT, &b, &len);
	json_t *doc;
	int want, got;

	/* spot: only {"action": "terminate"} terminates */
	body = fuzz_str(&(struct fuzz_part){b, len});
	doc = json_loads(body, 0, NULL);
	want = status == 200 && json_is_string(json_object_get(doc, "action")) &&
	       strcmp(json_string_value(json_object_get(doc, "action")), "terminate") == 0;
	got = saba_ec2_spot_action(status, status == 200 ? body : NULL, evidence, sizeof(evidence));
	if (got != (want ? SABA_EC2_TERMINATING : SABA_EC2_KEEP))
		fuzz_fail("spot/instance-action: verdict %d, want %d", got, want);
	fuzz_line("the spot evidence", evidence, sizeof(evidence));
	json_decref(doc);
	free(body);

	/* lifecycle: only the word Terminated, a line end allowed */
	status = fuzz_answer(FUZZ_LIFECYCLE, &b, &len);
	body = fuzz_str(&(struct fuzz_part){b, len});
	len = strlen(body);
	while (len > 0 && (body[len - 1] == '\n' || body[len - 1] == '\r'))
		len--;
	want = status == 200 && len == 10 && strncmp(body, "Terminated", 10) == 0;
	got = saba_ec2_lifecycle_state(status, status == 200 ? body : NULL, evidence,
				       sizeof(evidence));
	if (got != (want ? SABA_EC2_TERMINATING : SABA_EC2_KEEP))
		fuzz_fail("target-lifecycle-state: verdict %d, want %d", got, want);
	fuzz_line("the lifecycle evidence", evidence, sizeof(evidence));
	free(body);
}

static void fuzz_host_check_answer(void)
{
	char evidence[256];
	const char *b, *ci;
	size_t len;
	long status = fuzz_answer(FUZZ_HOST, &b, &len);
	json_t *doc = json_loadb(b, len, 0, NULL), *host = json_object_get(doc, "host");
	int want, got;

	ci = json_string_value(json_object_get(host, "customIdentifier"));
	want = status == 200 && json_is_object(host) &&
	       !json_is_true(json_object_get(host, "isRetired")) && ci != NULL &&
	       strcmp(ci, FUZZ_CI) == 0;
	got = saba_host_matches(status, b, len, FUZZ_CI, evidence, sizeof(evidence));
	if (got != want)
		fuzz_fail("host check: %d, want %d (%s)", got, want, evidence);
	fuzz_line("the host check evidence", evidence, sizeof(evidence));
	json_decref(doc);
}

static void fuzz_identity(void)
{
	char err[256] = "", *id = NULL, *region = NULL, *meta, ci[128], *uuid;
	const char *b;
	size_t len;
	json_t *doc, *v;
	const char *key;
	int want;

	if (saba_ec2_imds_identity(NULL, &id, &region, err, sizeof(err)) == 0) {
		if (id == NULL || saba_ec2_custom_identifier(id, ci, sizeof(ci)) != 0)
			fuzz_fail("identity: instance id \"%s\" taken", id ? id : "(null)");
		if (region != NULL && !saba_ec2_valid_region(region))
			fuzz_fail("identity: region \"%s\" taken", region);
	} else if (id != NULL || region != NULL) {
		fuzz_fail("identity failed but set its results");
	}
	fuzz_line("the identity error", err, sizeof(err));
	free(id);
	free(region);

	meta = saba_ec2_cloud_meta(NULL, err, sizeof(err));
	doc = meta != NULL ? json_loads(meta, 0, NULL) : NULL;
	if (meta != NULL && (!json_is_object(json_object_get(doc, "metadata")) ||
			     json_object_size(json_object_get(doc, "metadata")) != 11))
		fuzz_fail("meta.cloud is not what mackerel-agent sends: %s", meta);
	json_object_foreach(json_object_get(doc, "metadata"), key, v)
	{
		if (!json_is_string(v))
			fuzz_fail("meta.cloud.metadata.%s is not a string", key);
	}
	json_decref(doc);
	free(meta);
	saba_ec2_imds_partition(NULL, err, sizeof(err));

	/* an EC2 uuid: "ec2"/"EC2" first, or "ec2" in its first field read
	 * little-endian (hex digits 6, 7 and 4) */
	fuzz_answer(FUZZ_UUID, &b, &len);
	uuid = fuzz_str(&(struct fuzz_part){b, len});
	want = strncmp(uuid, "ec2", 3) == 0 || strncmp(uuid, "EC2", 3) == 0 ||
	       (strcspn(uuid, "-") == 8 && strspn(uuid, "0123456789abcdefABCDEF") >= 8 &&
		tolower((unsigned char)uuid[6]) == 'e' && tolower((unsigned char)uuid[7]) == 'c' &&
		uuid[4] == '2');
	if (saba_ec2_uuid_is_ec2(uuid) != want)
		fuzz_fail("uuid \"%s\": %d, want %d", uuid, saba_ec2_uuid_is_ec2(uuid), want);
	free(uuid);
}

/* plugins/ec2/aws.c's IMDS callback, as the plugin passes it. */
static long fuzz_imds_fn(void *arg, const char *path, char **body, char *err, size_t err_len)
{
	return saba_imds_get(arg, path, body, err, err_len);
}

/* The role's credentials: taken only from a usable answer (an empty Code
 * counts as none). */
static void fuzz_credentials(void)
{
	const struct saba_aws_config cfg = {
		.region = "us-east-1",
		.endpoint = "http://127.0.0.1:9",
		.timeout_ms = 1000,
		.imds_get = fuzz_imds_fn,
	};
	struct saba_aws *a = saba_aws_new(&cfg);
	char key[256], err[256] = "", *text;
	const char *b, *want, *code;
	size_t len;
	long status = fuzz_answer(FUZZ_CREDS, &b, &len);
	json_t *doc;

	if (a == NULL)
		fuzz_fail("saba_aws_new() refused the harness's config");
	text = fuzz_str(&(struct fuzz_part){b, len});
	doc = json_loads(text, 0, NULL);
	want = json_string_value(json_object_get(doc, "AccessKeyId"));
	code = json_string_value(json_object_get(doc, "Code"));
	if (saba_aws_key_id(a, key, sizeof(key), err, sizeof(err)) == 0) {
		if (status != 200 || want == NULL || strncmp(key, want, sizeof(key) - 1) != 0 ||
		    (code != NULL && *code != '\0' && strcmp(code, "Success") != 0) ||
		    json_string_length(json_object_get(doc, "SecretAccessKey")) == 0)
			fuzz_fail("credentials with key id \"%s\" taken", key);
	}
	fuzz_line("the credentials error", err, sizeof(err));
	json_decref(doc);
	free(text);
	saba_aws_free(a);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int env_cleared;

	/* role credentials are only read when the environment has none */
	if (!env_cleared) {
		unsetenv("AWS_ACCESS_KEY_ID");
		unsetenv("AWS_SECRET_ACCESS_KEY");
		unsetenv("AWS_SESSION_TOKEN");
		env_cleared = 1;
	}
	for (int i = 0; i < FUZZ_NPARTS; i++)
		fuzz_parts[i] = (struct fuzz_part){"", 0};
	fuzz_split(data, size, fuzz_parts, FUZZ_NPARTS);
	fuzz_signals();
	fuzz_host_check_answer();
	fuzz_identity();
	fuzz_credentials();
	return 0;
}
