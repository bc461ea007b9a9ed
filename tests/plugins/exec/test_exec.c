/*
 * The exec plugin (mackerel-agent metric plugins), loaded from its built
 * module and driven through the fake host with the fixture commands in
 * tests/data/commands/.
 */
#define _GNU_SOURCE /* vasprintf */

#include <fcntl.h>
#include <pwd.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>

#include <jansson.h>

#include "cmdtest.h"

/* mirrors of the plugin's limits */
#define GRACE	    3.0 /* SABA_CMD_GRACE_MS */
#define OUT_CAP_STR "1048576"

static struct cmdtest t;

static int suite_init(void)
{
	return cmdtest_init(&t, "exec");
}

static int suite_cleanup(void)
{
	cmdtest_cleanup(&t);
	return 0;
}

/* A fake host with the config (printf format) and an exec instance. */
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
	CU_ASSERT_EQUAL_FATAL(saba_test_create(*fh, t.plugin, &inst), SABA_OK);
	return inst;
}

static void done(struct saba_test_host *fh, void *inst)
{
	CU_ASSERT_EQUAL(saba_test_misuse(fh), 0);
	t.plugin->destroy(inst);
	saba_test_host_free(fh);
}

static double value(struct saba_test_host *fh, const char *name)
{
	double v = -12345;

	CU_ASSERT(saba_test_value(fh, name, &v));
	return v;
}

static void test_good_lines(void)
{
	struct saba_test_host *fh;
	/* what the agent's own state must not pass on: a blocked and an
	 * ignored signal, a descriptor without O_CLOEXEC */
	int fd = open("/dev/null", O_RDONLY);
	void *inst = make(&fh,
			  "command = \"%s\"; workdir = \"/nonexistent/wd\";"
			  "env = { EXPECT_WORKDIR = \"/nonexistent/wd\"; AGENT_PGRP = \"%d\";"
			  " AGENT_FD = \"%d\"; };",
			  cmdtest_script(&t, "good.sh"), (int)getpgrp(), fd);
	void (*old_usr2)(int) = signal(SIGUSR2, SIG_IGN);
	sigset_t block, old_mask;

	CU_ASSERT_FATAL(fd >= 0);
	sigemptyset(&block);
	sigaddset(&block, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &block, &old_mask);
	CU_ASSERT_EQUAL(saba_test_collect(fh, t.plugin, inst), SABA_OK);
	pthread_sigmask(SIG_SETMASK, &old_mask, NULL);
	signal(SIGUSR2, old_usr2);
	close(fd);
	CU_ASSERT_EQUAL(value(fh, "custom.good.tab"), 1.5);
	CU_ASSERT_EQUAL(value(fh, "custom.good.spaces"), -2000);
	CU_ASSERT_EQUAL(value(fh, "custom.good.lead"), 42);
	CU_ASSERT_EQUAL(value(fh, "custom.good.crlf"), 7);
	/* NaN goes to the host, which drops it */
	CU_ASSERT_EQUAL(saba_test_ndropped(fh), 1);
	CU_ASSERT(saba_test_value(fh, "custom.env.meta_empty", NULL));
	CU_ASSERT(saba_test_value(fh, "custom.env.workdir", NULL));
	CU_ASSERT(saba_test_value(fh, "custom.env.stdin_eof", NULL));
	CU_ASSERT(saba_test_value(fh, "custom.env.own_pgrp", NULL));
	CU_ASSERT(saba_test_value(fh, "custom.env.signals_default", NULL));
	CU_ASSERT(saba_test_value(fh, "custom.env.fds_closed", NULL));
	CU_ASSERT_EQUAL(saba_test_nvalues(fh), 10);
	/* nothing to complain about; no meta run without start() */
	CU_ASSERT_EQUAL(saba_test_log_count(fh, SABA_LOG_WARNING, NULL), 1); /* the NaN */
	CU_ASSERT_EQUAL(saba_test_ngraph_defs(fh), 0);
	done(fh, inst);
}

static void test_bad_lines(void)
{
	struct saba_test_host *fh;
	void *inst = make(&fh, "command = \"%s\";", cmdtest_script(&t, "bad.sh"));

	CU_ASSERT_EQUAL(saba_test_collect(fh, t.plugin, inst), SABA_OK);
	CU_ASSERT_EQUAL(value(fh, "custom.ok.one"), 1);
	CU_ASSERT_EQUAL(value(fh, "custom.ok.three"), 3);
	CU_ASSERT_EQUAL(value(fh, "custom.ok.seven"), 7);
	CU_ASSERT_EQUAL(saba_test_nvalues(fh), 3);
	/* one warning for both short lines, naming the first */
	CU_ASSERT_EQUAL(saba_test_log_count(fh, SABA_LOG_WARNING, "name value epoch"), 1);
	CU_ASSERT_EQUAL(saba_test_log_count(fh, SABA_LOG_WARNING, "line 2: "), 1);
	CU_ASSERT_EQUAL(saba_test_log_count(fh, SABA_LOG_WARNING, "(2 such lines)"), 1);
	CU_ASSERT_EQUAL(saba_test_log_count(fh, SABA_LOG_WARNING, "line 5: value is not"), 1);
	CU_ASSERT_EQUAL(saba_test_log_count(fh, SABA_LOG_WARNING, "line 6: invalid metric"), 1);
	CU_ASSERT_EQUAL(saba_test_log_count(fh, SABA_LOG_WARNING, NULL), 3);
	/* the next run warns again, once */
	saba_test_clear(fh);
	CU_ASSERT_EQUAL(saba_test_collect(fh, t.plugin, inst), SABA_OK);
	CU_ASSERT_EQUAL(saba_test_log_count(fh, SABA_LOG_WARNING, "line 2: "), 1);
	done(fh, inst);
}

static void test_binary_junk(void)
{
	struct saba_test_host *fh;
	void *inst = make(&fh, "command = \"%s\";", cmdtest_script(&t, "junk.sh"));

	CU_ASSERT_EQUAL(saba_test_collect(fh, t.plugin, inst), SABA_OK);
	CU_ASSERT_EQUAL(value(fh, "custom.after.junk"), 3);
	CU_ASSERT_EQUAL(saba_test_nvalues(fh), 1);
	/* stderr reached the log, control characters replaced */
	CU_ASSERT_EQUAL(saba_test_log_count(fh, SABA_LOG_INFO, "stderr: ??? stderr junk"), 1);
	done(fh, inst);
}

static void test_big_output(void)
{
	struct saba_test_host *fh;
	void *inst = make(&fh, "command = \"%s\"; timeout = 20;", cmdtest_script(&t, "big.sh"));
	double t0 = cmdtest_now(), took;

	CU_ASSERT_EQUAL(saba_test_collect(fh, t.plugin, inst), SABA_OK);
	took = cmdtest_now() - t0;
	CU_ASSERT(took < 5.0);
	CU_ASSERT_EQUAL(value(fh, "custom.big.first"), 1);
	/* 1 MiB of 22-byte lines: the complete ones are taken */
	CU_ASSERT(saba_test_nvalues(fh) >= 47000 && saba_test_nvalues(fh) <= 47700);
	CU_ASSERT_EQUAL(saba_test_log_count(fh, SABA_LOG_WARNING, "more than " OUT_CAP_STR), 1);
	CU_ASSERT(cmdtest_no_children());
	done(fh, inst);
}

/* A command that dies on SIGTERM is gone right at the timeout (here under
 * mackerel-agent's name, timeout_seconds). */
static void test_hang_timeout(void)
{
	struct saba_test_host *fh;
	void *inst =
		make(&fh, "command = \"%s\"; timeout_seconds = 1;", cmdtest_script(&t, "hang.sh"));
	double t0 = cmdtest_now(), took;

	CU_ASSERT_EQUAL(saba_test_collect(fh, t.plugin, inst), SABA_ERROR);
	took = cmdtest_now() - t0;
	CU_ASSERT(took >= 0.9 && took < 1.0 + 1.0);
	/* values of a timed-out run are dropped, as upstream */
	CU_ASSERT_EQUAL(saba_test_nvalues(fh), 0);
	CU_ASSERT_EQUAL(saba_test_log_count(fh, SABA_LOG_ERR, "command timed out after 1 s"), 1);
	CU_ASSERT(cmdtest_no_children());
	done(fh, inst);
}

/* One that ignores SIGTERM gets SIGKILL after the grace. */
static void test_hang_ignores_term(void)
{
	struct saba_test_host *fh;
	void *inst =
		make(&fh, "command = [\"%s\"]; timeout = 1;", cmdtest_script(&t, "hang_noterm.sh"));
	double t0 = cmdtest_now(), took;

	CU_ASSERT_EQUAL(saba_test_collect(fh, t.plugin, inst), SABA_ERROR);
	took = cmdtest_now() - t0;
	CU_ASSERT(took >= 1.0 + GRACE - 0.2);
	CU_ASSERT(took < 1.0 + GRACE + 1.0);
	CU_ASSERT(cmdtest_no_children());
	done(fh, inst);
}

/* The command exits at once but leaves a process holding its stdout:
 * collect() returns at the deadline with the values, and the group is
 * killed. */
static void test_grandchild_holds_stdout(void)
{
	char dir[] = "/tmp/saba-exec-XXXXXX", pidfile[64];
	struct saba_test_host *fh;
	void *inst;
	double t0, took;
	FILE *fp;
	int pid = 0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
	snprintf(pidfile, sizeof(pidfile), "%s/pid", dir);
	inst = make(&fh, "command = \"%s\"; timeout = 2; env = { PIDFILE = \"%s\"; };",
		    cmdtest_script(&t, "grandchild.sh"), pidfile);
	t0 = cmdtest_now();
	CU_ASSERT_EQUAL(saba_test_collect(fh, t.plugin, inst), SABA_OK);
	took = cmdtest_now() - t0;
	CU_ASSERT(took >= 1.9 && took < 2.0 + 1.0);
	CU_ASSERT_EQUAL(value(fh, "custom.gc.value"), 5);
	fp = fopen(pidfile, "r");
	CU_ASSERT_PTR_NOT_NULL(fp);
	if (fp != NULL) {
		CU_ASSERT_EQUAL(fscanf(fp, "%d", &pid), 1);
		fclose(fp);
	}
	for (int i = 0; i < 50 && pid > 0 && !cmdtest_gone(pid); i++)
		cmdtest_sleep(0.02);
	CU_ASSERT(pid > 0 && cmdtest_gone(pid));
	CU_ASSERT(cmdtest_no_children());
	unlink(pidfile);
	rmdir(dir);
	done(fh, inst);
}

static void test_nonzero_exit(void)
{
	struct saba_test_host *fh;
	void *inst = make(&fh, "command = \"%s\";", cmdtest_script(&t, "fail.sh"));

	CU_ASSERT_EQUAL(saba_test_collect(fh, t.plugin, inst), SABA_OK);
	CU_ASSERT_EQUAL(value(fh, "custom.fail.value"), 9);
	CU_ASSERT_EQUAL(saba_test_log_count(fh, SABA_LOG_INFO, "stderr: something went wrong"), 1);
	done(fh, inst);
}

static void test_meta(void)
{
	static const char want[] =
		"[{\"name\": \"custom.dice\", \"displayName\": \"My Dice\", \"unit\": "
		"\"integer\", \"metrics\": [{\"name\": \"custom.dice.d6\", \"displayName\": "
		"\"Die (d6)\", \"isStacked\": true}, {\"name\": \"custom.dice.d20\", "
		"\"displayName\": \"Die (d20)\", \"isStacked\": false}]}, {\"name\": "
		"\"custom.bare\", \"unit\": \"float\", \"metrics\": null}]";
	struct saba_test_host *fh;
	void *inst = make(&fh, "command = [\"sh\", \"%s\"];", cmdtest_script(&t, "meta.sh"));
	json_t *got, *exp = json_loads(want, 0, NULL);

	CU_ASSERT_PTR_NOT_NULL_FATAL(exp);
	CU_ASSERT_EQUAL(t.plugin->start(inst), SABA_OK);
	CU_ASSERT_EQUAL(saba_test_collect(fh, t.plugin, inst), SABA_OK);
	CU_ASSERT_EQUAL_FATAL(saba_test_ngraph_defs(fh), 1);
	got = json_loads(saba_test_graph_defs_at(fh, 0), 0, NULL);
	CU_ASSERT(json_equal(got, exp));
	json_decref(got);
	json_decref(exp);
	CU_ASSERT_EQUAL(value(fh, "custom.dice.d6"), 4);
	CU_ASSERT_EQUAL(value(fh, "custom.dice.d20"), 17);
	/* once per start */
	CU_ASSERT_EQUAL(saba_test_collect(fh, t.plugin, inst), SABA_OK);
	CU_ASSERT_EQUAL(saba_test_ngraph_defs(fh), 1);
	t.plugin->stop(inst);
	done(fh, inst);
}

/* good.sh has no header in a meta run: no graphs, no error. */
static void test_meta_without_header(void)
{
	struct saba_test_host *fh;
	void *inst = make(&fh, "command = \"%s\"; workdir = \"/nonexistent/wd\";",
			  cmdtest_script(&t, "good.sh"));

	CU_ASSERT_EQUAL(t.plugin->start(inst), SABA_OK);
	CU_ASSERT_EQUAL(saba_test_collect(fh, t.plugin, inst), SABA_OK);
	CU_ASSERT_EQUAL(saba_test_ngraph_defs(fh), 0);
	CU_ASSERT_EQUAL(saba_test_log_count(fh, SABA_LOG_ERR, NULL), 0);
	CU_ASSERT(saba_test_value(fh, "custom.good.tab", NULL));
	t.plugin->stop(inst);
	done(fh, inst);
}

static void test_patterns(void)
{
	struct saba_test_host *fh;
	void *inst = make(&fh,
			  "command = \"%s\"; include_pattern = \"^(good|env)\\\\.\";"
			  "exclude_pattern = \"(lead|pgrp)$\";",
			  cmdtest_script(&t, "good.sh"));

	CU_ASSERT_EQUAL(saba_test_collect(fh, t.plugin, inst), SABA_OK);
	CU_ASSERT(saba_test_value(fh, "custom.good.tab", NULL));
	CU_ASSERT(saba_test_value(fh, "custom.env.stdin_eof", NULL));
	CU_ASSERT(!saba_test_value(fh, "custom.good.lead", NULL));
	CU_ASSERT(!saba_test_value(fh, "custom.env.own_pgrp", NULL));
	done(fh, inst);
	inst = make(&fh, "command = \"%s\"; include_pattern = \"tab\";",
		    cmdtest_script(&t, "good.sh"));
	CU_ASSERT_EQUAL(saba_test_collect(fh, t.plugin, inst), SABA_OK);
	CU_ASSERT_EQUAL(saba_test_nvalues(fh), 1);
	done(fh, inst);
}

/* mackerel-agent's documented example: RE2's \d in include_pattern, and
 * (?i) in exclude_pattern. */
static void test_re2_patterns(void)
{
	struct saba_test_host *fh;
	void *inst = make(&fh, "%s",
			  "command = \"printf 'mysql.innodb.0 1 0\\\\nmysql.innodb.12 2 0\\\\n"
			  "mysql.innodb.buffer_pool 3 0\\\\nxmysql.innodb.1 4 0\\\\n"
			  "mysql.innodb.7.Pages 5 0\\\\n'\";"
			  "include_pattern = \"^mysql\\\\.innodb\\\\.\\\\d+\";"
			  "exclude_pattern = \"(?i)pages$\";");

	CU_ASSERT_EQUAL(saba_test_collect(fh, t.plugin, inst), SABA_OK);
	CU_ASSERT_EQUAL(saba_test_nvalues(fh), 2);
	CU_ASSERT_EQUAL(value(fh, "custom.mysql.innodb.0"), 1.0);
	CU_ASSERT_EQUAL(value(fh, "custom.mysql.innodb.12"), 2.0);
	done(fh, inst);
}

static void test_timestamp_and_identifier(void)
{
	struct saba_test_host *fh;
	void *inst = make(&fh,
			  "command = \"%s\"; use_plugin_timestamp = true;"
			  "custom_identifier = \"db-1.example\";",
			  cmdtest_script(&t, "ts.sh"));
	time_t before = time(NULL), after;
	struct timespec now;
	const char *ci = NULL;
	int64_t ts = 0;
	double v = 0;

	CU_ASSERT_EQUAL(saba_test_collect(fh, t.plugin, inst), SABA_OK);
	/* the script's `date +%s` reads CLOCK_REALTIME; time() lags it by a few
	 * ms at a second's turn, so it could end before the script's second */
	clock_gettime(CLOCK_REALTIME, &now);
	after = now.tv_sec;
	CU_ASSERT(saba_test_value_ex(fh, "custom.ts.now", &v, &ts, &ci));
	CU_ASSERT(ts >= before && ts <= after);
	CU_ASSERT_STRING_EQUAL(ci ? ci : "", "db-1.example");
	CU_ASSERT(saba_test_value_ex(fh, "custom.ts.recent", &v, &ts, NULL));
	CU_ASSERT(ts >= before - 600 && ts <= after - 600);
	/* too old, and not a number */
	CU_ASSERT_EQUAL(saba_test_nvalues(fh), 2);
	CU_ASSERT_EQUAL(saba_test_log_count(fh, SABA_LOG_WARNING, "line 3: timestamp"), 1);
	done(fh, inst);
	/* without the setting the column is ignored: the tick's time */
	inst = make(&fh, "command = \"%s\";", cmdtest_script(&t, "ts.sh"));
	CU_ASSERT_EQUAL(saba_test_collect(fh, t.plugin, inst), SABA_OK);
	CU_ASSERT(saba_test_value_ex(fh, "custom.ts.old", &v, &ts, &ci));
	CU_ASSERT_EQUAL(ts, 0);
	CU_ASSERT_PTR_NULL(ci);
	CU_ASSERT_EQUAL(saba_test_nvalues(fh), 4);
	done(fh, inst);
}

static void test_stderr_rate_limited(void)
{
	struct saba_test_host *fh;
	void *inst = make(&fh, "command = \"%s\";", cmdtest_script(&t, "noisy.sh"));

	CU_ASSERT_EQUAL(saba_test_collect(fh, t.plugin, inst), SABA_OK);
	CU_ASSERT_EQUAL(value(fh, "custom.noisy.value"), 1);
	CU_ASSERT_EQUAL(saba_test_log_count(fh, SABA_LOG_INFO, "stderr: noise line"), 10);
	CU_ASSERT_EQUAL(saba_test_log_count(fh, SABA_LOG_INFO, "stderr: noise line 0"), 1);
	CU_ASSERT_EQUAL(saba_test_collect(fh, t.plugin, inst), SABA_OK);
	CU_ASSERT_EQUAL(saba_test_log_count(fh, SABA_LOG_INFO, "stderr: noise line"), 10);
	done(fh, inst);
}

static void test_start_failure(void)
{
	struct saba_test_host *fh;
	void *inst = make(&fh, "command = [\"/nonexistent/plugin\", \"-x\"];");

	CU_ASSERT_EQUAL(saba_test_collect(fh, t.plugin, inst), SABA_ERROR);
	CU_ASSERT_EQUAL(saba_test_log_count(fh, SABA_LOG_ERR,
					    "cannot run /nonexistent/plugin: No such file"),
			1);
	done(fh, inst);
	inst = make(&fh, "command = [\"no-such-command-saba\"];");
	CU_ASSERT_EQUAL(saba_test_collect(fh, t.plugin, inst), SABA_ERROR);
	CU_ASSERT_EQUAL(saba_test_log_count(fh, SABA_LOG_ERR, "command not found"), 1);
	CU_ASSERT(cmdtest_no_children());
	done(fh, inst);
}

static void *collect_thread(void *arg)
{
	void **a = arg;

	a[2] = (void *)(intptr_t)saba_test_collect(a[0], t.plugin, a[1]);
	return NULL;
}

/* stop() kills a running command (SIGKILL a second after SIGTERM) and
 * returns once it is reaped, even before collect() returns. */
static void test_stop_interrupts(void)
{
	struct saba_test_host *fh;
	void *inst =
		make(&fh, "command = \"%s\"; timeout = 30;", cmdtest_script(&t, "hang_noterm.sh"));
	void *args[3] = {fh, inst, NULL};
	pthread_t th;
	double t0;

	CU_ASSERT_EQUAL(t.plugin->start(inst), SABA_OK);
	CU_ASSERT_EQUAL_FATAL(pthread_create(&th, NULL, collect_thread, args), 0);
	cmdtest_sleep(0.3);
	t0 = cmdtest_now();
	t.plugin->stop(inst);
	CU_ASSERT(cmdtest_now() - t0 < 2.0);
	CU_ASSERT(cmdtest_no_children());
	pthread_join(th, NULL);
	CU_ASSERT_EQUAL((intptr_t)args[2], SABA_ERROR);
	CU_ASSERT(cmdtest_no_children());
	done(fh, inst);
}

/* Many runs leave no descriptor and no child behind. */
static void test_no_leaks(void)
{
	struct saba_test_host *fh;
	void *inst = make(&fh, "command = \"%s\";", cmdtest_script(&t, "fail.sh"));
	int before = cmdtest_nfds();

	for (int i = 0; i < 20; i++)
		CU_ASSERT_EQUAL(saba_test_collect(fh, t.plugin, inst), SABA_OK);
	CU_ASSERT_EQUAL(cmdtest_nfds(), before);
	CU_ASSERT(cmdtest_no_children());
	done(fh, inst);
}

static void test_user(void)
{
	struct passwd *pw = getpwnam("nobody");
	struct saba_test_host *fh;
	void *inst = NULL;
	char cfg[PATH_MAX + 128];

	if (pw == NULL) {
		fprintf(stderr, "(no user nobody: skipped) ");
		return;
	}
	/* Inline, not tests/data/commands/whoami.sh: nobody may not be able
	 * to reach the checkout (a clone in a mktemp -d directory is 0700). */
	snprintf(cfg, sizeof(cfg), "command = \"%s\"; user = \"nobody\";",
		 "echo user.uid $(id -u) $(date +%s); echo user.gid $(id -g) $(date +%s)");
	fh = saba_test_host_new(cfg);
	CU_ASSERT_PTR_NOT_NULL_FATAL(fh);
	if (geteuid() != 0) {
		/* only root can switch: a config error naming the user */
		CU_ASSERT_NOT_EQUAL(saba_test_create(fh, t.plugin, &inst), SABA_OK);
		CU_ASSERT_EQUAL(saba_test_nconfig_errors(fh), 1);
		saba_test_host_free(fh);
		return;
	}
	CU_ASSERT_EQUAL_FATAL(saba_test_create(fh, t.plugin, &inst), SABA_OK);
	CU_ASSERT_EQUAL(saba_test_collect(fh, t.plugin, inst), SABA_OK);
	CU_ASSERT_EQUAL(value(fh, "custom.user.uid"), (double)pw->pw_uid);
	CU_ASSERT_EQUAL(value(fh, "custom.user.gid"), (double)pw->pw_gid);
	done(fh, inst);
}

static void test_config_errors(void)
{
	static const char *const bad[] = {
		"timeout = 5;",
		"command = \"\";",
		"command = [];",
		"command = \"true\"; include_pattern = \"(\";",
		"command = \"true\"; timeout = 0;",
		"command = \"true\"; timeout_seconds = 3601;",
		"command = \"true\"; timeout = 5; timeout_seconds = 5;",
		"command = \"true\"; user = \"no-such-user-saba\";",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct saba_test_host *fh = saba_test_host_new(bad[i]);
		void *inst = NULL;

		if (fh == NULL) /* libconfig refused the text itself */
			continue;
		CU_ASSERT_NOT_EQUAL(saba_test_create(fh, t.plugin, &inst), SABA_OK);
		CU_ASSERT_PTR_NULL(inst);
		CU_ASSERT(saba_test_nconfig_errors(fh) >= 1);
		saba_test_host_free(fh);
	}
}

static const struct unit_test tests[] = {
	UNIT_TEST(test_good_lines),
	UNIT_TEST(test_bad_lines),
	UNIT_TEST(test_re2_patterns),
	UNIT_TEST(test_binary_junk),
	UNIT_TEST(test_big_output),
	UNIT_TEST(test_hang_timeout),
	UNIT_TEST(test_hang_ignores_term),
	UNIT_TEST(test_grandchild_holds_stdout),
	UNIT_TEST(test_nonzero_exit),
	UNIT_TEST(test_meta),
	UNIT_TEST(test_meta_without_header),
	UNIT_TEST(test_patterns),
	UNIT_TEST(test_timestamp_and_identifier),
	UNIT_TEST(test_stderr_rate_limited),
	UNIT_TEST(test_start_failure),
	UNIT_TEST(test_stop_interrupts),
	UNIT_TEST(test_no_leaks),
	UNIT_TEST(test_user),
	UNIT_TEST(test_config_errors),
};

int main(void)
{
	/* a broken pipe must not kill the test */
	signal(SIGPIPE, SIG_IGN);
	return unit_run_suite("exec", tests, sizeof(tests) / sizeof(tests[0]), suite_init,
			      suite_cleanup);
}
