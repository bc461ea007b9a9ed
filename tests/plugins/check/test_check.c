/*
 * The check plugin (Nagios/mackerel-agent check plugins), loaded from its
 * built module and driven through the fake host with the fixture commands
 * in tests/data/commands/.  A check runs at once on start(); the tests
 * start, wait for the run and stop.  Starting again runs it again (the
 * interval is minutes), with the previous result kept.
 */
#define _GNU_SOURCE /* vasprintf */

#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>

#include <jansson.h>

#include "cmdtest.h"

#define WAIT 10.0 /* seconds a run may take (valgrind is slow) */

static struct cmdtest t;

static int suite_init(void)
{
	return cmdtest_init(&t, "check");
}

static int suite_cleanup(void)
{
	cmdtest_cleanup(&t);
	return 0;
}

static void *make(struct saba_test_host **fh, const char *fmt, ...) SABA_PRINTF(2, 3);
static void *make(struct saba_test_host **fh, const char *fmt, ...)
{
	va_list ap;
	char *cfg;
	void *inst = NULL;

	va_start(ap, fmt);
	CU_ASSERT_FATAL(vasprintf(&cfg, fmt, ap) >= 0);
	va_end(ap);
	*fh = saba_test_host_new(cfg);
	free(cfg);
	CU_ASSERT_PTR_NOT_NULL_FATAL(*fh);
	saba_test_set_instance_name(*fh, "check-test");
	CU_ASSERT_EQUAL_FATAL(saba_test_create(*fh, t.plugin, &inst), SABA_OK);
	return inst;
}

static void done(struct saba_test_host *fh, void *inst)
{
	CU_ASSERT_EQUAL(saba_test_misuse(fh), 0);
	t.plugin->destroy(inst);
	saba_test_host_free(fh);
	CU_ASSERT(cmdtest_no_children());
}

/* Start, wait for the n-th finished run in all, stop. */
static void run(struct saba_test_host *fh, void *inst, size_t n)
{
	CU_ASSERT_EQUAL_FATAL(t.plugin->start(inst), SABA_OK);
	CU_ASSERT(cmdtest_wait_log(fh, n, SABA_LOG_DEBUG, "result ", WAIT));
	t.plugin->stop(inst);
}

/* The i-th report; asserts it exists. */
static struct saba_check_report report(struct saba_test_host *fh, size_t i)
{
	struct saba_check_report r = {0};

	CU_ASSERT_FATAL(saba_test_check_at(fh, i, &r));
	return r;
}

/* Exit codes 0..3 are the status; anything else is UNKNOWN with why. */
static void test_statuses(void)
{
	static const struct {
		int code, status;
		const char *message;
	} cases[] = {
		{0, SABA_CHECK_OK, "all good"},
		{1, SABA_CHECK_WARNING, "a bit slow"},
		{2, SABA_CHECK_CRITICAL, "on fire\nsecond line"},
		{3, SABA_CHECK_UNKNOWN, "no idea"},
		{5, SABA_CHECK_UNKNOWN, "exit status 5: weird"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *msg = cases[i].code == 5 ? "weird" : cases[i].message;
		struct saba_test_host *fh;
		void *inst;
		struct saba_check_report r;
		time_t t0 = time(NULL);

		inst = make(&fh,
			    "command = \"%s\"; notification_interval = 30; max_check_attempts = 3;"
			    "env = { CHECK_EXIT = \"%d\"; CHECK_MESSAGE = \"%s\"; };",
			    cmdtest_script(&t, "check_status.sh"), cases[i].code,
			    cases[i].code == 2 ? "on fire\\nsecond line" : msg);
		run(fh, inst, 1);
		CU_ASSERT_EQUAL_FATAL(saba_test_nchecks(fh), 1);
		r = report(fh, 0);
		CU_ASSERT_STRING_EQUAL(r.name, "check-test");
		CU_ASSERT_EQUAL(r.status, cases[i].status);
		CU_ASSERT_STRING_EQUAL(r.message, cases[i].message);
		CU_ASSERT(r.occurred_at >= t0 && r.occurred_at <= time(NULL));
		CU_ASSERT_EQUAL(r.notification_interval, 30);
		CU_ASSERT_EQUAL(r.max_check_attempts, 3);
		CU_ASSERT_PTR_NULL(r.custom_identifier);
		done(fh, inst);
	}
}

static void test_missing_command(void)
{
	struct saba_test_host *fh;
	void *inst = make(&fh, "command = [\"/nonexistent/check_x\", \"-w\", \"1\"];");
	struct saba_check_report r;

	run(fh, inst, 1);
	r = report(fh, 0);
	CU_ASSERT_EQUAL(r.status, SABA_CHECK_UNKNOWN);
	CU_ASSERT_STRING_EQUAL(r.message,
			       "cannot run /nonexistent/check_x: No such file or directory");
	done(fh, inst);
	/* through the shell: its exit 127 and what it said on stderr */
	inst = make(&fh, "command = \"/nonexistent/check_x -w 1\";");
	run(fh, inst, 1);
	r = report(fh, 0);
	CU_ASSERT_EQUAL(r.status, SABA_CHECK_UNKNOWN);
	CU_ASSERT_NSTRING_EQUAL(r.message, "exit status 127: ", 17);
	CU_ASSERT_PTR_NOT_NULL(strstr(r.message, "not found"));
	done(fh, inst);
}

static void test_timeout(void)
{
	struct saba_test_host *fh;
	void *inst = make(&fh, "command = \"%s\"; timeout = 1;", cmdtest_script(&t, "hang.sh"));
	double t0 = cmdtest_now();
	struct saba_check_report r;

	run(fh, inst, 1);
	CU_ASSERT(cmdtest_now() - t0 < 1.0 + 1.5);
	r = report(fh, 0);
	CU_ASSERT_EQUAL(r.status, SABA_CHECK_UNKNOWN);
	CU_ASSERT_STRING_EQUAL(r.message, "command timed out after 1 s");
	done(fh, inst);
}

/* 1024 characters, not bytes: 1000 'x' and 24 of the 100 U+3042. */
static void test_message_cut(void)
{
	struct saba_test_host *fh;
	void *inst = make(&fh, "command = \"%s\";", cmdtest_script(&t, "check_long.sh"));
	struct saba_check_report r;

	run(fh, inst, 1);
	r = report(fh, 0);
	CU_ASSERT_EQUAL(r.status, SABA_CHECK_WARNING);
	CU_ASSERT_EQUAL(strlen(r.message), 1000 + 24 * 3);
	CU_ASSERT_STRING_EQUAL(r.message + 1000 + 23 * 3, "\xe3\x81\x82");
	done(fh, inst);
}

/* Runs: OK same (sent), OK same (not), WARNING (sent), OK same (sent). */
static void test_filter(void)
{
	char dir[] = "/tmp/saba-check-XXXXXX", state[64];
	struct saba_test_host *fh;
	void *inst;

	CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
	snprintf(state, sizeof(state), "%s/state", dir);
	inst = make(&fh, "command = \"%s\"; env = { STATE = \"%s\"; };",
		    cmdtest_script(&t, "check_sequence.sh"), state);
	run(fh, inst, 1);
	CU_ASSERT_EQUAL(saba_test_nchecks(fh), 1);
	run(fh, inst, 2);
	CU_ASSERT_EQUAL(saba_test_nchecks(fh), 1);
	CU_ASSERT_EQUAL(saba_test_log_count(fh, SABA_LOG_DEBUG, "not reported"), 1);
	run(fh, inst, 3);
	CU_ASSERT_EQUAL_FATAL(saba_test_nchecks(fh), 2);
	CU_ASSERT_EQUAL(report(fh, 1).status, SABA_CHECK_WARNING);
	run(fh, inst, 4);
	CU_ASSERT_EQUAL_FATAL(saba_test_nchecks(fh), 3);
	CU_ASSERT_EQUAL(report(fh, 2).status, SABA_CHECK_OK);
	CU_ASSERT_STRING_EQUAL(report(fh, 2).message, "same");
	done(fh, inst);
	unlink(state);
	rmdir(dir);
}

static void test_prevent_alert_auto_close(void)
{
	struct saba_test_host *fh;
	void *inst = make(&fh,
			  "command = \"%s\"; prevent_alert_auto_close = true;"
			  "max_check_attempts = 5; env = { CHECK_EXIT = \"0\"; };",
			  cmdtest_script(&t, "check_status.sh"));

	run(fh, inst, 1);
	CU_ASSERT_EQUAL(saba_test_nchecks(fh), 0);
	done(fh, inst);
	inst = make(&fh,
		    "command = \"%s\"; prevent_alert_auto_close = true;"
		    "max_check_attempts = 5; env = { CHECK_EXIT = \"2\"; };",
		    cmdtest_script(&t, "check_status.sh"));
	run(fh, inst, 1);
	CU_ASSERT_EQUAL_FATAL(saba_test_nchecks(fh), 1);
	CU_ASSERT_EQUAL(report(fh, 0).status, SABA_CHECK_CRITICAL);
	/* forced to 1, as upstream */
	CU_ASSERT_EQUAL(report(fh, 0).max_check_attempts, 1);
	done(fh, inst);
}

/* What the action fixture wrote to path (then removed), or "". */
static const char *action_out(const char *path, char *buf, size_t len)
{
	FILE *fp = fopen(path, "r");
	size_t n = 0;

	CU_ASSERT_PTR_NOT_NULL(fp);
	if (fp != NULL) {
		n = fread(buf, 1, len - 1, fp);
		fclose(fp);
	}
	buf[n] = '\0';
	unlink(path);
	return buf;
}

static void test_action(void)
{
	char dir[] = "/tmp/saba-check-XXXXXX", out[64], buf[256], check[PATH_MAX + 128];
	struct saba_test_host *fh;
	void *inst;

	CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
	snprintf(out, sizeof(out), "%s/out", dir);
	/* cmdtest_script() answers in one buffer */
	snprintf(check, sizeof(check), "%s", cmdtest_script(&t, "check_status.sh"));
	/* mackerel-agent's inline table: a list command, its own env */
	inst = make(&fh,
		    "command = \"%s\"; env = { CHECK_EXIT = \"2\"; CHECK_MESSAGE = \"boom\"; };"
		    "action = { command = [ \"%s\" ]; timeout_seconds = 5;"
		    " env = { ACTION_OUT = \"%s\"; }; };",
		    check, cmdtest_script(&t, "action.sh"), out);
	run(fh, inst, 1);
	run(fh, inst, 2);
	/* the action runs after every check, even an unreported one */
	CU_ASSERT_STRING_EQUAL(action_out(out, buf, sizeof(buf)),
			       "CRITICAL||boom\nCRITICAL|CRITICAL|boom\n");
	done(fh, inst);
	/* a shell string, timeout as a string (a group of strings, as older
	 * configs wrote it), and action_env adding to the environment */
	inst = make(&fh,
		    "command = \"%s\"; env = { CHECK_EXIT = \"1\"; CHECK_MESSAGE = \"hm\"; };"
		    "action = { command = \"exec %s\"; timeout = \"5\"; };"
		    "action_env = { ACTION_OUT = \"%s\"; };",
		    check, cmdtest_script(&t, "action.sh"), out);
	run(fh, inst, 1);
	CU_ASSERT_STRING_EQUAL(action_out(out, buf, sizeof(buf)), "WARNING||hm\n");
	done(fh, inst);
	rmdir(dir);
}

static void test_host_spec(void)
{
	char memo[400];
	struct saba_test_host *fh;
	void *inst;
	json_t *got;

	inst = make(&fh, "command = \"true\"; memo = \"disk of /srv\";");
	CU_ASSERT_EQUAL(saba_test_host_spec(fh, t.plugin, inst), SABA_OK);
	CU_ASSERT_STRING_EQUAL(saba_test_spec(fh, "checks") ? saba_test_spec(fh, "checks") : "",
			       "[{\"name\":\"check-test\",\"memo\":\"disk of /srv\"}]");
	done(fh, inst);
	/* no memo: none in the spec */
	inst = make(&fh, "command = \"true\";");
	CU_ASSERT_EQUAL(saba_test_host_spec(fh, t.plugin, inst), SABA_OK);
	CU_ASSERT_STRING_EQUAL(saba_test_spec(fh, "checks") ? saba_test_spec(fh, "checks") : "",
			       "[{\"name\":\"check-test\"}]");
	done(fh, inst);
	/* another host's check is not listed */
	inst = make(&fh, "command = \"true\"; custom_identifier = \"other\";");
	CU_ASSERT_EQUAL(saba_test_host_spec(fh, t.plugin, inst), SABA_OK);
	CU_ASSERT_EQUAL(saba_test_nspecs(fh), 0);
	done(fh, inst);
	/* a memo over 250 characters is cut, with a warning */
	memset(memo, 'm', 300);
	memo[300] = '\0';
	inst = make(&fh, "command = \"true\"; memo = \"%s\";", memo);
	CU_ASSERT_EQUAL(saba_test_log_count(fh, SABA_LOG_WARNING, "memo is cut"), 1);
	CU_ASSERT_EQUAL(saba_test_host_spec(fh, t.plugin, inst), SABA_OK);
	got = json_loads(saba_test_spec(fh, "checks"), 0, NULL);
	CU_ASSERT_EQUAL(strlen(json_string_value(json_object_get(json_array_get(got, 0), "memo"))),
			250);
	json_decref(got);
	done(fh, inst);
}

static void test_custom_identifier(void)
{
	struct saba_test_host *fh;
	void *inst = make(&fh, "command = \"%s\"; custom_identifier = \"db-1.example\";",
			  cmdtest_script(&t, "check_status.sh"));

	run(fh, inst, 1);
	CU_ASSERT_STRING_EQUAL(report(fh, 0).custom_identifier ? report(fh, 0).custom_identifier
							       : "",
			       "db-1.example");
	done(fh, inst);
}

static void test_settings(void)
{
	static const char *const bad[] = {
		"max_check_attempts = 4294967296L;",
		"notification_interval = -5;",
		"action = { user = \"root\"; };",
		"action = { command = \"true\"; timeout = \"soon\"; };",
		"action = { command = \"true\"; colour = \"red\"; };",
		"action = { command = \"true\"; timeout = 5; timeout_seconds = 5; };",
		"action = { command = \"true\"; timeout_seconds = 0; };",
		"action = { command = 5; };",
		"action = { command = [ \"\" ]; };",
		"action = { command = \"true\"; env = { A = 1; }; };",
		"timeout = 5; timeout_seconds = 5;",
		/* durations as mackerel-agent refuses them */
		"check_interval = \"90s\";",
		"notification_interval = \"soon\";",
		"timeout = \"1500ms\";",
		"timeout_seconds = \"2h\";",
	};
	struct saba_test_host *fh;
	void *inst;

	/* notification_interval below 10 is raised; no interval below 1 */
	inst = make(&fh, "command = \"%s\"; notification_interval = 3; check_interval = 0;",
		    cmdtest_script(&t, "check_status.sh"));
	CU_ASSERT_EQUAL(saba_test_log_count(fh, SABA_LOG_WARNING, "check_interval 0"), 1);
	run(fh, inst, 1);
	CU_ASSERT_EQUAL(report(fh, 0).notification_interval, 10);
	CU_ASSERT_EQUAL(report(fh, 0).max_check_attempts, 0);
	done(fh, inst);
	/* Go duration strings, as mackerel-agent's config writes them */
	inst = make(&fh,
		    "command = \"%s\"; notification_interval = \"1h30m\"; "
		    "check_interval = \"2m\"; timeout = \"1m\";",
		    cmdtest_script(&t, "check_status.sh"));
	CU_ASSERT_EQUAL(saba_test_nconfig_errors(fh), 0);
	run(fh, inst, 1);
	CU_ASSERT_EQUAL(report(fh, 0).notification_interval, 90);
	done(fh, inst);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char cfg[256];

		snprintf(cfg, sizeof(cfg), "command = \"true\"; %s", bad[i]);
		fh = saba_test_host_new(cfg);
		CU_ASSERT_PTR_NOT_NULL_FATAL(fh);
		inst = NULL;
		CU_ASSERT_NOT_EQUAL(saba_test_create(fh, t.plugin, &inst), SABA_OK);
		CU_ASSERT_PTR_NULL(inst);
		/* a config error, or a wrong type (which the agent counts as one) */
		CU_ASSERT(saba_test_nconfig_errors(fh) +
				  saba_test_log_count(fh, SABA_LOG_ERR, NULL) >=
			  1);
		saba_test_host_free(fh);
	}
	/* mackerel-agent takes any int32: outside the API's 1..10, the
	 * nearer end (below 1: not sent, the API's default) */
	for (int i = 0; i < 2; i++) {
		inst = make(&fh, "command = \"%s\"; max_check_attempts = %d;",
			    cmdtest_script(&t, "check_status.sh"), i == 0 ? 11 : -1);
		CU_ASSERT_EQUAL(saba_test_log_count(fh, SABA_LOG_WARNING, "max_check_attempts"), 1);
		run(fh, inst, 1);
		CU_ASSERT_EQUAL(report(fh, 0).max_check_attempts, i == 0 ? 10 : 0);
		done(fh, inst);
	}
}

/* stop() kills a running check and reports nothing for it. */
static void test_stop_kills_running(void)
{
	struct saba_test_host *fh;
	void *inst =
		make(&fh, "command = \"%s\"; timeout = 30;", cmdtest_script(&t, "hang_noterm.sh"));
	double t0;

	CU_ASSERT_EQUAL(t.plugin->start(inst), SABA_OK);
	cmdtest_sleep(0.3);
	t0 = cmdtest_now();
	t.plugin->stop(inst);
	CU_ASSERT(cmdtest_now() - t0 < 2.0);
	CU_ASSERT_EQUAL(saba_test_nchecks(fh), 0);
	done(fh, inst);
}

/* stop() ends the wait for the next check at once. */
static void test_stop_interrupts_wait(void)
{
	struct saba_test_host *fh;
	void *inst = make(&fh, "command = \"true\";");
	double t0;

	CU_ASSERT_EQUAL(t.plugin->start(inst), SABA_OK);
	CU_ASSERT(cmdtest_wait_checks(fh, 1, WAIT));
	cmdtest_sleep(0.1);
	t0 = cmdtest_now();
	t.plugin->stop(inst);
	CU_ASSERT(cmdtest_now() - t0 < 0.5);
	CU_ASSERT_EQUAL(saba_test_nchecks(fh), 1);
	done(fh, inst);
}

static const struct unit_test tests[] = {
	UNIT_TEST(test_statuses),
	UNIT_TEST(test_missing_command),
	UNIT_TEST(test_timeout),
	UNIT_TEST(test_message_cut),
	UNIT_TEST(test_filter),
	UNIT_TEST(test_prevent_alert_auto_close),
	UNIT_TEST(test_action),
	UNIT_TEST(test_host_spec),
	UNIT_TEST(test_custom_identifier),
	UNIT_TEST(test_settings),
	UNIT_TEST(test_stop_kills_running),
	UNIT_TEST(test_stop_interrupts_wait),
};

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	return unit_run_suite("check", tests, sizeof(tests) / sizeof(tests[0]), suite_init,
			      suite_cleanup);
}
