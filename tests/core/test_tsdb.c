/*
 * The tsdb body the poster sends (core/tsdb.c): what it holds, and that it
 * is the very text jansson dumps for the same values.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "tsdb.h"
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

/* The body, parsed; count is checked against the values in it. */
static json_t *body(struct saba_tsdb *t, const char *host, struct saba_batch **bs, size_t n,
		    const char *(*host_for)(void *arg, const char *ci))
{
	size_t count = 99;
	char *text = saba_tsdb_body(t, host, bs, n, host_for, NULL, &count);
	json_error_t err;
	json_t *arr = json_loads(text, 0, &err);

	CU_ASSERT_FATAL(json_is_array(arr));
	CU_ASSERT_EQUAL(json_array_size(arr), count);
	free(text);
	return arr;
}

static void test_body(void)
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
	struct saba_tsdb *t = saba_tsdb_new();
	json_t *arr = body(t, "HOST1", bs, 2, NULL);
	size_t count;
	char *text;

	CU_ASSERT_EQUAL_FATAL(json_array_size(arr), 3);
	check_point(json_array_get(arr, 0), "HOST1", "loadavg5", 1700000000, 0.25);
	/* a whole number still goes out as a real: 42.0, not 42 */
	check_point(json_array_get(arr, 1), "HOST1", "memory.used", 1700000000, 42.0);
	check_point(json_array_get(arr, 2), "HOST1", "loadavg5", 1700000060, 3.0);
	json_decref(arr);

	b1.n = 1;
	p1[0].name = "memory.used";
	p1[0].value = 42.0;
	text = saba_tsdb_body(t, "HOST1", bs, 1, NULL, NULL, &count);
	CU_ASSERT_STRING_EQUAL(text, "[{\"hostId\":\"HOST1\",\"name\":\"memory.used\","
				     "\"time\":1700000000,\"value\":42.0}]");
	CU_ASSERT_EQUAL(count, 1);
	free(text);

	text = saba_tsdb_body(t, "HOST1", bs, 0, NULL, NULL, &count);
	CU_ASSERT_STRING_EQUAL(text, "[]");
	CU_ASSERT_EQUAL(count, 0);
	free(text);
	saba_tsdb_free(t);
}

static const char *host_for(void *arg, const char *ci)
{
	(void)arg;
	return strcmp(ci, "i-known") == 0 ? "HOST2" : strcmp(ci, "i-empty") == 0 ? "" : NULL;
}

/* Another host's value goes with that host's id, or not at all; a value
 * jansson refuses (a name that is not UTF-8, a value that is not finite)
 * is left out, never sent with a part missing. */
static void test_other_hosts_and_refused_values(void)
{
	struct saba_point p[] = {
		{.name = "a", .value = 1.0, .time = 60},
		{.name = "b", .value = 2.0, .time = 60, .ci = "i-known"},
		{.name = "c", .value = 3.0, .time = 60, .ci = "i-unknown"},
		{.name = "bad\xff", .value = 4.0, .time = 60},
		{.name = "nan", .value = NAN, .time = 60},
		{.name = "inf", .value = -INFINITY, .time = 60},
		{.name = "e", .value = 6.0, .time = 60, .ci = "i-empty"},
		{.name = "d", .value = 5.0, .time = 60},
	};
	struct saba_batch b = {.points = p, .n = 8, .cap = 8};
	struct saba_batch *bs[] = {&b};
	struct saba_tsdb *t = saba_tsdb_new();
	json_t *arr;

	/* twice: the second body comes from the kept parts */
	for (int i = 0; i < 2; i++) {
		arr = body(t, "HOST1", bs, 1, host_for);
		CU_ASSERT_EQUAL_FATAL(json_array_size(arr), 3);
		check_point(json_array_get(arr, 0), "HOST1", "a", 60, 1.0);
		check_point(json_array_get(arr, 1), "HOST2", "b", 60, 2.0);
		check_point(json_array_get(arr, 2), "HOST1", "d", 60, 5.0);
		json_decref(arr);
	}
	/* a host id jansson refuses: nothing goes out under it */
	arr = body(t, "H\xff", bs, 1, host_for);
	CU_ASSERT_EQUAL_FATAL(json_array_size(arr), 1);
	check_point(json_array_get(arr, 0), "HOST2", "b", 60, 2.0);
	json_decref(arr);
	/* a value for another host first: no stray comma */
	bs[0] = &(struct saba_batch){.points = p + 1, .n = 1, .cap = 1};
	arr = body(t, "H\xff", bs, 1, host_for);
	CU_ASSERT_EQUAL(json_array_size(arr), 1);
	json_decref(arr);
	saba_tsdb_free(t);
}

/* The text is jansson's own dump of the same objects, byte for byte:
 * escapes, numbers and all, whatever the kept parts. */
static void test_same_text_as_jansson(void)
{
	static const char *names[] = {
		"custom.q\"uote",
		"custom.back\\slash",
		"custom.tab\there",
		"custom.\xc3\xa9t\xc3\xa9",
		"custom.\x01ctl",
		"custom./slash",
		"",
		"custom.emoji\xf0\x9f\x90\x9f",
	};
	static const double values[] = {0.1,  -0.0,    1e300, 1e-7, 123456789012345.0,
					42.0, 1.0 / 3, -2.5,  1e15, 9007199254740993.0};
	static const char *hosts[] = {"HOST1", "h\"x", "4AbCdE"};
	struct saba_point p[64];
	struct saba_batch b = {.points = p, .n = 64, .cap = 64};
	struct saba_batch *bs[] = {&b};
	struct saba_tsdb *t = saba_tsdb_new();

	for (int round = 0; round < 40; round++) {
		const char *host = hosts[round % 3];
		json_t *arr = json_array();
		char *want, *got;
		size_t count;

		for (size_t i = 0; i < b.n; i++) {
			json_t *o = json_object();

			p[i].name = (char *)names[(i + round) % 8];
			p[i].value = values[(i * 7 + round) % 10] * (round % 2 ? -1 : 1);
			p[i].time = round % 5 == 0 ? 0 : 1700000000 + round * 60 + (int64_t)i;
			p[i].ci = NULL;
			json_object_set_new(o, "hostId", json_string(host));
			json_object_set_new(o, "name", json_string(p[i].name));
			json_object_set_new(o, "time", json_integer(p[i].time));
			json_object_set_new(o, "value", json_real(p[i].value));
			json_array_append_new(arr, o);
		}
		want = json_dumps(arr, JSON_COMPACT | JSON_REAL_PRECISION(15));
		got = saba_tsdb_body(t, host, bs, 1, NULL, NULL, &count);
		CU_ASSERT_STRING_EQUAL(got, want);
		CU_ASSERT_EQUAL(count, b.n);
		free(want);
		free(got);
		json_decref(arr);
	}
	saba_tsdb_free(t);
}

/* More names than are kept, and names that come and go: every body still
 * holds every value. */
static void test_many_names(void)
{
	enum { N = 5000 };
	struct saba_point *p = calloc(N, sizeof(*p));
	struct saba_batch b = {.points = p, .n = N, .cap = N};
	struct saba_batch *bs[] = {&b};
	struct saba_tsdb *t = saba_tsdb_new();

	for (int round = 0; round < 3; round++) {
		json_t *arr;

		for (size_t i = 0; i < N; i++) {
			free(p[i].name);
			p[i].name = malloc(32);
			snprintf(p[i].name, 32, "custom.r%d.v%zu", round % 2, i);
			p[i].value = (double)i;
			p[i].time = 60;
		}
		arr = body(t, "HOST1", bs, 1, NULL);
		CU_ASSERT_EQUAL_FATAL(json_array_size(arr), N);
		check_point(json_array_get(arr, 0), "HOST1", p[0].name, 60, 0);
		check_point(json_array_get(arr, N - 1), "HOST1", p[N - 1].name, 60, N - 1);
		json_decref(arr);
	}
	/* and enough posts for the unused ones to be swept */
	b.n = 1;
	for (int i = 0; i < 40; i++) {
		json_t *arr = body(t, "HOST1", bs, 1, NULL);

		CU_ASSERT_EQUAL(json_array_size(arr), 1);
		json_decref(arr);
	}
	for (size_t i = 0; i < N; i++)
		free(p[i].name);
	free(p);
	saba_tsdb_free(t);
}

static const struct unit_test tests[] = {
	UNIT_TEST(test_body),
	UNIT_TEST(test_other_hosts_and_refused_values),
	UNIT_TEST(test_same_text_as_jansson),
	UNIT_TEST(test_many_names),
};

int main(void)
{
	return UNIT_RUN("tsdb", tests);
}
