/*
 * The outbox: check reports and graph definitions as the API takes them,
 * queue order across a failed post, and message cutting.
 */
#include "config.h"

#include <string.h>

#include "outbox.h"
#include "runtime.h"
#include "unit.h"

static void test_text_cut_counts_characters(void)
{
	/* "é" is two bytes: 3 characters of "ééé…" are 6 bytes. */
	json_t *j = saba_json_text("\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9", 3);

	CU_ASSERT_STRING_EQUAL(json_string_value(j), "\xc3\xa9\xc3\xa9\xc3\xa9");
	json_decref(j);
	j = saba_json_text("short", 1024);
	CU_ASSERT_STRING_EQUAL(json_string_value(j), "short");
	json_decref(j);
}

static void test_text_replaces_invalid_utf8(void)
{
	json_t *j = saba_json_text("a\xff"
				   "b\xc3",
				   10);

	CU_ASSERT_PTR_NOT_NULL_FATAL(j);
	CU_ASSERT_STRING_EQUAL(json_string_value(j), "a?b?");
	json_decref(j);
}

static struct saba_check_report report(const char *name, int status, const char *ci)
{
	struct saba_check_report r = {
		.struct_size = sizeof(r),
		.name = name,
		.status = status,
		.message = "all good",
		.occurred_at = 1700000000,
		.custom_identifier = ci,
	};

	return r;
}

static void test_check_report_json(void)
{
	struct saba_runtime rt = {0};
	struct saba_check_report r = report("disk", SABA_CHECK_CRITICAL, NULL);
	json_t *got, *rep;

	rt.outbox = saba_outbox_new();
	r.notification_interval = 5; /* below the API's minimum of 10 */
	r.max_check_attempts = 3;
	saba_outbox_check(&rt, &r);
	got = saba_outbox_take_checks(rt.outbox, 20);
	CU_ASSERT_EQUAL_FATAL(json_array_size(got), 1);
	rep = json_array_get(got, 0);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(rep, "name")), "disk");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(rep, "status")), "CRITICAL");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(rep, "message")), "all good");
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(rep, "occurredAt")), 1700000000);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(rep, "notificationInterval")), 10);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(rep, "maxCheckAttempts")), 3);
	CU_ASSERT_STRING_EQUAL(
		json_string_value(json_object_get(json_object_get(rep, "source"), "type")), "host");
	CU_ASSERT_PTR_NULL(json_object_get(rep, "_ci"));
	CU_ASSERT_PTR_NULL(saba_outbox_take_checks(rt.outbox, 20));
	json_decref(got);
	saba_outbox_free(rt.outbox);
}

static void test_optional_fields_omitted(void)
{
	struct saba_runtime rt = {0};
	struct saba_check_report r = report("proc", SABA_CHECK_OK, "other.example");
	json_t *got, *rep;

	rt.outbox = saba_outbox_new();
	saba_outbox_check(&rt, &r);
	got = saba_outbox_take_checks(rt.outbox, 20);
	rep = json_array_get(got, 0);
	CU_ASSERT_PTR_NULL(json_object_get(rep, "notificationInterval"));
	CU_ASSERT_PTR_NULL(json_object_get(rep, "maxCheckAttempts"));
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(rep, "_ci")), "other.example");
	json_decref(got);
	saba_outbox_free(rt.outbox);
}

static void test_take_and_putback_keep_order(void)
{
	struct saba_runtime rt = {0};
	char name[16];
	json_t *first, *rest;

	rt.outbox = saba_outbox_new();
	for (int i = 0; i < 25; i++) {
		struct saba_check_report r = report(name, SABA_CHECK_OK, NULL);

		snprintf(name, sizeof(name), "c%02d", i);
		saba_outbox_check(&rt, &r);
	}
	first = saba_outbox_take_checks(rt.outbox, 20);
	CU_ASSERT_EQUAL(json_array_size(first), 20);
	/* A failed post gives them back in front of the later ones. */
	saba_outbox_putback_checks(rt.outbox, first);
	rest = saba_outbox_take_checks(rt.outbox, 100);
	CU_ASSERT_EQUAL_FATAL(json_array_size(rest), 25);
	for (int i = 0; i < 25; i++) {
		snprintf(name, sizeof(name), "c%02d", i);
		CU_ASSERT_STRING_EQUAL(
			json_string_value(json_object_get(json_array_get(rest, (size_t)i), "name")),
			name);
	}
	json_decref(rest);
	saba_outbox_free(rt.outbox);
}

static void test_graph_defs_accumulate(void)
{
	struct saba_runtime rt = {0};
	json_t *defs;

	/* Without an outbox (once, configtest) they are dropped quietly. */
	saba_outbox_graph_defs(&rt, json_pack("[{s:s}]", "name", "custom.x"));
	rt.outbox = saba_outbox_new();
	saba_outbox_graph_defs(&rt, json_pack("[{s:s}]", "name", "custom.a"));
	saba_outbox_graph_defs(&rt, json_pack("[{s:s}]", "name", "custom.b"));
	defs = saba_outbox_take_graph_defs(rt.outbox);
	CU_ASSERT_EQUAL_FATAL(json_array_size(defs), 2);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(json_array_get(defs, 1), "name")),
			       "custom.b");
	CU_ASSERT_PTR_NULL(saba_outbox_take_graph_defs(rt.outbox));
	saba_outbox_putback_graph_defs(rt.outbox, defs);
	defs = saba_outbox_take_graph_defs(rt.outbox);
	CU_ASSERT_EQUAL(json_array_size(defs), 2);
	json_decref(defs);
	saba_outbox_free(rt.outbox);
}

static const struct unit_test tests[] = {
	UNIT_TEST(test_text_cut_counts_characters),  UNIT_TEST(test_text_replaces_invalid_utf8),
	UNIT_TEST(test_check_report_json),	     UNIT_TEST(test_optional_fields_omitted),
	UNIT_TEST(test_take_and_putback_keep_order), UNIT_TEST(test_graph_defs_accumulate),
};

int main(void)
{
	return UNIT_RUN("outbox", tests);
}
