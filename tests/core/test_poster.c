/*
 * The tsdb body the poster sends (core/poster.c: saba_poster_payload).
 */
#include <stdlib.h>

#include <jansson.h>

#include "poster.h"
#include "unit.h"

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

static const struct unit_test tests[] = {
	UNIT_TEST(test_payload),
};

int main(void)
{
	return UNIT_RUN("poster", tests);
}
