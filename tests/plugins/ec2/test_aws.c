/*
 * The ec2 plugin's AWS side: the DescribeInstances reader (real-shaped
 * answers, any element order, errors, broken XML, streaming), credentials
 * (environment, instance role through a fake IMDS callback, refresh before
 * Expiration), and DescribeInstances against the fake EC2, which checks
 * every signature with aws4 (second suite; without node the program ends
 * SKIP after the first suite passed).
 *
 * Environment: SABA_SRCDIR (tests/plugins/ec2/).
 */
#define _GNU_SOURCE

#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ec2/aws.h"
#include "ec2/xml.h"
#include "lib/clock.h"
#include "unit.h"
#include "fakeec2.h"

/* ------------------------------------------------------------------ */
/* the XML reader                                                       */

/* An answer shaped like EC2's (trimmed from the API reference's example,
 * with the nested elements that also carry code/name/status/item). */
static const char real_answer[] =
	"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	"<DescribeInstancesResponse xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15/\">\n"
	"  <requestId>8f7724cf-496f-496e-8fe3-example</requestId>\n"
	"  <reservationSet>\n"
	"    <item>\n"
	"      <reservationId>r-1234567890abcdef0</reservationId>\n"
	"      <ownerId>123456789012</ownerId>\n"
	"      <groupSet/>\n"
	"      <instancesSet>\n"
	"        <item>\n"
	"          <instanceId>i-1234567890abcdef0</instanceId>\n"
	"          <imageId>ami-bff32ccc</imageId>\n"
	"          <instanceState>\n"
	"            <code>16</code>\n"
	"            <name>running</name>\n"
	"          </instanceState>\n"
	"          <privateDnsName>ip-192-168-1-88.eu-west-1.compute.internal</privateDnsName>\n"
	"          <reason/>\n"
	"          <productCodes/>\n"
	"          <placement><availabilityZone>eu-west-1c</availabilityZone></placement>\n"
	"          <stateReason><code>Client.UserInitiatedShutdown</code>"
	"<message>x</message></stateReason>\n"
	"          <monitoring><state>disabled</state></monitoring>\n"
	"          <tagSet><item><key>Name</key><value>&lt;instanceId&gt;i-evil"
	"&lt;/instanceId&gt;</value></item></tagSet>\n"
	"          <networkInterfaceSet><item><status>in-use</status><attachment>"
	"<status>attached</status></attachment></item></networkInterfaceSet>\n"
	"        </item>\n"
	"      </instancesSet>\n"
	"    </item>\n"
	"    <item>\n"
	"      <reservationId>r-2</reservationId>\n"
	"      <instancesSet>\n"
	"        <item><instanceId>i-0badc0de00000001a</instanceId>"
	"<instanceState><code>48</code><name>terminated</name></instanceState></item>\n"
	"        <item><instanceId>i-0badc0de00000002b</instanceId>"
	"<instanceState><code>32</code><name>shutting-down</name></instanceState></item>\n"
	"      </instancesSet>\n"
	"    </item>\n"
	"  </reservationSet>\n"
	"  <nextToken>eyJ2IjoiMiIsImMiOiJ4In0=</nextToken>\n"
	"</DescribeInstancesResponse>\n";

static struct saba_ec2_xml *parse(const char *doc)
{
	struct saba_ec2_xml *x = saba_ec2_xml_new();

	CU_ASSERT_PTR_NOT_NULL_FATAL(x);
	saba_ec2_xml_feed(x, doc, strlen(doc), 1);
	return x;
}

static void test_xml_real_answer(void)
{
	struct saba_ec2_xml *x = parse(real_answer);

	CU_ASSERT_PTR_NULL(saba_ec2_xml_problem(x));
	CU_ASSERT_EQUAL(saba_ec2_xml_kind(x), SABA_EC2_XML_DESCRIBE);
	CU_ASSERT_EQUAL_FATAL(saba_ec2_xml_count(x), 3);
	CU_ASSERT_STRING_EQUAL(saba_ec2_xml_instance(x, 0)->id, "i-1234567890abcdef0");
	CU_ASSERT_STRING_EQUAL(saba_ec2_xml_instance(x, 0)->state, "running");
	CU_ASSERT_EQUAL(saba_ec2_xml_instance(x, 0)->code, 16);
	CU_ASSERT_STRING_EQUAL(saba_ec2_xml_instance(x, 1)->id, "i-0badc0de00000001a");
	CU_ASSERT_EQUAL(saba_ec2_xml_instance(x, 1)->code, 48);
	CU_ASSERT_STRING_EQUAL(saba_ec2_xml_instance(x, 2)->state, "shutting-down");
	CU_ASSERT_EQUAL(saba_ec2_xml_instance(x, 2)->code, 32);
	CU_ASSERT_STRING_EQUAL(saba_ec2_xml_next_token(x), "eyJ2IjoiMiIsImMiOiJ4In0=");
	CU_ASSERT_PTR_NULL(saba_ec2_xml_error_code(x));
	saba_ec2_xml_free(x);
}

/* Fed one byte at a time, as a slow network would. */
static void test_xml_streamed_bytewise(void)
{
	struct saba_ec2_xml *x = saba_ec2_xml_new();
	size_t n = strlen(real_answer);

	for (size_t i = 0; i < n; i++)
		CU_ASSERT_EQUAL_FATAL(saba_ec2_xml_feed(x, real_answer + i, 1, 0), 0);
	CU_ASSERT_EQUAL(saba_ec2_xml_feed(x, "", 0, 1), 0);
	CU_ASSERT_EQUAL(saba_ec2_xml_count(x), 3);
	CU_ASSERT_PTR_NOT_NULL(saba_ec2_xml_next_token(x));
	saba_ec2_xml_free(x);
}

static void test_xml_any_order(void)
{
	struct saba_ec2_xml *x =
		parse("<DescribeInstancesResponse><nextToken>t2</nextToken><requestId>r</requestId>"
		      "<reservationSet><item><instancesSet><item>"
		      "<instanceState><name>stopped</name><code>80</code></instanceState>"
		      "<tagSet/><instanceId>i-00000000000000001</instanceId>"
		      "</item></instancesSet><ownerId>1</ownerId></item></reservationSet>"
		      "</DescribeInstancesResponse>");

	CU_ASSERT_PTR_NULL(saba_ec2_xml_problem(x));
	CU_ASSERT_EQUAL_FATAL(saba_ec2_xml_count(x), 1);
	CU_ASSERT_STRING_EQUAL(saba_ec2_xml_instance(x, 0)->id, "i-00000000000000001");
	CU_ASSERT_STRING_EQUAL(saba_ec2_xml_instance(x, 0)->state, "stopped");
	CU_ASSERT_EQUAL(saba_ec2_xml_instance(x, 0)->code, 80);
	CU_ASSERT_STRING_EQUAL(saba_ec2_xml_next_token(x), "t2");
	saba_ec2_xml_free(x);
}

/* The state code is 16-bit; only the low byte is the state. */
static void test_xml_code_low_byte(void)
{
	struct saba_ec2_xml *x =
		parse("<DescribeInstancesResponse><reservationSet><item><instancesSet><item>"
		      "<instanceId>i-1</instanceId><instanceState><code> 272 </code>"
		      "<name>running</name></instanceState></item></instancesSet></item>"
		      "</reservationSet></DescribeInstancesResponse>");

	CU_ASSERT_PTR_NULL(saba_ec2_xml_problem(x));
	CU_ASSERT_EQUAL_FATAL(saba_ec2_xml_count(x), 1);
	CU_ASSERT_EQUAL(saba_ec2_xml_instance(x, 0)->code, 16);
	CU_ASSERT_PTR_NULL(saba_ec2_xml_next_token(x));
	saba_ec2_xml_free(x);
}

static void test_xml_prefixed_namespace(void)
{
	struct saba_ec2_xml *x = parse(
		"<e:DescribeInstancesResponse xmlns:e=\"http://ec2.amazonaws.com/doc/2016-11-15/\">"
		"<e:reservationSet><e:item><e:instancesSet><e:item><e:instanceId>i-2</e:instanceId>"
		"<e:instanceState><e:code>48</e:code><e:name>terminated</e:name>"
		"</e:instanceState></e:item></e:instancesSet></e:item></e:reservationSet>"
		"</e:DescribeInstancesResponse>");

	CU_ASSERT_PTR_NULL(saba_ec2_xml_problem(x));
	CU_ASSERT_EQUAL_FATAL(saba_ec2_xml_count(x), 1);
	CU_ASSERT_EQUAL(saba_ec2_xml_instance(x, 0)->code, 48);
	saba_ec2_xml_free(x);
}

static void test_xml_empty_answer(void)
{
	struct saba_ec2_xml *x = parse(
		"<DescribeInstancesResponse xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15/\">"
		"<requestId>r</requestId><reservationSet/></DescribeInstancesResponse>");

	CU_ASSERT_PTR_NULL(saba_ec2_xml_problem(x));
	CU_ASSERT_EQUAL(saba_ec2_xml_kind(x), SABA_EC2_XML_DESCRIBE);
	CU_ASSERT_EQUAL(saba_ec2_xml_count(x), 0);
	CU_ASSERT_PTR_NULL(saba_ec2_xml_next_token(x));
	saba_ec2_xml_free(x);
}

/* Elements named like the ones that matter, in the wrong place, are not
 * instances: a stray instanceId inside a tag, an item outside
 * reservationSet. */
static void test_xml_misplaced_names_ignored(void)
{
	struct saba_ec2_xml *x = parse(
		"<DescribeInstancesResponse><instancesSet><item><instanceId>i-stray</instanceId>"
		"<instanceState><code>48</code></instanceState></item></instancesSet>"
		"<reservationSet><item><instancesSet><item><instanceId>i-3</instanceId>"
		"<tagSet><item><instanceId>i-evil</instanceId><instanceState><code>48</code>"
		"</instanceState></item></tagSet>"
		"<instanceState><code>16</code><name>running</name></instanceState>"
		"</item></instancesSet></item></reservationSet></DescribeInstancesResponse>");

	CU_ASSERT_PTR_NULL(saba_ec2_xml_problem(x));
	CU_ASSERT_EQUAL_FATAL(saba_ec2_xml_count(x), 1);
	CU_ASSERT_STRING_EQUAL(saba_ec2_xml_instance(x, 0)->id, "i-3");
	CU_ASSERT_EQUAL(saba_ec2_xml_instance(x, 0)->code, 16);
	saba_ec2_xml_free(x);
}

static void test_xml_error_answer(void)
{
	struct saba_ec2_xml *x =
		parse("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Response><Errors><Error>"
		      "<Code>RequestLimitExceeded</Code><Message>Request limit exceeded.</Message>"
		      "</Error><Error><Code>Other</Code><Message>second</Message></Error></Errors>"
		      "<RequestID>d4904fd9-82c2-4ea5-adfe-a9cc3EXAMPLE</RequestID></Response>");

	CU_ASSERT_PTR_NULL(saba_ec2_xml_problem(x));
	CU_ASSERT_EQUAL(saba_ec2_xml_kind(x), SABA_EC2_XML_ERROR);
	CU_ASSERT_STRING_EQUAL(saba_ec2_xml_error_code(x), "RequestLimitExceeded");
	CU_ASSERT_STRING_EQUAL(saba_ec2_xml_error_message(x), "Request limit exceeded.");
	CU_ASSERT_EQUAL(saba_ec2_xml_count(x), 0);
	saba_ec2_xml_free(x);
}

/* Each of these must be refused, never read as "no instances". */
static void test_xml_broken(void)
{
	static const char *const bad[] = {
		"",
		"this is <not xml",
		"<html><body>502 Bad Gateway</body></html>",
		"<DescribeInstancesResponse><reservationSet><item><instancesSet><item>"
		"<instanceId>i-4</instanceId>", /* truncated */
		"<DescribeInstancesResponse><reservationSet><item><instancesSet><item>"
		"<instanceState><code>16</code></instanceState></item></instancesSet></item>"
		"</reservationSet></DescribeInstancesResponse>", /* no id */
		"<DescribeInstancesResponse><reservationSet><item><instancesSet><item>"
		"<instanceId>i-5</instanceId><instanceState><name>running</name></instanceState>"
		"</item></instancesSet></item></reservationSet></DescribeInstancesResponse>",
		"<DescribeInstancesResponse><reservationSet><item><instancesSet><item>"
		"<instanceId>i-6</instanceId><instanceState><code>sixteen</code></instanceState>"
		"</item></instancesSet></item></reservationSet></DescribeInstancesResponse>",
		"<DescribeInstancesResponse><reservationSet><item><instancesSet><item>"
		"<instanceId>i-000000000000000000000000000000000000000000</instanceId>"
		"<instanceState><code>16</code></instanceState></item></instancesSet></item>"
		"</reservationSet></DescribeInstancesResponse>", /* id too long */
		"<!DOCTYPE r [<!ENTITY a \"aaaa\">]><DescribeInstancesResponse>&a;"
		"</DescribeInstancesResponse>",
		"<DescribeInstancesResponse></DescribeInstancesResponse><x/>",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct saba_ec2_xml *x = saba_ec2_xml_new();
		int rc = saba_ec2_xml_feed(x, bad[i], strlen(bad[i]), 1);

		if (rc != -1 || saba_ec2_xml_problem(x) == NULL)
			fprintf(stderr, "\n  accepted bad answer %zu: %s\n", i, bad[i]);
		CU_ASSERT_EQUAL(rc, -1);
		CU_ASSERT_PTR_NOT_NULL(saba_ec2_xml_problem(x));
		saba_ec2_xml_free(x);
	}
}

/* ------------------------------------------------------------------ */
/* credentials through a fake IMDS                                      */

struct fake_imds {
	int calls;
	int fail;   /* answer -1 (no answer) */
	int status; /* else this status (0: 200) */
	char expiration[64];
	char code[16];
	char key_id[32];
};

static long fake_imds_get(void *arg, const char *path, char **body, char *err, size_t err_len)
{
	struct fake_imds *m = arg;

	m->calls++;
	if (m->fail) {
		snprintf(err, err_len, "connection refused");
		return -1;
	}
	if (m->status != 0 && m->status != 200)
		return m->status;
	if (strcmp(path, "meta-data/iam/security-credentials/") == 0) {
		*body = strdup("sweeper-role\n");
		return 200;
	}
	if (strcmp(path, "meta-data/iam/security-credentials/sweeper-role") == 0) {
		if (asprintf(body,
			     "{\"Code\":\"%s\",\"LastUpdated\":\"2024-01-01T00:00:00Z\","
			     "\"Type\":\"AWS-HMAC\",\"AccessKeyId\":\"%s\","
			     "\"SecretAccessKey\":\"role-secret-XYZ\",\"Token\":\"role-token-%d\","
			     "\"Expiration\":\"%s\"}",
			     m->code[0] ? m->code : "Success", m->key_id, m->calls,
			     m->expiration) < 0)
			return -1;
		return 200;
	}
	return 404;
}

/* now + s seconds as an IMDS Expiration. */
static void expiration_in(struct fake_imds *m, long s)
{
	time_t t = time(NULL) + s;
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(m->expiration, sizeof(m->expiration), "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void clear_env_creds(void)
{
	unsetenv("AWS_ACCESS_KEY_ID");
	unsetenv("AWS_SECRET_ACCESS_KEY");
	unsetenv("AWS_SESSION_TOKEN");
}

static struct saba_aws *new_aws(const char *endpoint, struct fake_imds *m, long timeout_ms)
{
	struct saba_aws_config cfg = {
		.region = "eu-west-1",
		.endpoint = endpoint,
		.timeout_ms = timeout_ms,
		.imds_get = m != NULL ? fake_imds_get : NULL,
		.imds_arg = m,
	};

	return saba_aws_new(&cfg);
}

static void test_creds_environment_first(void)
{
	struct fake_imds m = {.key_id = "ASIAROLE"};
	struct saba_aws *a;
	char id[64], err[256];

	expiration_in(&m, 3600);
	setenv("AWS_ACCESS_KEY_ID", "AKIAENVIRONMENT", 1);
	setenv("AWS_SECRET_ACCESS_KEY", "env-secret", 1);
	a = new_aws("http://127.0.0.1:9", &m, 1000);
	CU_ASSERT_EQUAL(saba_aws_key_id(a, id, sizeof(id), err, sizeof(err)), 0);
	CU_ASSERT_STRING_EQUAL(id, "AKIAENVIRONMENT");
	CU_ASSERT_EQUAL(m.calls, 0);
	saba_aws_free(a);
	/* Half a pair is no pair: the role is used. */
	unsetenv("AWS_SECRET_ACCESS_KEY");
	a = new_aws("http://127.0.0.1:9", &m, 1000);
	CU_ASSERT_EQUAL(saba_aws_key_id(a, id, sizeof(id), err, sizeof(err)), 0);
	CU_ASSERT_STRING_EQUAL(id, "ASIAROLE");
	saba_aws_free(a);
	clear_env_creds();
}

static void test_creds_role_cached_until_near_expiry(void)
{
	struct fake_imds m = {.key_id = "ASIAROLE1"};
	struct saba_aws *a;
	char id[64], err[256];

	clear_env_creds();
	expiration_in(&m, 3600);
	a = new_aws("http://127.0.0.1:9", &m, 1000);
	CU_ASSERT_EQUAL(saba_aws_key_id(a, id, sizeof(id), err, sizeof(err)), 0);
	CU_ASSERT_STRING_EQUAL(id, "ASIAROLE1");
	CU_ASSERT_EQUAL(m.calls, 2); /* role name, then its credentials */
	CU_ASSERT_EQUAL(saba_aws_key_id(a, id, sizeof(id), err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(m.calls, 2); /* an hour left: cached */
	saba_aws_free(a);

	/* Four minutes left: inside the 5-minute margin, fetched every time. */
	m.calls = 0;
	expiration_in(&m, 240);
	a = new_aws("http://127.0.0.1:9", &m, 1000);
	CU_ASSERT_EQUAL(saba_aws_key_id(a, id, sizeof(id), err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(saba_aws_key_id(a, id, sizeof(id), err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(m.calls, 4);
	/* The new credentials come with a later Expiration: cached again. */
	snprintf(m.key_id, sizeof(m.key_id), "ASIAROLE2");
	expiration_in(&m, 3600);
	CU_ASSERT_EQUAL(saba_aws_key_id(a, id, sizeof(id), err, sizeof(err)), 0);
	CU_ASSERT_STRING_EQUAL(id, "ASIAROLE2");
	CU_ASSERT_EQUAL(saba_aws_key_id(a, id, sizeof(id), err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(m.calls, 6);
	saba_aws_free(a);
}

static void test_creds_refresh_failure(void)
{
	struct fake_imds m = {.key_id = "ASIAOLD"};
	struct saba_aws *a;
	char id[64], err[256];

	clear_env_creds();
	/* Due for refresh but still valid: IMDS down, the old ones serve. */
	expiration_in(&m, 200);
	a = new_aws("http://127.0.0.1:9", &m, 1000);
	CU_ASSERT_EQUAL(saba_aws_key_id(a, id, sizeof(id), err, sizeof(err)), 0);
	m.fail = 1;
	CU_ASSERT_EQUAL(saba_aws_key_id(a, id, sizeof(id), err, sizeof(err)), 0);
	CU_ASSERT_STRING_EQUAL(id, "ASIAOLD");
	saba_aws_free(a);

	/* Expired and IMDS down: no credentials, and the error says why. */
	m.fail = 0;
	m.calls = 0;
	expiration_in(&m, -10);
	a = new_aws("http://127.0.0.1:9", &m, 1000);
	CU_ASSERT_EQUAL(saba_aws_key_id(a, id, sizeof(id), err, sizeof(err)), 0);
	m.fail = 1;
	CU_ASSERT_EQUAL(saba_aws_key_id(a, id, sizeof(id), err, sizeof(err)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "connection refused"));
	CU_ASSERT_PTR_NULL(strstr(err, "role-secret"));
	saba_aws_free(a);
}

static void test_creds_errors(void)
{
	struct fake_imds m = {.key_id = "ASIAX", .status = 404};
	struct saba_aws *a;
	char id[64], err[256];

	clear_env_creds();
	expiration_in(&m, 3600);
	a = new_aws("http://127.0.0.1:9", &m, 1000);
	CU_ASSERT_EQUAL(saba_aws_key_id(a, id, sizeof(id), err, sizeof(err)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "IAM role"));
	m.status = 0;
	snprintf(m.code, sizeof(m.code), "Failure");
	CU_ASSERT_EQUAL(saba_aws_key_id(a, id, sizeof(id), err, sizeof(err)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "Failure"));
	CU_ASSERT_PTR_NULL(strstr(err, "role-secret"));
	saba_aws_free(a);

	/* No environment, no IMDS. */
	a = new_aws("http://127.0.0.1:9", NULL, 1000);
	CU_ASSERT_EQUAL(saba_aws_key_id(a, id, sizeof(id), err, sizeof(err)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "AWS_ACCESS_KEY_ID"));
	saba_aws_free(a);
}

static void test_config_problems(void)
{
	struct saba_aws_config ok = {.region = "ap-northeast-1", .timeout_ms = 1000};
	struct saba_aws_config c;

	CU_ASSERT_PTR_NULL(saba_aws_config_problem(&ok));
	c = ok;
	c.region = NULL;
	CU_ASSERT_PTR_NOT_NULL(saba_aws_config_problem(&c));
	CU_ASSERT_PTR_NULL(saba_aws_new(&c));
	c.region = "us-east-1/../x";
	CU_ASSERT_PTR_NOT_NULL(saba_aws_config_problem(&c));
	c = ok;
	c.endpoint = "ftp://127.0.0.1/";
	CU_ASSERT_PTR_NOT_NULL(saba_aws_config_problem(&c));
	c = ok;
	c.timeout_ms = 0;
	CU_ASSERT_PTR_NOT_NULL(saba_aws_config_problem(&c));
}

static const struct unit_test offline_tests[] = {
	UNIT_TEST(test_xml_real_answer),
	UNIT_TEST(test_xml_streamed_bytewise),
	UNIT_TEST(test_xml_any_order),
	UNIT_TEST(test_xml_code_low_byte),
	UNIT_TEST(test_xml_prefixed_namespace),
	UNIT_TEST(test_xml_empty_answer),
	UNIT_TEST(test_xml_misplaced_names_ignored),
	UNIT_TEST(test_xml_error_answer),
	UNIT_TEST(test_xml_broken),
	UNIT_TEST(test_creds_environment_first),
	UNIT_TEST(test_creds_role_cached_until_near_expiry),
	UNIT_TEST(test_creds_refresh_failure),
	UNIT_TEST(test_creds_errors),
	UNIT_TEST(test_config_problems),
};

/* ------------------------------------------------------------------ */
/* DescribeInstances against the fake EC2                               */

static struct fakeec2 fake;

#define ID_RUN	"i-0aaaaaaaaaaaaaaa1"
#define ID_TERM "i-0aaaaaaaaaaaaaaa2"
#define ID_GONE "i-0aaaaaaaaaaaaaaa3"

struct seen {
	int n;
	char ids[400][SABA_EC2_ID_MAX];
	char states[400][SABA_EC2_STATE_MAX];
	int codes[400];
};

static int on_instance(void *arg, const char *id, const char *state, int code)
{
	struct seen *s = arg;

	if (s->n < 400) {
		snprintf(s->ids[s->n], SABA_EC2_ID_MAX, "%s", id);
		snprintf(s->states[s->n], SABA_EC2_STATE_MAX, "%s", state);
		s->codes[s->n] = code;
	}
	s->n++;
	return 0;
}

static int find(const struct seen *s, const char *id)
{
	for (int i = 0; i < s->n && i < 400; i++) {
		if (strcmp(s->ids[i], id) == 0)
			return i;
	}
	return -1;
}

static json_t *stats(void)
{
	char *body = NULL;
	json_t *j;

	fakeec2_call(&fake, "/_fake/stats", NULL, &body);
	j = json_loads(body, 0, NULL);
	free(body);
	return j;
}

static long stat_total(const char *key)
{
	json_t *j = stats();
	long v = (long)json_integer_value(json_object_get(json_object_get(j, "total"), key));

	json_decref(j);
	return v;
}

static void fake_reset(void)
{
	char buf[512];

	fakeec2_post(&fake, "/_fake/reset", "{}");
	fakeec2_post(
		&fake, "/_fake/credentials",
		"{\"accessKeyId\":\"AKIATESTKEY\",\"secretAccessKey\":\"wJalr/K7MDENG+bPxRfi\"}");
	snprintf(buf, sizeof(buf),
		 "{\"region\":\"eu-west-1\",\"instances\":{\"%s\":\"running\",\"%s\":"
		 "\"terminated\"}}",
		 ID_RUN, ID_TERM);
	fakeec2_post(&fake, "/_fake/instances", buf);
	setenv("AWS_ACCESS_KEY_ID", "AKIATESTKEY", 1);
	setenv("AWS_SECRET_ACCESS_KEY", "wJalr/K7MDENG+bPxRfi", 1);
	unsetenv("AWS_SESSION_TOKEN");
	unsetenv("AWS_ENDPOINT_URL_EC2");
}

static int describe3(struct saba_aws *a, long budget_ms, struct seen *s, char *err, size_t len)
{
	const char *ids[] = {ID_RUN, ID_TERM, ID_GONE};

	memset(s, 0, sizeof(*s));
	return saba_ec2_describe(a, ids, 3, saba_clock_ms() + budget_ms, on_instance, s, err, len);
}

static void test_describe_signed_states(void)
{
	struct saba_aws *a;
	struct seen s;
	char err[512];
	int i;

	fake_reset();
	a = new_aws(fake.url, NULL, 5000);
	CU_ASSERT_EQUAL_FATAL(describe3(a, 10000, &s, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(s.n, 2); /* the absent id is simply absent */
	i = find(&s, ID_RUN);
	CU_ASSERT(i >= 0 && s.codes[i] == 16 && strcmp(s.states[i], "running") == 0);
	i = find(&s, ID_TERM);
	CU_ASSERT(i >= 0 && s.codes[i] == 48 && strcmp(s.states[i], "terminated") == 0);
	CU_ASSERT_EQUAL(find(&s, ID_GONE), -1);
	CU_ASSERT_EQUAL(stat_total("requests"), 1);
	CU_ASSERT_EQUAL(stat_total("authFailures"), 0);
	CU_ASSERT_EQUAL(stat_total("maxIds"), 3);
	CU_ASSERT_EQUAL(saba_aws_requests(a), 1);
	saba_aws_free(a);
}

static void test_describe_wrong_secret(void)
{
	struct saba_aws *a;
	struct seen s;
	char err[512];

	fake_reset();
	setenv("AWS_SECRET_ACCESS_KEY", "not-the-secret", 1);
	a = new_aws(fake.url, NULL, 5000);
	CU_ASSERT_EQUAL(describe3(a, 10000, &s, err, sizeof(err)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "AuthFailure"));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "401"));
	CU_ASSERT_PTR_NULL(strstr(err, "not-the-secret"));
	CU_ASSERT_EQUAL(s.n, 0);
	CU_ASSERT_EQUAL(stat_total("requests"), 1); /* not retried */
	CU_ASSERT_EQUAL(stat_total("authFailures"), 1);
	saba_aws_free(a);
}

/* A session token goes in X-Amz-Security-Token and is signed. */
static void test_describe_session_token(void)
{
	struct saba_aws *a;
	struct seen s;
	char err[512];

	fake_reset();
	fakeec2_post(&fake, "/_fake/credentials",
		     "{\"accessKeyId\":\"ASIATEMP\",\"secretAccessKey\":\"tmp-secret\","
		     "\"sessionToken\":\"FwoGZXIvYXdzE+/=token\"}");
	setenv("AWS_ACCESS_KEY_ID", "ASIATEMP", 1);
	setenv("AWS_SECRET_ACCESS_KEY", "tmp-secret", 1);
	setenv("AWS_SESSION_TOKEN", "FwoGZXIvYXdzE+/=token", 1);
	a = new_aws(fake.url, NULL, 5000);
	CU_ASSERT_EQUAL(describe3(a, 10000, &s, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(s.n, 2);
	saba_aws_free(a);
	/* A temporary key without its token is refused. */
	unsetenv("AWS_SESSION_TOKEN");
	a = new_aws(fake.url, NULL, 5000);
	CU_ASSERT_EQUAL(describe3(a, 10000, &s, err, sizeof(err)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "AuthFailure"));
	saba_aws_free(a);
}

/* Role credentials from the fake IMDS, signed with their token. */
static void test_describe_role_credentials(void)
{
	struct fake_imds m = {.key_id = "ASIAROLEKEY"};
	struct saba_aws *a;
	struct seen s;
	char err[512];

	fake_reset();
	clear_env_creds();
	expiration_in(&m, 3600);
	/* The fake IMDS numbers its tokens by call: the 2nd call answers them. */
	fakeec2_post(&fake, "/_fake/credentials",
		     "{\"accessKeyId\":\"ASIAROLEKEY\",\"secretAccessKey\":\"role-secret-XYZ\","
		     "\"sessionToken\":\"role-token-2\"}");
	a = new_aws(fake.url, &m, 5000);
	CU_ASSERT_EQUAL(describe3(a, 10000, &s, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(s.n, 2);
	CU_ASSERT_EQUAL(describe3(a, 10000, &s, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(m.calls, 2);
	saba_aws_free(a);
}

static void test_describe_pages(void)
{
	struct saba_aws *a;
	struct seen s;
	char err[512], buf[8192], *ids[250];
	size_t len = 0;

	fake_reset();
	len += (size_t)snprintf(buf + len, sizeof(buf) - len,
				"{\"region\":\"eu-west-1\",\"instances\":{");
	for (int i = 0; i < 250; i++) {
		ids[i] = malloc(SABA_EC2_ID_MAX);
		snprintf(ids[i], SABA_EC2_ID_MAX, "i-0%016x", 0x1000 + i);
		if (i < 190) /* the last 60 are absent */
			len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%s\"%s\":\"%s\"",
						i ? "," : "", ids[i],
						i % 2 ? "stopped" : "running");
	}
	snprintf(buf + len, sizeof(buf) - len, "}}");
	CU_ASSERT_EQUAL(fakeec2_post(&fake, "/_fake/instances", buf), 200);
	fakeec2_post(&fake, "/_fake/config", "{\"pageSize\":50,\"shuffle\":true}");
	a = new_aws(fake.url, NULL, 5000);
	memset(&s, 0, sizeof(s));
	CU_ASSERT_EQUAL(saba_ec2_describe(a, (const char *const *)ids, 200, saba_clock_ms() + 10000,
					  on_instance, &s, err, sizeof(err)),
			0);
	CU_ASSERT_EQUAL(s.n, 190);
	CU_ASSERT_EQUAL(stat_total("requests"), 4); /* 50 + 50 + 50 + 40 */
	CU_ASSERT_EQUAL(stat_total("maxIds"), 200);
	CU_ASSERT(find(&s, ids[189]) >= 0 && s.codes[find(&s, ids[189])] == 80);
	CU_ASSERT_EQUAL(find(&s, ids[190]), -1);
	/* More than 200 values is the caller's mistake, refused before sending. */
	CU_ASSERT_EQUAL(saba_ec2_describe(a, (const char *const *)ids, 201, saba_clock_ms() + 10000,
					  on_instance, &s, err, sizeof(err)),
			-1);
	CU_ASSERT_EQUAL(stat_total("requests"), 4);
	fakeec2_post(&fake, "/_fake/config", "{\"pageSize\":1000,\"shuffle\":false}");
	saba_aws_free(a);
	for (int i = 0; i < 250; i++)
		free(ids[i]);
}

static void test_describe_throttled_then_ok(void)
{
	struct saba_aws *a;
	struct seen s;
	char err[512];

	fake_reset();
	fakeec2_post(&fake, "/_fake/faults",
		     "{\"region\":\"eu-west-1\",\"faults\":[{\"error\":\"RequestLimitExceeded\","
		     "\"count\":2},{\"error\":\"InternalError\",\"count\":1}]}");
	a = new_aws(fake.url, NULL, 5000);
	CU_ASSERT_EQUAL(describe3(a, 20000, &s, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(s.n, 2);
	CU_ASSERT_EQUAL(stat_total("requests"), 4);
	saba_aws_free(a);
}

static void test_describe_throttled_past_deadline(void)
{
	struct saba_aws *a;
	struct seen s;
	char err[512];
	int64_t t0 = saba_clock_ms(), took;

	fake_reset();
	fakeec2_post(
		&fake, "/_fake/faults",
		"{\"region\":\"eu-west-1\",\"faults\":[{\"error\":\"RequestLimitExceeded\"}]}");
	a = new_aws(fake.url, NULL, 5000);
	CU_ASSERT_EQUAL(describe3(a, 3000, &s, err, sizeof(err)), -1);
	took = saba_clock_ms() - t0;
	CU_ASSERT(took <= 3500);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "RequestLimitExceeded"));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "gave up"));
	CU_ASSERT(stat_total("requests") >= 3); /* it did retry, with backoff */
	CU_ASSERT(stat_total("requests") <= 12);
	CU_ASSERT_EQUAL(s.n, 0);
	saba_aws_free(a);
}

static void test_describe_final_errors(void)
{
	static const char *const codes[] = {"UnauthorizedOperation", "AuthFailure",
					    "InvalidParameterValue"};
	struct saba_aws *a;
	struct seen s;
	char err[512], buf[256];

	for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
		fake_reset();
		snprintf(buf, sizeof(buf),
			 "{\"region\":\"eu-west-1\",\"faults\":[{\"error\":\"%s\"}]}", codes[i]);
		fakeec2_post(&fake, "/_fake/faults", buf);
		a = new_aws(fake.url, NULL, 5000);
		CU_ASSERT_EQUAL(describe3(a, 10000, &s, err, sizeof(err)), -1);
		CU_ASSERT_PTR_NOT_NULL(strstr(err, codes[i]));
		CU_ASSERT_EQUAL(stat_total("requests"), 1);
		saba_aws_free(a);
	}
}

static void test_describe_unreadable_200(void)
{
	static const char *const kinds[] = {"garbage", "truncated"};
	struct saba_aws *a;
	struct seen s;
	char err[512], buf[256];

	for (size_t i = 0; i < 2; i++) {
		fake_reset();
		snprintf(buf, sizeof(buf),
			 "{\"region\":\"eu-west-1\",\"faults\":[{\"error\":\"%s\"}]}", kinds[i]);
		fakeec2_post(&fake, "/_fake/faults", buf);
		a = new_aws(fake.url, NULL, 5000);
		CU_ASSERT_EQUAL(describe3(a, 10000, &s, err, sizeof(err)), -1);
		CU_ASSERT_PTR_NOT_NULL(strstr(err, "unreadable"));
		CU_ASSERT_EQUAL(s.n, 0);
		saba_aws_free(a);
	}
}

static void test_describe_hang_times_out(void)
{
	struct saba_aws *a;
	struct seen s;
	char err[512];
	int64_t t0, took;

	fake_reset();
	fakeec2_post(&fake, "/_fake/faults",
		     "{\"region\":\"eu-west-1\",\"faults\":[{\"error\":\"hang\"}]}");
	a = new_aws(fake.url, NULL, 1000);
	t0 = saba_clock_ms();
	CU_ASSERT_EQUAL(describe3(a, 10000, &s, err, sizeof(err)), -1);
	took = saba_clock_ms() - t0;
	CU_ASSERT(took >= 900 && took <= 2500);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "timed out"));
	fakeec2_post(&fake, "/_fake/release", "{}");
	saba_aws_free(a);
}

static int stop_flag;

static int should_abort(void *arg)
{
	(void)arg;
	return __atomic_load_n(&stop_flag, __ATOMIC_SEQ_CST);
}

static void *raise_stop(void *arg)
{
	struct timespec ts = {0, 300000000};

	(void)arg;
	nanosleep(&ts, NULL);
	__atomic_store_n(&stop_flag, 1, __ATOMIC_SEQ_CST);
	return NULL;
}

/* A stop ends a hung request well before its timeout. */
static void test_describe_abort(void)
{
	struct saba_aws *a;
	struct seen s;
	char err[512];
	pthread_t t;
	int64_t t0, took;

	fake_reset();
	fakeec2_post(&fake, "/_fake/faults",
		     "{\"region\":\"eu-west-1\",\"faults\":[{\"error\":\"hang\"}]}");
	a = new_aws(fake.url, NULL, 20000);
	stop_flag = 0;
	saba_aws_set_abort(a, should_abort, NULL);
	t0 = saba_clock_ms();
	pthread_create(&t, NULL, raise_stop, NULL);
	CU_ASSERT_EQUAL(describe3(a, 30000, &s, err, sizeof(err)), -1);
	took = saba_clock_ms() - t0;
	pthread_join(t, NULL);
	CU_ASSERT(took < 2500);
	CU_ASSERT_STRING_EQUAL(err, "stopped");
	fakeec2_post(&fake, "/_fake/release", "{}");
	saba_aws_free(a);
}

/* An id is a form value, whatever it contains. */
static void test_describe_ids_escaped(void)
{
	const char *ids[] = {"i-1&Filter.2.Name=instance-state-name", ID_TERM};
	struct saba_aws *a;
	struct seen s;
	char err[512];

	fake_reset();
	a = new_aws(fake.url, NULL, 5000);
	memset(&s, 0, sizeof(s));
	CU_ASSERT_EQUAL(saba_ec2_describe(a, ids, 2, saba_clock_ms() + 10000, on_instance, &s, err,
					  sizeof(err)),
			0);
	CU_ASSERT_EQUAL(s.n, 1);
	CU_ASSERT_EQUAL(stat_total("maxIds"), 2);
	saba_aws_free(a);
}

/* AWS_ENDPOINT_URL_EC2 when no endpoint is configured. */
static void test_describe_endpoint_env(void)
{
	struct saba_aws *a;
	struct seen s;
	char err[512];

	fake_reset();
	setenv("AWS_ENDPOINT_URL_EC2", fake.url, 1);
	a = new_aws(NULL, NULL, 5000);
	CU_ASSERT_EQUAL(describe3(a, 10000, &s, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(s.n, 2);
	unsetenv("AWS_ENDPOINT_URL_EC2");
	saba_aws_free(a);
}

static const struct unit_test fake_tests[] = {
	UNIT_TEST(test_describe_signed_states),
	UNIT_TEST(test_describe_wrong_secret),
	UNIT_TEST(test_describe_session_token),
	UNIT_TEST(test_describe_role_credentials),
	UNIT_TEST(test_describe_pages),
	UNIT_TEST(test_describe_throttled_then_ok),
	UNIT_TEST(test_describe_throttled_past_deadline),
	UNIT_TEST(test_describe_final_errors),
	UNIT_TEST(test_describe_unreadable_200),
	UNIT_TEST(test_describe_hang_times_out),
	UNIT_TEST(test_describe_abort),
	UNIT_TEST(test_describe_ids_escaped),
	UNIT_TEST(test_describe_endpoint_env),
};

int main(void)
{
	return FAKEEC2_MAIN(&fake, "ec2 aws offline", offline_tests, "ec2 aws against the fake EC2",
			    fake_tests);
}
