/*
 * The gce plugin's pure decisions (plugins/gce/classify.c) over tables:
 * only a delete operation in progress, or a preemption of an instance whose
 * termination action is DELETE, retires; a stop, a suspension, a preemption
 * that stops, a maintenance event, an error or a malformed answer never
 * does.  Also customIdentifier and meta.cloud as mackerel-agent builds them.
 */
#include <jansson.h>

#include <saba/plugin.h>

#include "gce/classify.h"
#include "unit.h"

/* a literal and its length */
#define S(text) text, strlen(text)

static void test_ids(void)
{
	static const struct {
		const char *id;
		int ok;
	} cases[] = {
		{"12345678901234567890", 1},
		{"18446744073709551615", 1},
		{"1", 1},
		{"18446744073709551616", 0},
		{"99999999999999999999", 0},
		{"0", 0},
		{"0123", 0},
		{"", 0},
		{"12a", 0},
		{"-1", 0},
		{" 1", 0},
		{"123456789012345678901", 0},
		{NULL, 0},
	};
	char ci[64];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		CU_ASSERT_EQUAL(saba_gce_id_ok(cases[i].id), cases[i].ok);
		CU_ASSERT_EQUAL(saba_gce_custom_identifier(cases[i].id, ci, sizeof(ci)),
				cases[i].ok ? 0 : -1);
	}
	CU_ASSERT_EQUAL(saba_gce_custom_identifier("12345678901234567890", ci, sizeof(ci)), 0);
	CU_ASSERT_STRING_EQUAL(ci, "12345678901234567890.gce.cloud.google.com");
	CU_ASSERT_EQUAL(saba_gce_custom_identifier("12345678901234567890", ci, 20), -1);
}

#define TREE                                                                                       \
	"{\"instance\": {\"hostname\": \"vm-1.c.p.internal\", \"id\": 12345678901234567890, "      \
	"\"machineType\": \"projects/846/machineTypes/e2-medium\", \"name\": \"vm-1\", "           \
	"\"zone\": \"projects/846/zones/us-central1-a\", \"preempted\": \"FALSE\"}, "              \
	"\"project\": {\"numericProjectId\": 846, \"projectId\": \"my-project\"}}"

static json_t *meta_of(const char *body, const char *id)
{
	char err[200] = "", *text = saba_gce_cloud_meta(body, strlen(body), id, err, sizeof(err));
	json_t *doc;

	if (text == NULL)
		return NULL;
	doc = json_loads(text, 0, NULL);
	free(text);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(doc, "provider")), "gce");
	return doc;
}

static void test_cloud_meta(void)
{
	json_t *doc = meta_of(TREE, "12345678901234567890"), *md;

	CU_ASSERT_PTR_NOT_NULL_FATAL(doc);
	md = json_object_get(doc, "metadata");
	CU_ASSERT_EQUAL(json_object_size(md), 5);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(md, "hostname")),
			       "vm-1.c.p.internal");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(md, "instance-id")),
			       "12345678901234567890");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(md, "instance-type")),
			       "e2-medium");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(md, "zone")), "us-central1-a");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(md, "projectId")), "my-project");
	json_decref(doc);

	/* as mackerel-agent: keys only for the objects there are, "" for an
	 * absent or null member */
	doc = meta_of("{\"project\": {\"projectId\": \"p\"}}", "1");
	CU_ASSERT_EQUAL(json_object_size(json_object_get(doc, "metadata")), 1);
	json_decref(doc);
	doc = meta_of("{\"instance\": {\"hostname\": null}, \"project\": null}", "7");
	md = json_object_get(doc, "metadata");
	CU_ASSERT_EQUAL(json_object_size(md), 4);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(md, "hostname")), "");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(md, "zone")), "");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(md, "instance-id")), "7");
	json_decref(doc);
	doc = meta_of("{}", "1");
	CU_ASSERT_EQUAL(json_object_size(json_object_get(doc, "metadata")), 0);
	json_decref(doc);

	/* unusable answers: no meta.cloud at all */
	CU_ASSERT_PTR_NULL(meta_of("{\"instance\": {\"hostname\": 5}}", "1"));
	CU_ASSERT_PTR_NULL(meta_of("{\"instance\": \"vm\"}", "1"));
	CU_ASSERT_PTR_NULL(meta_of("{\"project\": {\"projectId\": []}}", "1"));
	CU_ASSERT_PTR_NULL(meta_of("[1]", "1"));
	CU_ASSERT_PTR_NULL(meta_of("not json", "1"));
	CU_ASSERT_PTR_NULL(meta_of("{\"instance\": {\"hostname\": \"\xff\"}}", "1"));
	CU_ASSERT_PTR_NULL(meta_of(TREE, "0"));
	CU_ASSERT_PTR_NULL(meta_of(TREE, NULL));
}

static void test_self(void)
{
	struct saba_gce_self s;
	char err[200];

	memset(&s, 0, sizeof(s));
	CU_ASSERT_EQUAL(saba_gce_self_from_meta(TREE, strlen(TREE), &s, err, sizeof(err)), 0);
	CU_ASSERT_STRING_EQUAL(s.project, "my-project");
	CU_ASSERT_STRING_EQUAL(s.zone, "us-central1-a");
	CU_ASSERT_STRING_EQUAL(s.name, "vm-1");
	CU_ASSERT_EQUAL(saba_gce_self_from_meta(S("{\"instance\": {\"name\": \"Vm\", \"zone\": "
						  "\"z\"}, \"project\": {\"projectId\": \"p\"}}"),
						&s, err, sizeof(err)),
			-1);
	CU_ASSERT(saba_gce_project_ok("example.com:my-project"));
	CU_ASSERT(!saba_gce_project_ok("my/project"));
	CU_ASSERT(!saba_gce_zone_ok("us central1"));
	CU_ASSERT(!saba_gce_name_ok("1vm"));
	CU_ASSERT(!saba_gce_name_ok("vm/../x"));
}

static void test_preempted(void)
{
	static const struct {
		long status;
		const char *body;
		int want;
		const char *evidence;
	} cases[] = {
		{200, "TRUE", 1, "TRUE"},     {200, "TRUE\n", 1, "TRUE"},
		{200, "FALSE", 0, "FALSE"},   {200, "true", 0, "true"},
		{200, "TRUEX", 0, "TRUEX"},   {200, "", 0, "preempted"},
		{200, NULL, 0, "HTTP 200"},   {404, "TRUE", 0, "HTTP 404"},
		{403, "TRUE", 0, "HTTP 403"}, {500, "TRUE", 0, "HTTP 500"},
		{-1, "TRUE", 0, "no answer"}, {200, "T\x01RUE", 0, "T?RUE"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char ev[256] = "";

		UNIT_CHECK_CASE(i,
				saba_gce_preempted(cases[i].status, cases[i].body, ev, sizeof(ev)),
				cases[i].want, ev, cases[i].evidence);
	}
}

static void test_maintenance(void)
{
	char ev[256];

	saba_gce_maintenance(200, "TERMINATE_ON_HOST_MAINTENANCE", ev, sizeof(ev));
	CU_ASSERT_PTR_NOT_NULL(strstr(ev, "never retires"));
	saba_gce_maintenance(200, "NONE", ev, sizeof(ev));
	CU_ASSERT_STRING_EQUAL(ev, "instance/maintenance-event: NONE");
	saba_gce_maintenance(-1, NULL, ev, sizeof(ev));
	CU_ASSERT_PTR_NOT_NULL(strstr(ev, "no answer"));
}

static void test_instance(void)
{
	struct saba_gce_instance in;
	char err[200];
	const char *spot = "{\"id\": \"77\", \"name\": \"vm\", \"status\": \"STOPPING\", "
			   "\"scheduling\": {\"provisioningModel\": \"SPOT\", "
			   "\"instanceTerminationAction\": \"DELETE\"}}";

	CU_ASSERT_EQUAL(saba_gce_parse_instance(spot, strlen(spot), &in, err, sizeof(err)), 0);
	CU_ASSERT_STRING_EQUAL(in.id, "77");
	CU_ASSERT_STRING_EQUAL(in.status, "STOPPING");
	CU_ASSERT_STRING_EQUAL(in.termination, "DELETE");
	CU_ASSERT_EQUAL(saba_gce_parse_instance(S("{\"id\": 77, \"status\": \"RUNNING\"}"), &in,
						err, sizeof(err)),
			0);
	CU_ASSERT_STRING_EQUAL(in.id, "77");
	CU_ASSERT_STRING_EQUAL(in.termination, "");
	CU_ASSERT_EQUAL(saba_gce_parse_instance(S("{\"id\": \"77\"}"), &in, err, sizeof(err)), -1);
	CU_ASSERT_EQUAL(
		saba_gce_parse_instance(S("{\"status\": \"RUNNING\"}"), &in, err, sizeof(err)), -1);
	CU_ASSERT_EQUAL(saba_gce_parse_instance(S("{\"id\": \"x\", \"status\": \"RUNNING\"}"), &in,
						err, sizeof(err)),
			-1);
	CU_ASSERT_EQUAL(saba_gce_parse_instance(S("{\"id\": \"7\", \"status\": \"RUNNING\", "
						  "\"scheduling\": {\"instanceTerminationAction\": "
						  "1}}"),
						&in, err, sizeof(err)),
			-1);
	CU_ASSERT_EQUAL(saba_gce_parse_instance(NULL, 0, &in, err, sizeof(err)), -1);
}

struct seen_ops {
	int n;
	char ids[8][24];
};

static void on_op(void *arg, const char *target, const char *name)
{
	struct seen_ops *s = arg;

	if (s->n < 8)
		snprintf(s->ids[s->n], sizeof(s->ids[0]), "%s", target);
	s->n++;
}

static void test_operations(void)
{
	const char *page =
		"{\"items\": ["
		"{\"name\": \"op-1\", \"operationType\": \"delete\", \"status\": \"RUNNING\", "
		"\"targetId\": \"77\"},"
		"{\"name\": \"op-2\", \"operationType\": \"delete\", \"status\": \"DONE\", "
		"\"targetId\": \"78\"},"
		"{\"name\": \"op-3\", \"operationType\": \"stop\", \"status\": \"RUNNING\", "
		"\"targetId\": \"79\"},"
		"{\"name\": \"op-4\", \"operationType\": \"delete\", \"status\": \"PENDING\", "
		"\"targetId\": 80},"
		"{\"name\": \"op-5\", \"operationType\": \"delete\", \"status\": \"RUNNING\"},"
		"{\"name\": \"op-6\", \"operationType\": \"Delete\", \"status\": \"RUNNING\", "
		"\"targetId\": \"81\"}, 5],"
		"\"nextPageToken\": \"p2\"}";
	struct seen_ops s = {0};
	char err[200], *next = NULL;

	CU_ASSERT_EQUAL(saba_gce_parse_ops(page, strlen(page), on_op, &s, &next, err, sizeof(err)),
			0);
	CU_ASSERT_EQUAL(s.n, 2);
	CU_ASSERT_STRING_EQUAL(s.ids[0], "77");
	CU_ASSERT_STRING_EQUAL(s.ids[1], "80");
	CU_ASSERT_STRING_EQUAL(next, "p2");
	free(next);
	memset(&s, 0, sizeof(s));
	CU_ASSERT_EQUAL(saba_gce_parse_ops(S("{}"), on_op, &s, &next, err, sizeof(err)), 0);
	CU_ASSERT_PTR_NULL(next);
	CU_ASSERT_EQUAL(
		saba_gce_parse_ops(S("{\"items\": {}}"), on_op, &s, &next, err, sizeof(err)), -1);
	CU_ASSERT_EQUAL(saba_gce_parse_ops(S("{\"items\": [], \"nextPageToken\": 3}"), on_op, &s,
					   &next, err, sizeof(err)),
			-1);
	CU_ASSERT_EQUAL(saba_gce_parse_ops(S("[]"), on_op, &s, &next, err, sizeof(err)), -1);
	CU_ASSERT_EQUAL(s.n, 0);
}

static void test_decide(void)
{
	static const struct saba_gce_self self = {"77", "p", "us-central1-a", "vm"};
	static const struct {
		int ops_ok, deleting, inst_ok;
		const char *status, *termination;
		int preempted, want;
		const char *evidence;
	} cases[] = {
		{1, 1, 0, "", "", 0, SABA_CONFIRM_YES, "delete operation op-1"},
		{1, 2, 1, "STOPPING", "", 0, SABA_CONFIRM_YES, "in progress"},
		{1, 0, 1, "STOPPING", "", 0, SABA_CONFIRM_NO, "it is STOPPING"},
		{1, 0, 1, "TERMINATED", "", 0, SABA_CONFIRM_NO, "TERMINATED"},
		{1, 0, 1, "SUSPENDING", "", 0, SABA_CONFIRM_NO, "SUSPENDING"},
		{1, 0, 1, "SUSPENDED", "", 0, SABA_CONFIRM_NO, "SUSPENDED"},
		{1, 0, 1, "RUNNING", "", 0, SABA_CONFIRM_NO, "RUNNING"},
		{1, 0, 0, "", "", 0, SABA_CONFIRM_NO, "no delete operation"},
		{0, 0, 1, "STOPPING", "", 0, SABA_CONFIRM_NO, "cannot tell"},
		{0, 1, 1, "STOPPING", "", 0, SABA_CONFIRM_NO, "cannot tell"},
		{1, 0, 1, "STOPPING", "DELETE", 1, SABA_CONFIRM_YES, "preempted"},
		{0, 0, 1, "STOPPING", "DELETE", 1, SABA_CONFIRM_YES, "DELETE"},
		{1, 0, 1, "STOPPING", "STOP", 1, SABA_CONFIRM_NO, "termination action STOP"},
		{1, 0, 1, "STOPPING", "", 1, SABA_CONFIRM_NO, "termination action STOP"},
		{1, 0, 1, "RUNNING", "DELETE", 0, SABA_CONFIRM_NO, "RUNNING"},
		{1, 0, 0, "", "DELETE", 1, SABA_CONFIRM_NO, "no delete operation"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct saba_gce_seen seen;
		char ev[512] = "";
		int got;

		memset(&seen, 0, sizeof(seen));
		seen.ops_ok = cases[i].ops_ok;
		seen.deleting = cases[i].deleting;
		snprintf(seen.op, sizeof(seen.op), "op-1");
		seen.inst_ok = cases[i].inst_ok;
		snprintf(seen.inst.status, sizeof(seen.inst.status), "%s", cases[i].status);
		snprintf(seen.inst.termination, sizeof(seen.inst.termination), "%s",
			 cases[i].termination);
		seen.preempted = cases[i].preempted;
		got = saba_gce_decide(&self, &seen, ev, sizeof(ev));
		UNIT_CHECK_CASE(i, got, cases[i].want, ev, cases[i].evidence);
	}
}

static const struct unit_test tests[] = {
	UNIT_TEST(test_ids),	    UNIT_TEST(test_cloud_meta),	 UNIT_TEST(test_self),
	UNIT_TEST(test_preempted),  UNIT_TEST(test_maintenance), UNIT_TEST(test_instance),
	UNIT_TEST(test_operations), UNIT_TEST(test_decide),
};

int main(void)
{
	return UNIT_RUN("gce_classify", tests);
}
