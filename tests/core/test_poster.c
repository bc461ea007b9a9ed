/*
 * The tsdb body the poster sends (core/poster.c: saba_poster_payload).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

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

static const char *host_for(void *arg, const char *ci)
{
	(void)arg;
	return strcmp(ci, "i-known") == 0 ? "HOST2" : NULL;
}

/* Another host's value goes with that host's id, or not at all; a value
 * jansson refuses (a name that is not UTF-8, a value that is not finite)
 * is left out, never sent with a part missing. */
static void test_payload_other_hosts_and_refused_values(void)
{
	struct saba_point p[] = {
		{.name = "a", .value = 1.0, .time = 60},
		{.name = "b", .value = 2.0, .time = 60, .ci = "i-known"},
		{.name = "c", .value = 3.0, .time = 60, .ci = "i-unknown"},
		{.name = "bad\xff", .value = 4.0, .time = 60},
		{.name = "nan", .value = NAN, .time = 60},
		{.name = "d", .value = 5.0, .time = 60},
	};
	struct saba_batch b = {.points = p, .n = 6, .cap = 6};
	struct saba_batch *bs[] = {&b};
	json_t *arr = saba_poster_payload("HOST1", bs, 1, host_for, NULL);

	CU_ASSERT_EQUAL_FATAL(json_array_size(arr), 3);
	check_point(json_array_get(arr, 0), "HOST1", "a", 60, 1.0);
	check_point(json_array_get(arr, 1), "HOST2", "b", 60, 2.0);
	check_point(json_array_get(arr, 2), "HOST1", "d", 60, 5.0);
	json_decref(arr);
	/* a host id jansson refuses: nothing goes out under it */
	arr = saba_poster_payload("H\xff", bs, 1, host_for, NULL);
	CU_ASSERT_EQUAL_FATAL(json_array_size(arr), 1);
	check_point(json_array_get(arr, 0), "HOST2", "b", 60, 2.0);
	json_decref(arr);
}

static const struct unit_test tests[] = {
	UNIT_TEST(test_payload),
	UNIT_TEST(test_payload_other_hosts_and_refused_values),
};

int main(void)
{
	return UNIT_RUN("poster", tests);
}
