/*
 * What plugins hand the core for the API: host spec fields and graph
 * definitions the API documents pass, anything else is refused with a
 * reason (core/apischema.c).
 */
#include "config.h"

#include <string.h>

#include "apischema.h"
#include "unit.h"

/* Check json as the host spec field path, or as a graph definition when
 * path is NULL; the checked value in *out when asked for. */
static int check(const char *path, const char *json, char *why, size_t len, json_t **out)
{
	json_t *v = json_loads(json, JSON_DECODE_ANY, NULL);
	int rc;

	CU_ASSERT_PTR_NOT_NULL_FATAL(v);
	why[0] = '\0';
	rc = path != NULL ? saba_apischema_spec(path, v, why, len)
			  : saba_apischema_graph_def(v, why, len);
	if (out != NULL)
		*out = v;
	else
		json_decref(v);
	return rc;
}

static int spec(const char *path, const char *json, char *why, size_t len)
{
	return check(path, json, why, len, NULL);
}

static int graph(const char *json, char *why, size_t len, json_t **out)
{
	return check(NULL, json, why, len, out);
}

static void test_spec_fields(void)
{
	static const char *const ok[][2] = {
		{"customIdentifier", "\"i-1.ec2.amazonaws.com\""},
		{"displayName", "\"web\""},
		{"checks", "[{\"name\":\"load_check\",\"memo\":\"m\"},{\"name\":\"x-1\"}]"},
		{"meta.cpu", "[{\"model_name\":\"x\",\"mhz\":\"2000\"}]"},
		{"meta.memory", "{\"total\":\"1024kB\"}"},
		{"meta.kernel", "{\"name\":\"Linux\"}"},
		{"meta.filesystem", "{\"/dev/sda1\":{\"kb_size\":1}}"},
		{"meta.block_device", "{\"sda\":{\"size\":\"1\"}}"},
		{"meta.cloud", "{\"provider\":\"ec2\",\"metadata\":{\"instance-id\":\"i-1\"}}"},
	};
	static const char *const bad[][3] = {
		{"meta.saba-registration", "\"x\"", "not a field of the API's host spec"},
		{"meta", "{}", "not a field"},
		{"size", "\"standard\"", "not a field"},
		{"meta.cloud.provider", "\"ec2\"", "not a field"},
		{"customIdentifier", "1", "not of the API's type for customIdentifier"},
		{"meta.memory", "{\"total\":1024}", "not of the API's type"},
		{"meta.cloud", "{\"provider\":\"ec2\",\"region\":\"x\"}", "unknown key \"region\""},
		{"checks", "[{\"name\":\"a b\"}]", "not of the API's type"},
		{"checks", "[{\"name\":\"a\",\"interval\":1}]", "unknown key \"interval\""},
	};
	char why[256];

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		CU_ASSERT_EQUAL(spec(ok[i][0], ok[i][1], why, sizeof(why)), 0);
		CU_ASSERT_STRING_EQUAL(why, "");
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CU_ASSERT_EQUAL(spec(bad[i][0], bad[i][1], why, sizeof(why)), -1);
		if (strstr(why, bad[i][2]) == NULL)
			CU_FAIL(bad[i][0]);
	}
}

static void test_graph_defs(void)
{
	static const char *const bad[][2] = {
		{"{\"name\":\"cpu.x\",\"metrics\":[]}", "starting with \"custom.\""},
		{"{\"name\":\"custom.x\",\"label\":\"X\"}", "unknown key \"label\""},
		{"{\"name\":\"custom.x\",\"unit\":\"kilograms\"}", "unit"},
		{"{\"name\":\"custom.x\",\"metrics\":{}}", "metrics"},
		{"{\"name\":\"custom.x\",\"metrics\":[{\"name\":\"custom.y.z\"}]}",
		 "metric \"custom.y.z\" is not \"custom.x.\" and a name"},
		{"{\"name\":\"custom.x\",\"metrics\":[{\"name\":\"custom.x.a.b\"}]}",
		 "custom.x.a.b"},
		{"{\"name\":\"custom.x\",\"metrics\":[{\"name\":\"custom.x.a\",\"stacked\":true}]}",
		 "unknown key \"stacked\""},
		{"{\"name\":\"custom.x\",\"metrics\":[{\"name\":\"custom.x.a\",\"isStacked\":1}]}",
		 "wrong type"},
	};
	char why[256];
	json_t *d;

	CU_ASSERT_EQUAL(graph("{\"name\":\"custom.disk.#\",\"displayName\":\"D\",\"unit\":"
			      "\"bytes/sec\",\"metrics\":[{\"name\":\"custom.disk.#.read\","
			      "\"displayName\":\"r\",\"isStacked\":true}]}",
			      why, sizeof(why), NULL),
			0);
	/* what the official client always sends is filled in */
	CU_ASSERT_EQUAL_FATAL(
		graph("{\"name\":\"custom.x\",\"metrics\":[{\"name\":\"custom.x.a\"}]}", why,
		      sizeof(why), &d),
		0);
	CU_ASSERT(json_is_false(
		json_object_get(json_array_get(json_object_get(d, "metrics"), 0), "isStacked")));
	json_decref(d);
	CU_ASSERT_EQUAL_FATAL(graph("{\"name\":\"custom.bare\"}", why, sizeof(why), &d), 0);
	CU_ASSERT(json_is_null(json_object_get(d, "metrics")));
	json_decref(d);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CU_ASSERT_EQUAL(graph(bad[i][0], why, sizeof(why), NULL), -1);
		if (strstr(why, bad[i][1]) == NULL)
			CU_FAIL(bad[i][0]);
	}
}

static const struct unit_test tests[] = {
	UNIT_TEST(test_spec_fields),
	UNIT_TEST(test_graph_defs),
};

int main(void)
{
	return UNIT_RUN("apischema", tests);
}
