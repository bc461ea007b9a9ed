/*
 * mackerel-agent's durations (config/duration.go): whole minutes as an
 * integer or a Go duration string.
 */
#include <stdio.h>

#include "duration.h"
#include "unit.h"

static long long minutes_of(const char *text)
{
	char err[256];
	long long m = -12345;

	if (saba_duration_minutes(text, &m, err, sizeof(err)) != 0)
		return -1;
	return m;
}

static void test_duration(void)
{
	char err[256];
	long long m;

	CU_ASSERT_EQUAL(minutes_of("60"), 60);
	CU_ASSERT_EQUAL(minutes_of("+5"), 5);
	CU_ASSERT_EQUAL(minutes_of("0"), 0);
	CU_ASSERT_EQUAL(minutes_of("90m"), 90);
	CU_ASSERT_EQUAL(minutes_of("1h30m"), 90);
	CU_ASSERT_EQUAL(minutes_of("1.5h"), 90);
	CU_ASSERT_EQUAL(minutes_of("1h"), 60);
	CU_ASSERT_EQUAL(minutes_of("3600s"), 60);
	CU_ASSERT_EQUAL(minutes_of("60000ms"), 1);
	CU_ASSERT_EQUAL(minutes_of("2147483647"), 2147483647LL);
	/* Go's own syntax: µs and μs, fractions, several parts */
	CU_ASSERT_EQUAL(minutes_of("60000000\xc2\xb5s"), 1);
	CU_ASSERT_EQUAL(minutes_of("60000000\xce\xbcs"), 1);
	CU_ASSERT_EQUAL(minutes_of(".5h"), 30);
	CU_ASSERT_EQUAL(minutes_of("1h0m0s"), 60);
	/* refused as upstream refuses them */
	CU_ASSERT_EQUAL(minutes_of("-5"), -1);
	CU_ASSERT_EQUAL(minutes_of("-1h"), -1);
	CU_ASSERT_EQUAL(minutes_of("90s"), -1);
	CU_ASSERT_EQUAL(minutes_of("1.5m"), -1);
	CU_ASSERT_EQUAL(minutes_of("abc"), -1);
	CU_ASSERT_EQUAL(minutes_of(""), -1);
	CU_ASSERT_EQUAL(minutes_of("5 m"), -1);
	CU_ASSERT_EQUAL(minutes_of("3000000000"), -1); /* int32, then no unit */
	CU_ASSERT_EQUAL(minutes_of("40000000000m"), -1);
	CU_ASSERT_EQUAL(minutes_of("9999999999999999999h"), -1);
	CU_ASSERT_EQUAL(minutes_of("1d"), -1);
	CU_ASSERT_EQUAL(minutes_of("."), -1);
	CU_ASSERT_NOT_EQUAL(saba_duration_minutes("90s", &m, err, sizeof(err)), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "not multiple of 1m"));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "allowed: an integer of minutes"));
}

static long long seconds_of(const char *text)
{
	char err[256];
	long long v = -12345;

	if (saba_duration_seconds(text, &v, err, sizeof(err)) != 0)
		return -1;
	return v;
}

static void test_seconds(void)
{
	char err[256];
	long long v;

	CU_ASSERT_EQUAL(seconds_of("30"), 30);
	CU_ASSERT_EQUAL(seconds_of("30s"), 30);
	CU_ASSERT_EQUAL(seconds_of("2m"), 120);
	CU_ASSERT_EQUAL(seconds_of("1m30s"), 90);
	CU_ASSERT_EQUAL(seconds_of("1h"), 3600);
	CU_ASSERT_EQUAL(seconds_of("1500ms"), -1);
	CU_ASSERT_EQUAL(seconds_of("-1s"), -1);
	CU_ASSERT_EQUAL(seconds_of("10 s"), -1);
	CU_ASSERT_EQUAL(seconds_of(".5m"), 30);
	CU_ASSERT_EQUAL(seconds_of("2147483647s"), 2147483647LL);
	/* refused: empty, unknown unit, past 32 and 64 bits, part of a second */
	CU_ASSERT_EQUAL(seconds_of(""), -1);
	CU_ASSERT_EQUAL(seconds_of("s"), -1);
	CU_ASSERT_EQUAL(seconds_of("1d"), -1);
	CU_ASSERT_EQUAL(seconds_of("2147483648"), -1);
	CU_ASSERT_EQUAL(seconds_of("2147483648s"), -1);
	CU_ASSERT_EQUAL(seconds_of("9223372036854775807ns"), -1);
	CU_ASSERT_EQUAL(seconds_of("9223372036854775808ns"), -1);
	CU_ASSERT_EQUAL(seconds_of("18446744073709551616s"), -1);
	CU_ASSERT_EQUAL(seconds_of("-9223372036854775808ns"), -1);
	CU_ASSERT_EQUAL(seconds_of("1.000000001s"), -1);
	CU_ASSERT_NOT_EQUAL(saba_duration_seconds("1.5s", &v, err, sizeof(err)), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "not multiple of 1s"));
	CU_ASSERT_NOT_EQUAL(saba_duration_seconds("soon", &v, err, sizeof(err)), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "neither an integer nor a duration"));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "(allowed: an integer of seconds or a duration of whole "
					   "seconds such as \"1m30s\", 0 to 2147483647)"));
}

static const struct unit_test tests[] = {
	UNIT_TEST(test_duration),
	UNIT_TEST(test_seconds),
};

int main(void)
{
	return UNIT_RUN("duration", tests);
}
