/*
 * The systemd trigger's classifier (plugins/systemd/classify.c), over job
 * queues as systemd 252 shows them while our unit stops (measured in
 * test-environments.md section 2): what retires, what never does.
 */
#include <string.h>

#include "systemd/classify.h"
#include "unit.h"

#define OWN  "saba-agent.service"
#define N(a) (sizeof(a) / sizeof((a)[0]))

/* The shutdown transaction's companions, present in every OS stop. */
#define SHUTDOWN_JOBS                                                                              \
	{"shutdown.target", "start"}, {"final.target", "start"}, {"umount.target", "start"},       \
		{"dbus.service", "stop"}, {"cron.service", "stop"},                                \
	{                                                                                          \
		OWN, "stop"                                                                        \
	}

static void test_poweroff(void)
{
	const struct saba_sd_job jobs[] = {
		SHUTDOWN_JOBS,
		{"poweroff.target", "start"},
		{"systemd-poweroff.service", "start"},
	};
	char buf[256];

	CU_ASSERT_EQUAL(saba_sd_classify(jobs, N(jobs), "stopping", OWN), SABA_STOP_POWEROFF);
	saba_sd_evidence(jobs, N(jobs), "stopping", OWN, buf, sizeof(buf));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "poweroff.target/start"));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, OWN "/stop"));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "SystemState=stopping"));
	/* services' stop jobs are counted, not listed */
	CU_ASSERT_PTR_NULL(strstr(buf, "cron.service"));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "(+3 more)"));
}

static void test_halt(void)
{
	const struct saba_sd_job jobs[] = {
		SHUTDOWN_JOBS,
		{"halt.target", "start"},
		{"systemd-halt.service", "start"},
	};

	CU_ASSERT_EQUAL(saba_sd_classify(jobs, N(jobs), "stopping", OWN), SABA_STOP_HALT);
}

static void test_reboot(void)
{
	const struct saba_sd_job jobs[] = {
		SHUTDOWN_JOBS,
		{"reboot.target", "start"},
		{"systemd-reboot.service", "start"},
	};

	CU_ASSERT_EQUAL(saba_sd_classify(jobs, N(jobs), "stopping", OWN), SABA_STOP_REBOOT);
}

static void test_kexec(void)
{
	const struct saba_sd_job jobs[] = {SHUTDOWN_JOBS, {"kexec.target", "start"}};

	CU_ASSERT_EQUAL(saba_sd_classify(jobs, N(jobs), "stopping", OWN), SABA_STOP_KEXEC);
}

static void test_soft_reboot(void)
{
	const struct saba_sd_job jobs[] = {SHUTDOWN_JOBS, {"soft-reboot.target", "start"}};

	CU_ASSERT_EQUAL(saba_sd_classify(jobs, N(jobs), "stopping", OWN), SABA_STOP_REBOOT);
}

/* Which one wins is unclear: coming back must never retire. */
static void test_poweroff_and_reboot(void)
{
	const struct saba_sd_job jobs[] = {
		SHUTDOWN_JOBS,
		{"poweroff.target", "start"},
		{"reboot.target", "start"},
	};
	const struct saba_sd_job rev[] = {
		{"reboot.target", "start"},
		{"poweroff.target", "start"},
		SHUTDOWN_JOBS,
	};
	const struct saba_sd_job kexec[] = {{"poweroff.target", "start"},
					    {"kexec.target", "start"}};

	CU_ASSERT_EQUAL(saba_sd_classify(jobs, N(jobs), "stopping", OWN), SABA_STOP_REBOOT);
	CU_ASSERT_EQUAL(saba_sd_classify(rev, N(rev), "stopping", OWN), SABA_STOP_REBOOT);
	CU_ASSERT_EQUAL(saba_sd_classify(kexec, N(kexec), "stopping", OWN), SABA_STOP_KEXEC);
}

/* systemctl restart, try-restart, a package upgrade's restart. */
static void test_restart(void)
{
	const struct saba_sd_job restart[] = {{OWN, "restart"}};
	const struct saba_sd_job try_restart[] = {{OWN, "try-restart"}};
	/* restart outranks anything else in the queue */
	const struct saba_sd_job odd[] = {{"poweroff.target", "start"}, {OWN, "restart"}};

	CU_ASSERT_EQUAL(saba_sd_classify(restart, N(restart), "running", OWN), SABA_STOP_RESTART);
	CU_ASSERT_EQUAL(saba_sd_classify(try_restart, N(try_restart), "degraded", OWN),
			SABA_STOP_RESTART);
	CU_ASSERT_EQUAL(saba_sd_classify(odd, N(odd), "stopping", OWN), SABA_STOP_RESTART);
}

/* Another unit's restart is not ours. */
static void test_restart_other_unit(void)
{
	const struct saba_sd_job jobs[] = {{"nginx.service", "restart"}};

	CU_ASSERT_EQUAL(saba_sd_classify(jobs, N(jobs), "running", OWN), SABA_STOP_UNKNOWN);
}

static void test_plain_stop(void)
{
	const struct saba_sd_job jobs[] = {{OWN, "stop"}};
	const struct saba_sd_job other_name[] = {{"saba-agent@x.service", "stop"}};

	CU_ASSERT_EQUAL(saba_sd_classify(jobs, N(jobs), "running", OWN), SABA_STOP_STOP);
	CU_ASSERT_EQUAL(saba_sd_classify(jobs, N(jobs), "degraded", OWN), SABA_STOP_STOP);
	/* a stop job of a unit that is not ours is no evidence */
	CU_ASSERT_EQUAL(saba_sd_classify(other_name, N(other_name), "running", OWN),
			SABA_STOP_UNKNOWN);
	CU_ASSERT_EQUAL(saba_sd_classify(jobs, N(jobs), "running", "saba-agent@x.service"),
			SABA_STOP_UNKNOWN);
}

/* systemctl isolate rescue.target stops us too, but is not "stop". */
static void test_isolate(void)
{
	const struct saba_sd_job jobs[] = {{"rescue.target", "start"}, {OWN, "stop"}};

	CU_ASSERT_EQUAL(saba_sd_classify(jobs, N(jobs), "running", OWN), SABA_STOP_UNKNOWN);
}

/* kill -TERM by hand, or a container runtime: nothing queued. */
static void test_empty_queue(void)
{
	char buf[128];

	CU_ASSERT_EQUAL(saba_sd_classify(NULL, 0, "running", OWN), SABA_STOP_UNKNOWN);
	CU_ASSERT_EQUAL(saba_sd_classify(NULL, 0, "stopping", OWN), SABA_STOP_UNKNOWN);
	saba_sd_evidence(NULL, 0, "running", OWN, buf, sizeof(buf));
	CU_ASSERT_STRING_EQUAL(buf, "no jobs queued; SystemState=running");
}

/* The cross-check: a poweroff job without a stopping manager is doubt. */
static void test_state_not_stopping(void)
{
	const struct saba_sd_job poweroff[] = {{"poweroff.target", "start"}, {OWN, "stop"}};
	const struct saba_sd_job halt[] = {{"halt.target", "start"}};

	CU_ASSERT_EQUAL(saba_sd_classify(poweroff, N(poweroff), "running", OWN), SABA_STOP_UNKNOWN);
	CU_ASSERT_EQUAL(saba_sd_classify(poweroff, N(poweroff), "degraded", OWN),
			SABA_STOP_UNKNOWN);
	CU_ASSERT_EQUAL(saba_sd_classify(halt, N(halt), "running", OWN), SABA_STOP_UNKNOWN);
	/* ...and a stopping manager without a known target, too */
	CU_ASSERT_EQUAL(
		saba_sd_classify((const struct saba_sd_job[]){{OWN, "stop"}}, 1, "stopping", OWN),
		SABA_STOP_UNKNOWN);
}

/* A target job that is not a start (e.g. stop) says nothing. */
static void test_non_start_target_job(void)
{
	const struct saba_sd_job jobs[] = {{"poweroff.target", "stop"}, {OWN, "stop"}};

	CU_ASSERT_EQUAL(saba_sd_classify(jobs, N(jobs), "stopping", OWN), SABA_STOP_UNKNOWN);
}

/* The bus could not be asked (no systemd, timeout, error): state NULL. */
static void test_bus_error(void)
{
	const struct saba_sd_job jobs[] = {SHUTDOWN_JOBS, {"poweroff.target", "start"}};
	char buf[64];

	CU_ASSERT_EQUAL(saba_sd_classify(jobs, N(jobs), NULL, OWN), SABA_STOP_UNKNOWN);
	CU_ASSERT_EQUAL(saba_sd_classify(NULL, 0, NULL, OWN), SABA_STOP_UNKNOWN);
	saba_sd_evidence(NULL, 0, NULL, OWN, buf, sizeof(buf));
	CU_ASSERT_STRING_EQUAL(buf, "systemd could not be asked");
}

/* Garbage in (NULL members, odd states) stays UNKNOWN and never crashes. */
static void test_unknown(void)
{
	const struct saba_sd_job jobs[] = {{NULL, "start"}, {"poweroff.target", NULL}};

	CU_ASSERT_EQUAL(saba_sd_classify(jobs, N(jobs), "stopping", OWN), SABA_STOP_UNKNOWN);
	CU_ASSERT_EQUAL(saba_sd_classify(NULL, 0, "", OWN), SABA_STOP_UNKNOWN);
	CU_ASSERT_EQUAL(saba_sd_classify(NULL, 0, "offline", NULL), SABA_STOP_UNKNOWN);
}

/* The evidence never overruns its buffer and stays a C string. */
static void test_evidence_truncates(void)
{
	const struct saba_sd_job jobs[] = {SHUTDOWN_JOBS, {"poweroff.target", "start"}};
	char buf[24];

	memset(buf, 'x', sizeof(buf));
	saba_sd_evidence(jobs, N(jobs), "stopping", OWN, buf, sizeof(buf) - 4);
	CU_ASSERT_EQUAL(strlen(buf), sizeof(buf) - 5);
	CU_ASSERT_EQUAL(buf[sizeof(buf) - 4], 'x');
	CU_ASSERT_EQUAL(strncmp(buf, "jobs: shutdown.target/s", sizeof(buf) - 5), 0);
}

static const struct unit_test tests[] = {
	UNIT_TEST(test_poweroff),
	UNIT_TEST(test_halt),
	UNIT_TEST(test_reboot),
	UNIT_TEST(test_kexec),
	UNIT_TEST(test_soft_reboot),
	UNIT_TEST(test_poweroff_and_reboot),
	UNIT_TEST(test_restart),
	UNIT_TEST(test_restart_other_unit),
	UNIT_TEST(test_plain_stop),
	UNIT_TEST(test_isolate),
	UNIT_TEST(test_empty_queue),
	UNIT_TEST(test_state_not_stopping),
	UNIT_TEST(test_non_start_target_job),
	UNIT_TEST(test_bus_error),
	UNIT_TEST(test_unknown),
	UNIT_TEST(test_evidence_truncates),
};

int main(void)
{
	return UNIT_RUN("systemd_classify", tests);
}
