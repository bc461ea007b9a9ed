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
/* The manager's state with default.target active, as on a running host. */
#define ST(s) (&(const struct saba_sd_state){.system = (s), .default_target = "active"})

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

	CU_ASSERT_EQUAL(saba_sd_classify(jobs, N(jobs), ST("stopping"), OWN), SABA_STOP_POWEROFF);
	saba_sd_evidence(jobs, N(jobs), ST("stopping"), OWN, buf, sizeof(buf));
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

	CU_ASSERT_EQUAL(saba_sd_classify(jobs, N(jobs), ST("stopping"), OWN), SABA_STOP_HALT);
}

static void test_reboot(void)
{
	const struct saba_sd_job jobs[] = {
		SHUTDOWN_JOBS,
		{"reboot.target", "start"},
		{"systemd-reboot.service", "start"},
	};

	CU_ASSERT_EQUAL(saba_sd_classify(jobs, N(jobs), ST("stopping"), OWN), SABA_STOP_REBOOT);
}

static void test_kexec(void)
{
	const struct saba_sd_job jobs[] = {SHUTDOWN_JOBS, {"kexec.target", "start"}};

	CU_ASSERT_EQUAL(saba_sd_classify(jobs, N(jobs), ST("stopping"), OWN), SABA_STOP_KEXEC);
}

static void test_soft_reboot(void)
{
	const struct saba_sd_job jobs[] = {SHUTDOWN_JOBS, {"soft-reboot.target", "start"}};

	CU_ASSERT_EQUAL(saba_sd_classify(jobs, N(jobs), ST("stopping"), OWN), SABA_STOP_REBOOT);
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

	CU_ASSERT_EQUAL(saba_sd_classify(jobs, N(jobs), ST("stopping"), OWN), SABA_STOP_REBOOT);
	CU_ASSERT_EQUAL(saba_sd_classify(rev, N(rev), ST("stopping"), OWN), SABA_STOP_REBOOT);
	CU_ASSERT_EQUAL(saba_sd_classify(kexec, N(kexec), ST("stopping"), OWN), SABA_STOP_KEXEC);
}

/* systemctl restart, try-restart, a package upgrade's restart. */
static void test_restart(void)
{
	const struct saba_sd_job restart[] = {{OWN, "restart"}};
	const struct saba_sd_job try_restart[] = {{OWN, "try-restart"}};
	/* restart outranks anything else in the queue */
	const struct saba_sd_job odd[] = {{"poweroff.target", "start"}, {OWN, "restart"}};

	CU_ASSERT_EQUAL(saba_sd_classify(restart, N(restart), ST("running"), OWN),
			SABA_STOP_RESTART);
	CU_ASSERT_EQUAL(saba_sd_classify(try_restart, N(try_restart), ST("degraded"), OWN),
			SABA_STOP_RESTART);
	CU_ASSERT_EQUAL(saba_sd_classify(odd, N(odd), ST("stopping"), OWN), SABA_STOP_RESTART);
}

/* Another unit's restart is not ours. */
static void test_restart_other_unit(void)
{
	const struct saba_sd_job jobs[] = {{"nginx.service", "restart"}};

	CU_ASSERT_EQUAL(saba_sd_classify(jobs, N(jobs), ST("running"), OWN), SABA_STOP_UNKNOWN);
}

static void test_plain_stop(void)
{
	const struct saba_sd_job jobs[] = {{OWN, "stop"}};
	const struct saba_sd_job other_name[] = {{"saba-agent@x.service", "stop"}};

	CU_ASSERT_EQUAL(saba_sd_classify(jobs, N(jobs), ST("running"), OWN), SABA_STOP_STOP);
	CU_ASSERT_EQUAL(saba_sd_classify(jobs, N(jobs), ST("degraded"), OWN), SABA_STOP_STOP);
	/* a stop job of a unit that is not ours is no evidence */
	CU_ASSERT_EQUAL(saba_sd_classify(other_name, N(other_name), ST("running"), OWN),
			SABA_STOP_UNKNOWN);
	CU_ASSERT_EQUAL(saba_sd_classify(jobs, N(jobs), ST("running"), "saba-agent@x.service"),
			SABA_STOP_UNKNOWN);
}

/* systemctl isolate rescue.target stops us too, but is not "stop". */
static void test_isolate(void)
{
	const struct saba_sd_job jobs[] = {{"rescue.target", "start"}, {OWN, "stop"}};

	CU_ASSERT_EQUAL(saba_sd_classify(jobs, N(jobs), ST("running"), OWN), SABA_STOP_UNKNOWN);
}

/* As systemd 252 shows an isolate once the target's own job is done
 * (measured in tests/system/test_systemd.py): our stop among the stops of
 * every unit the new target does not want. */
static void test_isolate_target_done(void)
{
	const struct saba_sd_job rescue[] = {{OWN, "stop"},
					     {"cron.service", "stop"},
					     {"dbus.service", "stop"},
					     {"systemd-logind.service", "stop"}};

	/* rescue.target and emergency.target make the manager "maintenance" */
	CU_ASSERT_EQUAL(saba_sd_classify(rescue, N(rescue), ST("maintenance"), OWN),
			SABA_STOP_UNKNOWN);
	/* a target of one's own: the manager stays "running" */
	CU_ASSERT_EQUAL(saba_sd_classify(rescue, N(rescue), ST("running"), OWN), SABA_STOP_UNKNOWN);
	/* even our stop alone is no plain stop in maintenance */
	CU_ASSERT_EQUAL(saba_sd_classify(rescue, 1, ST("maintenance"), OWN), SABA_STOP_UNKNOWN);
}

/* Only a manager at rest tells a plain stop: not while it boots or is
 * in an unknown state. */
static void test_stop_states(void)
{
	const struct saba_sd_job jobs[] = {{OWN, "stop"}};
	static const char *const doubt[] = {"initializing", "starting", "maintenance", "offline",
					    "unknown",	    "",		"stopping"};

	for (size_t i = 0; i < N(doubt); i++)
		CU_ASSERT_EQUAL(saba_sd_classify(jobs, N(jobs), ST(doubt[i]), OWN),
				SABA_STOP_UNKNOWN);
}

/* An isolate whose other stops are done: default.target stopped before
 * us (it is ordered after every unit it wants). */
static void test_stop_default_target(void)
{
	const struct saba_sd_job jobs[] = {{OWN, "stop"}};
	static const char *const doubt[] = {"inactive", "deactivating", "failed", "", NULL};
	struct saba_sd_state st = {.system = "running"};
	char buf[128];

	for (size_t i = 0; i < N(doubt); i++) {
		st.default_target = doubt[i];
		CU_ASSERT_EQUAL(saba_sd_classify(jobs, N(jobs), &st, OWN), SABA_STOP_UNKNOWN);
	}
	saba_sd_evidence(jobs, N(jobs), &st, OWN, buf, sizeof(buf));
	CU_ASSERT_STRING_EQUAL(buf, "jobs: " OWN "/stop; SystemState=running; default.target=?");
	st.default_target = "active";
	CU_ASSERT_EQUAL(saba_sd_classify(jobs, N(jobs), &st, OWN), SABA_STOP_STOP);
	/* ...while a shutdown does not depend on it */
	CU_ASSERT_EQUAL(saba_sd_classify((const struct saba_sd_job[]){{"poweroff.target", "start"}},
					 1, &(struct saba_sd_state){.system = "stopping"}, OWN),
			SABA_STOP_POWEROFF);
}

/* kill -TERM by hand, or a container runtime: nothing queued. */
static void test_empty_queue(void)
{
	char buf[128];

	CU_ASSERT_EQUAL(saba_sd_classify(NULL, 0, ST("running"), OWN), SABA_STOP_UNKNOWN);
	CU_ASSERT_EQUAL(saba_sd_classify(NULL, 0, ST("stopping"), OWN), SABA_STOP_UNKNOWN);
	saba_sd_evidence(NULL, 0, ST("running"), OWN, buf, sizeof(buf));
	CU_ASSERT_STRING_EQUAL(buf, "no jobs queued; SystemState=running; default.target=active");
}

/* The cross-check: a poweroff job without a stopping manager is doubt. */
static void test_state_not_stopping(void)
{
	const struct saba_sd_job poweroff[] = {{"poweroff.target", "start"}, {OWN, "stop"}};
	const struct saba_sd_job halt[] = {{"halt.target", "start"}};

	CU_ASSERT_EQUAL(saba_sd_classify(poweroff, N(poweroff), ST("running"), OWN),
			SABA_STOP_UNKNOWN);
	CU_ASSERT_EQUAL(saba_sd_classify(poweroff, N(poweroff), ST("degraded"), OWN),
			SABA_STOP_UNKNOWN);
	CU_ASSERT_EQUAL(saba_sd_classify(halt, N(halt), ST("running"), OWN), SABA_STOP_UNKNOWN);
	/* ...and a stopping manager without a known target, too */
	CU_ASSERT_EQUAL(saba_sd_classify((const struct saba_sd_job[]){{OWN, "stop"}}, 1,
					 ST("stopping"), OWN),
			SABA_STOP_UNKNOWN);
}

/* A target job that is not a start (e.g. stop) says nothing. */
static void test_non_start_target_job(void)
{
	const struct saba_sd_job jobs[] = {{"poweroff.target", "stop"}, {OWN, "stop"}};

	CU_ASSERT_EQUAL(saba_sd_classify(jobs, N(jobs), ST("stopping"), OWN), SABA_STOP_UNKNOWN);
}

/* The bus could not be asked (no systemd, timeout, error): state NULL. */
static void test_bus_error(void)
{
	const struct saba_sd_job jobs[] = {SHUTDOWN_JOBS, {"poweroff.target", "start"}};
	char buf[64];

	CU_ASSERT_EQUAL(saba_sd_classify(jobs, N(jobs), ST(NULL), OWN), SABA_STOP_UNKNOWN);
	CU_ASSERT_EQUAL(saba_sd_classify(NULL, 0, ST(NULL), OWN), SABA_STOP_UNKNOWN);
	saba_sd_evidence(NULL, 0, ST(NULL), OWN, buf, sizeof(buf));
	CU_ASSERT_STRING_EQUAL(buf, "systemd could not be asked");
}

/* Garbage in (NULL members, odd states) stays UNKNOWN and never crashes. */
static void test_unknown(void)
{
	const struct saba_sd_job jobs[] = {{NULL, "start"}, {"poweroff.target", NULL}};

	CU_ASSERT_EQUAL(saba_sd_classify(jobs, N(jobs), ST("stopping"), OWN), SABA_STOP_UNKNOWN);
	CU_ASSERT_EQUAL(saba_sd_classify(NULL, 0, ST(""), OWN), SABA_STOP_UNKNOWN);
	CU_ASSERT_EQUAL(saba_sd_classify(NULL, 0, ST("offline"), NULL), SABA_STOP_UNKNOWN);
}

/* The evidence never overruns its buffer and stays a C string. */
static void test_evidence_truncates(void)
{
	const struct saba_sd_job jobs[] = {SHUTDOWN_JOBS, {"poweroff.target", "start"}};
	char buf[24];

	memset(buf, 'x', sizeof(buf));
	saba_sd_evidence(jobs, N(jobs), ST("stopping"), OWN, buf, sizeof(buf) - 4);
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
	UNIT_TEST(test_isolate_target_done),
	UNIT_TEST(test_stop_states),
	UNIT_TEST(test_stop_default_target),
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
