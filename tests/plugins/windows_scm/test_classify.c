/*
 * The windows_scm trigger's decisions (plugins/windows_scm/classify.c): which
 * SCM control starts which stop, and when a stop may ask the retire routine
 * (STOP never; a shutdown only with a fresh event 1074 saying power off,
 * unless require_event_1074 is off).
 */
#include <string.h>

#include "unit.h"
#include "windows_scm/classify.h"

#define SHUTDOWN_BIT (1u << SABA_STOP_SHUTDOWN)

static const struct saba_scm_policy default_policy = {
	.retire_on = SHUTDOWN_BIT,
	.require_event = 1,
	.event_max_age = 600,
};

static void test_controls(void)
{
	CU_ASSERT_EQUAL(saba_scm_classify(SABA_SCM_CONTROL_STOP, 0), SABA_STOP_STOP);
	CU_ASSERT_EQUAL(saba_scm_classify(SABA_SCM_CONTROL_SHUTDOWN, 0), SABA_STOP_SHUTDOWN);
	CU_ASSERT_EQUAL(saba_scm_classify(SABA_SCM_CONTROL_PRESHUTDOWN, 0), SABA_STOP_SHUTDOWN);
	/* INTERROGATE, PAUSE (2), CONTINUE (3), PARAMCHANGE (6): no stop */
	CU_ASSERT_EQUAL(saba_scm_classify(SABA_SCM_CONTROL_INTERROGATE, 0), -1);
	CU_ASSERT_EQUAL(saba_scm_classify(2, 0), -1);
	CU_ASSERT_EQUAL(saba_scm_classify(3, 0), -1);
	CU_ASSERT_EQUAL(saba_scm_classify(6, 0), -1);
	CU_ASSERT_EQUAL(saba_scm_classify(0, 0), -1);
}

static void test_test_control(void)
{
	/* Production builds pass 0: a user control is nothing. */
	CU_ASSERT_EQUAL(saba_scm_classify(SABA_SCM_TEST_CONTROL, 0), -1);
	CU_ASSERT_EQUAL(saba_scm_classify(SABA_SCM_TEST_CONTROL, SABA_SCM_TEST_CONTROL),
			SABA_STOP_SHUTDOWN);
	/* Only that code, and only a user-defined one (128..255). */
	CU_ASSERT_EQUAL(saba_scm_classify(201, SABA_SCM_TEST_CONTROL), -1);
	CU_ASSERT_EQUAL(saba_scm_classify(2, 2), -1);
	CU_ASSERT_EQUAL(saba_scm_classify(256, 256), -1);
	CU_ASSERT_EQUAL(saba_scm_classify(SABA_SCM_CONTROL_STOP, SABA_SCM_TEST_CONTROL),
			SABA_STOP_STOP);
}

static void test_stop_never_retires(void)
{
	struct saba_scm_event ev = {.found = 1, .shutdown_type = "power off", .age = 5};
	struct saba_scm_policy p = default_policy;
	char why[256];

	CU_ASSERT_EQUAL(saba_scm_decide(SABA_STOP_STOP, &p, &ev, why, sizeof(why)), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(why, "never retires"));
	p.require_event = 0;
	CU_ASSERT_EQUAL(saba_scm_decide(SABA_STOP_STOP, &p, &ev, why, sizeof(why)), 0);
	p.retire_on = ~0u;
	CU_ASSERT_EQUAL(saba_scm_decide(SABA_STOP_STOP, &p, &ev, why, sizeof(why)), 0);
}

static void test_no_control(void)
{
	struct saba_scm_event ev = {.found = 1, .shutdown_type = "power off", .age = 5};
	struct saba_scm_policy p = default_policy;
	char why[256];

	p.require_event = 0;
	CU_ASSERT_EQUAL(saba_scm_decide(-1, &p, &ev, why, sizeof(why)), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(why, "no service control"));
	CU_ASSERT_EQUAL(saba_scm_decide(SABA_STOP_UNKNOWN, &p, &ev, why, sizeof(why)), 0);
}

static void test_power_off(void)
{
	struct saba_scm_event ev = {.found = 1, .shutdown_type = "power off", .age = 12};
	char why[256];

	CU_ASSERT_EQUAL(saba_scm_decide(SABA_STOP_SHUTDOWN, &default_policy, &ev, why, sizeof(why)),
			1);
	CU_ASSERT_PTR_NOT_NULL(strstr(why, "12 s old"));
	CU_ASSERT_PTR_NOT_NULL(strstr(why, "power off"));
	ev.shutdown_type = "  Power Off\r\n";
	CU_ASSERT_EQUAL(saba_scm_decide(SABA_STOP_SHUTDOWN, &default_policy, &ev, why, sizeof(why)),
			1);
}

static void test_restart_and_others(void)
{
	static const char *const no[] = {"restart",	"power offf", "power",	   "",
					 "Ausschalten", "shutdown",   "power  off"};
	struct saba_scm_event ev = {.found = 1, .age = 3};
	char why[256];

	for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++) {
		ev.shutdown_type = no[i];
		CU_ASSERT_EQUAL(
			saba_scm_decide(SABA_STOP_SHUTDOWN, &default_policy, &ev, why, sizeof(why)),
			0);
	}
	ev.shutdown_type = "restart";
	saba_scm_decide(SABA_STOP_SHUTDOWN, &default_policy, &ev, why, sizeof(why));
	CU_ASSERT_PTR_NOT_NULL(strstr(why, "\"restart\""));
	ev.shutdown_type = NULL;
	CU_ASSERT_EQUAL(saba_scm_decide(SABA_STOP_SHUTDOWN, &default_policy, &ev, why, sizeof(why)),
			0);
}

static void test_missing_or_stale_event(void)
{
	struct saba_scm_event ev = {.found = 0, .shutdown_type = "power off", .age = 1};
	char why[256];

	CU_ASSERT_EQUAL(saba_scm_decide(SABA_STOP_SHUTDOWN, &default_policy, &ev, why, sizeof(why)),
			0);
	CU_ASSERT_PTR_NOT_NULL(strstr(why, "no event 1074"));
	CU_ASSERT_EQUAL(
		saba_scm_decide(SABA_STOP_SHUTDOWN, &default_policy, NULL, why, sizeof(why)), 0);
	ev.found = 1;
	ev.age = 601;
	CU_ASSERT_EQUAL(saba_scm_decide(SABA_STOP_SHUTDOWN, &default_policy, &ev, why, sizeof(why)),
			0);
	CU_ASSERT_PTR_NOT_NULL(strstr(why, "601 s old"));
	ev.age = 600;
	CU_ASSERT_EQUAL(saba_scm_decide(SABA_STOP_SHUTDOWN, &default_policy, &ev, why, sizeof(why)),
			1);
	/* From the future (a clock step): only a small skew passes. */
	ev.age = -61;
	CU_ASSERT_EQUAL(saba_scm_decide(SABA_STOP_SHUTDOWN, &default_policy, &ev, why, sizeof(why)),
			0);
	ev.age = -5;
	CU_ASSERT_EQUAL(saba_scm_decide(SABA_STOP_SHUTDOWN, &default_policy, &ev, why, sizeof(why)),
			1);
}

static void test_retire_on(void)
{
	struct saba_scm_event ev = {.found = 1, .shutdown_type = "power off", .age = 1};
	struct saba_scm_policy p = default_policy;
	char why[256];

	p.retire_on = 0;
	CU_ASSERT_EQUAL(saba_scm_decide(SABA_STOP_SHUTDOWN, &p, &ev, why, sizeof(why)), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(why, "not in retire_on"));
	p.require_event = 0;
	CU_ASSERT_EQUAL(saba_scm_decide(SABA_STOP_SHUTDOWN, &p, &ev, why, sizeof(why)), 0);
}

static void test_cloud_decides(void)
{
	struct saba_scm_policy p = default_policy;
	char why[256];

	/* Without the event requirement a shutdown goes to the retire
	 * routine, whose cloud confirmation decides. */
	p.require_event = 0;
	CU_ASSERT_EQUAL(saba_scm_decide(SABA_STOP_SHUTDOWN, &p, NULL, why, sizeof(why)), 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(why, "cloud"));
}

static void test_why_truncates(void)
{
	struct saba_scm_event ev = {.found = 1, .shutdown_type = "restart", .age = 3};
	char why[24];

	memset(why, 'x', sizeof(why));
	saba_scm_decide(SABA_STOP_SHUTDOWN, &default_policy, &ev, why, sizeof(why) - 4);
	CU_ASSERT_EQUAL(strlen(why), sizeof(why) - 5);
	CU_ASSERT_EQUAL(why[sizeof(why) - 4], 'x');
}

static const struct unit_test tests[] = {
	UNIT_TEST(test_controls),
	UNIT_TEST(test_test_control),
	UNIT_TEST(test_stop_never_retires),
	UNIT_TEST(test_no_control),
	UNIT_TEST(test_power_off),
	UNIT_TEST(test_restart_and_others),
	UNIT_TEST(test_missing_or_stale_event),
	UNIT_TEST(test_retire_on),
	UNIT_TEST(test_cloud_decides),
	UNIT_TEST(test_why_truncates),
};

int main(void)
{
	return UNIT_RUN("windows_scm_classify", tests);
}
