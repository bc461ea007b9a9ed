/*
 * Wire formats: the tsdb body (saba_poster_payload), the host spec
 * (saba_spec_build, saba_spec_kernel) and query escaping.
 */
#include "config.h" /* PACKAGE_VERSION */

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <jansson.h>

#include "api.h"
#include "conf.h"
#include "poster.h"
#include "spec.h"
#include "unit.h"

static char tmpdir[] = "/tmp/saba-test-payload.XXXXXX";
static char conf_path[sizeof(tmpdir) + 32];
static char osr_path[sizeof(tmpdir) + 32];

static int write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (f == NULL)
		return -1;
	fputs(text, f);
	return fclose(f) == 0 ? 0 : -1;
}

static struct saba_conf *load_conf(const char *text)
{
	struct saba_conf *c = NULL;

	if (write_file(conf_path, text) != 0 || saba_conf_load(conf_path, NULL, &c) != 0)
		return NULL;
	return c;
}

static int suite_init(void)
{
	if (mkdtemp(tmpdir) == NULL)
		return -1;
	unit_path(conf_path, sizeof(conf_path), tmpdir, "saba.conf");
	unit_path(osr_path, sizeof(osr_path), tmpdir, "os-release");
	return 0;
}

static int suite_cleanup(void)
{
	unlink(conf_path);
	unlink(osr_path);
	return rmdir(tmpdir);
}

/* ------------------------------------------------------------------ */
/* tsdb payload                                                         */

static void check_point(json_t *o, const char *host, const char *name, int64_t time, double value)
{
	CU_ASSERT_FATAL(json_is_object(o));
	CU_ASSERT_EQUAL(json_object_size(o), 4);
	CU_ASSERT(json_is_string(json_object_get(o, "hostId")));
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(o, "hostId")), host);
	CU_ASSERT(json_is_string(json_object_get(o, "name")));
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(o, "name")), name);
	CU_ASSERT(json_is_integer(json_object_get(o, "time")));
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(o, "time")), time);
	CU_ASSERT(json_is_real(json_object_get(o, "value")));
	CU_ASSERT_DOUBLE_EQUAL(json_real_value(json_object_get(o, "value")), value, 1e-9);
}

static void test_payload(void)
{
	struct saba_point p1[] = {
		{.name = "loadavg5", .value = 0.25, .time = 1700000000},
		{.name = "memory.used", .value = 42.0, .time = 1700000000},
	};
	struct saba_point p2[] = {
		{.name = "loadavg5", .value = 3.0, .time = 1700000060},
	};
	struct saba_batch b1 = {.points = p1, .n = 2, .cap = 2};
	struct saba_batch b2 = {.points = p2, .n = 1, .cap = 1};
	struct saba_batch *bs[] = {&b1, &b2};
	json_t *arr = saba_poster_payload("HOST1", bs, 2, NULL, NULL);
	char *text;

	CU_ASSERT_FATAL(json_is_array(arr));
	CU_ASSERT_EQUAL_FATAL(json_array_size(arr), 3);
	check_point(json_array_get(arr, 0), "HOST1", "loadavg5", 1700000000, 0.25);
	/* a whole number still goes out as a real: 42.0, not 42 */
	check_point(json_array_get(arr, 1), "HOST1", "memory.used", 1700000000, 42.0);
	check_point(json_array_get(arr, 2), "HOST1", "loadavg5", 1700000060, 3.0);
	text = json_dumps(json_array_get(arr, 1), JSON_SORT_KEYS | JSON_COMPACT);
	CU_ASSERT_STRING_EQUAL(text, "{\"hostId\":\"HOST1\",\"name\":\"memory.used\","
				     "\"time\":1700000000,\"value\":42.0}");
	free(text);
	json_decref(arr);

	arr = saba_poster_payload("HOST1", bs, 0, NULL, NULL);
	CU_ASSERT(json_is_array(arr));
	CU_ASSERT_EQUAL(json_array_size(arr), 0);
	json_decref(arr);
}

/* ------------------------------------------------------------------ */
/* host spec                                                            */

static void test_spec(void)
{
	struct saba_conf *c = load_conf("display_name = \"web 1\";\n"
					"roles = [ \"shop:web\", \"shop:db\" ];\n");
	json_t *spec, *meta, *kernel, *ifs, *roles, *checks, *e;
	char host[256] = "";
	struct utsname u;
	const char *agent;
	size_t i;

	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	spec = saba_spec_build(c, NULL);
	CU_ASSERT_FATAL(json_is_object(spec));

	gethostname(host, sizeof(host) - 1);
	CU_ASSERT(json_is_string(json_object_get(spec, "name")));
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(spec, "name")), host);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(spec, "displayName")), "web 1");
	CU_ASSERT_PTR_NULL(json_object_get(spec, "customIdentifier"));

	meta = json_object_get(spec, "meta");
	CU_ASSERT_FATAL(json_is_object(meta));
	agent = json_string_value(json_object_get(meta, "agent-name"));
	CU_ASSERT_PTR_NOT_NULL_FATAL(agent);
	CU_ASSERT_EQUAL(strncmp(agent, "saba-agent/", 11), 0);
	CU_ASSERT_STRING_EQUAL(agent + 11, PACKAGE_VERSION);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(meta, "agent-version")),
			       PACKAGE_VERSION);
	kernel = json_object_get(meta, "kernel");
	CU_ASSERT_FATAL(json_is_object(kernel));
	CU_ASSERT_EQUAL_FATAL(uname(&u), 0);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(kernel, "name")), u.sysname);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(kernel, "release")), u.release);
	CU_ASSERT(json_is_string(json_object_get(kernel, "os")));

	ifs = json_object_get(spec, "interfaces");
	CU_ASSERT_FATAL(json_is_array(ifs));
	json_array_foreach(ifs, i, e)
	{
		CU_ASSERT(json_is_string(json_object_get(e, "name")));
		CU_ASSERT(json_is_array(json_object_get(e, "ipv4Addresses")));
		CU_ASSERT(json_is_array(json_object_get(e, "ipv6Addresses")));
	}

	roles = json_object_get(spec, "roleFullnames");
	CU_ASSERT_FATAL(json_is_array(roles));
	CU_ASSERT_EQUAL_FATAL(json_array_size(roles), 2);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_array_get(roles, 0)), "shop:web");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_array_get(roles, 1)), "shop:db");
	checks = json_object_get(spec, "checks");
	CU_ASSERT(json_is_array(checks));
	CU_ASSERT_EQUAL(json_array_size(checks), 0);
	json_decref(spec);
	saba_conf_free(c);
}

static void test_spec_no_display_name(void)
{
	const char *texts[] = {"interval = 60;\n", "display_name = \"\";\n"};

	for (size_t t = 0; t < 2; t++) {
		struct saba_conf *c = load_conf(texts[t]);
		json_t *spec, *roles;

		CU_ASSERT_PTR_NOT_NULL_FATAL(c);
		spec = saba_spec_build(c, NULL);
		CU_ASSERT_PTR_NULL(json_object_get(spec, "displayName"));
		CU_ASSERT_PTR_NULL(json_object_get(spec, "customIdentifier"));
		roles = json_object_get(spec, "roleFullnames");
		CU_ASSERT(json_is_array(roles));
		CU_ASSERT_EQUAL(json_array_size(roles), 0);
		json_decref(spec);
		saba_conf_free(c);
	}
}

static void test_kernel_os_release(void)
{
	json_t *k;

	CU_ASSERT_EQUAL_FATAL(write_file(osr_path,
					 "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\n"
					 "NAME=\"Debian GNU/Linux\"\n"
					 "VERSION_ID=\"12\"\n"
					 "ID_LIKE=notthis\n"
					 "ID=debian\n"),
			      0);
	k = saba_spec_kernel(osr_path);
	CU_ASSERT_FATAL(json_is_object(k));
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(k, "platform_name")), "Debian");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(k, "platform_version")), "12");
	CU_ASSERT(json_is_string(json_object_get(k, "name")));
	json_decref(k);

	/* an unknown id passes through; single quotes are stripped */
	CU_ASSERT_EQUAL_FATAL(write_file(osr_path, "ID=myos\nVERSION_ID='3.1'\n"), 0);
	k = saba_spec_kernel(osr_path);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(k, "platform_name")), "myos");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(k, "platform_version")), "3.1");
	json_decref(k);

	/* no os-release: uname only */
	unlink(osr_path);
	k = saba_spec_kernel(osr_path);
	CU_ASSERT(json_is_object(k));
	CU_ASSERT(json_is_string(json_object_get(k, "release")));
	CU_ASSERT_PTR_NULL(json_object_get(k, "platform_name"));
	CU_ASSERT_PTR_NULL(json_object_get(k, "platform_version"));
	json_decref(k);
}

/* ------------------------------------------------------------------ */

static void check_escape(const char *in, const char *want)
{
	char *got = saba_api_escape(in);

	CU_ASSERT_PTR_NOT_NULL_FATAL(got);
	if (strcmp(got, want) != 0)
		fprintf(stderr, "saba_api_escape(\"%s\") = \"%s\", want \"%s\"\n", in, got, want);
	CU_ASSERT_STRING_EQUAL(got, want);
	free(got);
}

static void test_escape(void)
{
	check_escape("", "");
	check_escape("abcXYZ019-_.~", "abcXYZ019-_.~");
	check_escape("a b/c?d=e&f", "a%20b%2Fc%3Fd%3De%26f");
	check_escape("100%+", "100%25%2B");
	check_escape("\xc3\xa9", "%C3%A9"); /* é in UTF-8 */
}

static const struct unit_test tests[] = {
	UNIT_TEST(test_payload),
	UNIT_TEST(test_spec),
	UNIT_TEST(test_spec_no_display_name),
	UNIT_TEST(test_kernel_os_release),
	UNIT_TEST(test_escape),
};

int main(void)
{
	return unit_run_suite("payload", tests, sizeof(tests) / sizeof(tests[0]), suite_init,
			      suite_cleanup);
}
