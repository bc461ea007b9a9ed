/*
 * The sysv trigger's utmp reader and classifier (plugins/sysv/classify.c),
 * over utmp files written here record by record as sysvinit writes them
 * (RUN_LVL, ut_pid = new + 256 * old): what retires, what never does.
 */
#define _GNU_SOURCE /* RUN_LVL */

#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>
#include <utmpx.h>

#include "sysv/classify.h"
#include "unit.h"

static char dir[256];

/* A RUN_LVL record as init writes it. */
static struct utmpx runlvl(int now, int prev, int64_t t)
{
	struct utmpx u;

	memset(&u, 0, sizeof(u));
	u.ut_type = RUN_LVL;
	u.ut_pid = now + 256 * prev;
	strcpy(u.ut_line, "~");
	strcpy(u.ut_id, "~~");
	strcpy(u.ut_user, "runlevel");
	u.ut_tv.tv_sec = (int32_t)t;
	return u;
}

static struct utmpx other(int type, int64_t t)
{
	struct utmpx u;

	memset(&u, 0, sizeof(u));
	u.ut_type = (short)type;
	u.ut_pid = 4242;
	strcpy(u.ut_line, type == BOOT_TIME ? "~" : "console");
	strcpy(u.ut_user, type == BOOT_TIME ? "reboot" : "root");
	u.ut_tv.tv_sec = (int32_t)t;
	return u;
}

/* Write n records (and extra raw bytes) to dir/name; returns the path. */
static const char *utmp_file(const char *name, const struct utmpx *v, size_t n, const void *extra,
			     size_t extra_len)
{
	static char path[512];
	int fd;

	unit_path(path, sizeof(path), dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	CU_ASSERT_FATAL(fd >= 0);
	if (n > 0)
		CU_ASSERT_FATAL(write(fd, v, n * sizeof(*v)) == (ssize_t)(n * sizeof(*v)));
	if (extra_len > 0)
		CU_ASSERT_FATAL(write(fd, extra, extra_len) == (ssize_t)extra_len);
	close(fd);
	return path;
}

/* Read a file and classify it as the plugin does (since = 1000). */
static int classify_file(const char *path, int marked)
{
	struct saba_sysv_record rec;
	int r = saba_sysv_read_utmp(path, &rec, NULL, 0);

	return saba_sysv_classify(r == SABA_SYSV_FOUND ? &rec : NULL, 1000, marked);
}

/* A boot at 900, runlevel 2 at 901, a login, then the level we test at 2000. */
static const char *system_utmp(const char *name, int now, int prev)
{
	const struct utmpx v[] = {
		other(BOOT_TIME, 900),	   runlvl(now, prev, 2000),   other(INIT_PROCESS, 901),
		other(LOGIN_PROCESS, 902), other(USER_PROCESS, 1500),
	};

	return utmp_file(name, v, sizeof(v) / sizeof(v[0]), NULL, 0);
}

static void test_halt(void)
{
	const char *path = system_utmp("halt", '0', '2');
	struct saba_sysv_record rec = {0};
	char buf[256];

	CU_ASSERT_EQUAL(saba_sysv_read_utmp(path, &rec, NULL, 0), SABA_SYSV_FOUND);
	CU_ASSERT_EQUAL(rec.runlevel, '0');
	CU_ASSERT_EQUAL(rec.previous, '2');
	CU_ASSERT_EQUAL(rec.time, 2000);
	CU_ASSERT_EQUAL(saba_sysv_classify(&rec, 1000, 0), SABA_STOP_HALT);
	saba_sysv_evidence(path, &rec, NULL, 0, buf, sizeof(buf));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "/halt: runlevel 0 (previous 2) since "
					   "1970-01-01T00:33:20Z"));
	CU_ASSERT_PTR_NULL(strstr(buf, "marker"));
}

static void test_reboot(void)
{
	CU_ASSERT_EQUAL(classify_file(system_utmp("reboot", '6', '2'), 0), SABA_STOP_REBOOT);
}

static void test_single_user(void)
{
	CU_ASSERT_EQUAL(classify_file(system_utmp("one", '1', '2'), 0), SABA_STOP_SINGLE);
	CU_ASSERT_EQUAL(classify_file(system_utmp("S", 'S', '2'), 0), SABA_STOP_SINGLE);
	CU_ASSERT_EQUAL(classify_file(system_utmp("s", 's', '3'), 0), SABA_STOP_SINGLE);
}

/* service saba-agent stop, or kill by hand, at the level we run at. */
static void test_normal_runlevels(void)
{
	for (int lvl = '2'; lvl <= '5'; lvl++) {
		char name[16];

		snprintf(name, sizeof(name), "level%c", lvl);
		CU_ASSERT_EQUAL(classify_file(system_utmp(name, lvl, 'S'), 0), SABA_STOP_STOP);
		/* ...and the restart branch of the init script */
		CU_ASSERT_EQUAL(classify_file(system_utmp(name, lvl, 'S'), 1), SABA_STOP_RESTART);
	}
	/* the boot record has no previous level: 'N' in the evidence */
	{
		const char *path = system_utmp("boot", '2', 0);
		struct saba_sysv_record rec;
		char buf[256];

		CU_ASSERT_EQUAL(saba_sysv_read_utmp(path, &rec, NULL, 0), SABA_SYSV_FOUND);
		saba_sysv_evidence(path, &rec, NULL, 1, buf, sizeof(buf));
		CU_ASSERT_PTR_NOT_NULL(strstr(buf, "runlevel 2 (previous N)"));
		CU_ASSERT_PTR_NOT_NULL(strstr(buf, "; restart marker present"));
	}
}

/* A restart marker outranks even a halt record: coming back never retires. */
static void test_marker_outranks(void)
{
	CU_ASSERT_EQUAL(classify_file(system_utmp("m0", '0', '2'), 1), SABA_STOP_RESTART);
	CU_ASSERT_EQUAL(saba_sysv_classify(NULL, 0, 1), SABA_STOP_RESTART);
}

static void test_newest_wins(void)
{
	const struct utmpx old_first[] = {runlvl('0', '2', 1100), runlvl('2', '0', 1200)};
	const struct utmpx new_first[] = {runlvl('6', '2', 1300), runlvl('0', '2', 1200)};
	const struct utmpx tie[] = {runlvl('0', '2', 1300), runlvl('6', '2', 1300)};
	struct saba_sysv_record rec;

	CU_ASSERT_EQUAL(classify_file(utmp_file("old_first", old_first, 2, NULL, 0), 0),
			SABA_STOP_STOP);
	CU_ASSERT_EQUAL(classify_file(utmp_file("new_first", new_first, 2, NULL, 0), 0),
			SABA_STOP_REBOOT);
	/* on a tie the later record in the file is the newer write */
	CU_ASSERT_EQUAL(saba_sysv_read_utmp(utmp_file("tie", tie, 2, NULL, 0), &rec, NULL, 0),
			SABA_SYSV_FOUND);
	CU_ASSERT_EQUAL(rec.runlevel, '6');
}

/* More records than the reader takes at once: the record in the middle of
 * a later chunk and the one at the very end are both seen. */
static void test_large_file(void)
{
	static struct utmpx v[100];
	struct saba_sysv_record rec;

	for (size_t i = 0; i < 100; i++)
		v[i] = other(USER_PROCESS, 1000 + (int64_t)i);
	v[70] = runlvl('0', '2', 3000);
	CU_ASSERT_EQUAL(classify_file(utmp_file("large", v, 100, NULL, 0), 0), SABA_STOP_HALT);
	v[99] = runlvl('6', '0', 3001);
	CU_ASSERT_EQUAL(saba_sysv_read_utmp(utmp_file("large2", v, 100, NULL, 0), &rec, NULL, 0),
			SABA_SYSV_FOUND);
	CU_ASSERT_EQUAL(rec.runlevel, '6');
	CU_ASSERT_EQUAL(rec.time, 3001);
}

static void test_empty_file(void)
{
	const char *path = utmp_file("empty", NULL, 0, NULL, 0);
	const struct utmpx logins[] = {other(BOOT_TIME, 900), other(USER_PROCESS, 901)};
	struct saba_sysv_record rec;
	char err[128] = "", buf[256];

	CU_ASSERT_EQUAL(saba_sysv_read_utmp(path, &rec, err, sizeof(err)), SABA_SYSV_NONE);
	CU_ASSERT_STRING_EQUAL(err, "no runlevel record in 0 records");
	CU_ASSERT_EQUAL(classify_file(path, 0), SABA_STOP_UNKNOWN);
	saba_sysv_evidence(path, NULL, err, 0, buf, sizeof(buf));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "/empty: no runlevel record in 0 records"));
	/* records, but none is a runlevel */
	path = utmp_file("nolevel", logins, 2, NULL, 0);
	CU_ASSERT_EQUAL(saba_sysv_read_utmp(path, &rec, err, sizeof(err)), SABA_SYSV_NONE);
	CU_ASSERT_STRING_EQUAL(err, "no runlevel record in 2 records");
	CU_ASSERT_EQUAL(classify_file(path, 0), SABA_STOP_UNKNOWN);
}

/* A torn file could hide the newest record: no evidence at all. */
static void test_truncated_file(void)
{
	const struct utmpx v[] = {runlvl('0', '2', 2000)};
	const char half[100] = {0};
	struct saba_sysv_record rec;
	char err[128] = "";

	CU_ASSERT_EQUAL(saba_sysv_read_utmp(utmp_file("torn", v, 1, half, sizeof(half)), &rec, err,
					    sizeof(err)),
			SABA_SYSV_UNREADABLE);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "not a whole number of"));
	CU_ASSERT_EQUAL(classify_file(utmp_file("torn", v, 1, half, sizeof(half)), 0),
			SABA_STOP_UNKNOWN);
	/* shorter than one record */
	CU_ASSERT_EQUAL(classify_file(utmp_file("short", NULL, 0, half, sizeof(half)), 0),
			SABA_STOP_UNKNOWN);
}

/* Whole records of garbage (a foreign file at the configured path). */
static void test_corrupt_file(void)
{
	struct utmpx v[3] = {runlvl('2', 'S', 900), runlvl('0', '2', 2000), other(BOOT_TIME, 1)};
	struct saba_sysv_record rec;
	char err[128] = "";

	memset(&v[2], 0x5a, sizeof(v[2]));
	CU_ASSERT_EQUAL(
		saba_sysv_read_utmp(utmp_file("garbage", v, 3, NULL, 0), &rec, err, sizeof(err)),
		SABA_SYSV_UNREADABLE);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "not a utmp file (record 2 has type"));
	CU_ASSERT_EQUAL(classify_file(utmp_file("garbage", v, 3, NULL, 0), 0), SABA_STOP_UNKNOWN);
	/* a runlevel record whose level is no runlevel */
	v[1] = runlvl('Z', '2', 2000);
	CU_ASSERT_EQUAL(classify_file(utmp_file("badlevel", v, 2, NULL, 0), 0), SABA_STOP_UNKNOWN);
	v[1] = runlvl(0, 0, 2000);
	CU_ASSERT_EQUAL(classify_file(utmp_file("zerolevel", v, 2, NULL, 0), 0), SABA_STOP_UNKNOWN);
}

static void test_missing_file(void)
{
	char path[512], err[128] = "", buf[256];
	struct saba_sysv_record rec;

	unit_path(path, sizeof(path), dir, "nonexistent");
	CU_ASSERT_EQUAL(saba_sysv_read_utmp(path, &rec, err, sizeof(err)), SABA_SYSV_UNREADABLE);
	CU_ASSERT_STRING_EQUAL(err, "cannot open: No such file or directory");
	CU_ASSERT_EQUAL(classify_file(path, 0), SABA_STOP_UNKNOWN);
	saba_sysv_evidence(path, NULL, err, 0, buf, sizeof(buf));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "/nonexistent: cannot open: No such file"));
	/* a directory is not a utmp file either */
	CU_ASSERT_EQUAL(saba_sysv_read_utmp(dir, &rec, err, sizeof(err)), SABA_SYSV_UNREADABLE);
}

/* The cross-check: a level change from before the agent started is stale. */
static void test_stale_record(void)
{
	struct saba_sysv_record halt = {'0', '2', 999}, reboot = {'6', '2', 999},
				single = {'1', '2', 999}, level2 = {'2', 'S', 10};

	CU_ASSERT_EQUAL(saba_sysv_classify(&halt, 1000, 0), SABA_STOP_UNKNOWN);
	CU_ASSERT_EQUAL(saba_sysv_classify(&reboot, 1000, 0), SABA_STOP_UNKNOWN);
	CU_ASSERT_EQUAL(saba_sysv_classify(&single, 1000, 0), SABA_STOP_UNKNOWN);
	/* the same second counts as "while we ran" */
	CU_ASSERT_EQUAL(saba_sysv_classify(&halt, 999, 0), SABA_STOP_HALT);
	/* since 0: no check */
	CU_ASSERT_EQUAL(saba_sysv_classify(&halt, 0, 0), SABA_STOP_HALT);
	/* the level we run at was entered before we started, of course */
	CU_ASSERT_EQUAL(saba_sysv_classify(&level2, 1000, 0), SABA_STOP_STOP);
	CU_ASSERT_EQUAL(saba_sysv_classify(NULL, 1000, 0), SABA_STOP_UNKNOWN);
}

static void test_marker_freshness(void)
{
	char path[512];
	struct timeval tv[2];
	int64_t now = (int64_t)time(NULL);
	int fd;

	unit_path(path, sizeof(path), dir, "restart");
	CU_ASSERT_EQUAL(saba_sysv_marker_fresh(path, now, 300), 0);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	CU_ASSERT_FATAL(fd >= 0);
	close(fd);
	CU_ASSERT_EQUAL(saba_sysv_marker_fresh(path, now, 300), 1);
	/* left behind by an init script killed mid-restart */
	tv[0].tv_sec = tv[1].tv_sec = (time_t)(now - 301);
	tv[0].tv_usec = tv[1].tv_usec = 0;
	CU_ASSERT_FATAL(utimes(path, tv) == 0);
	CU_ASSERT_EQUAL(saba_sysv_marker_fresh(path, now, 300), 0);
	CU_ASSERT_EQUAL(saba_sysv_marker_fresh(path, now - 2, 300), 1);
	/* from the future (clock stepped back) */
	CU_ASSERT_EQUAL(saba_sysv_marker_fresh(path, now - 400, 300), 0);
	CU_ASSERT_EQUAL(saba_sysv_marker_fresh("", now, 300), 0);
	CU_ASSERT_EQUAL(saba_sysv_marker_fresh(NULL, now, 300), 0);
	unlink(path);
}

/* The evidence never overruns its buffer and stays a C string. */
static void test_evidence_truncates(void)
{
	struct saba_sysv_record rec = {'0', '2', 2000};
	char buf[24];

	memset(buf, 'x', sizeof(buf));
	saba_sysv_evidence("/var/run/utmp", &rec, NULL, 0, buf, sizeof(buf) - 4);
	CU_ASSERT_EQUAL(strlen(buf), sizeof(buf) - 5);
	CU_ASSERT_EQUAL(buf[sizeof(buf) - 4], 'x');
	CU_ASSERT_EQUAL(strncmp(buf, "utmp /var/run/utmp: run", sizeof(buf) - 5), 0);
	rec.runlevel = 0x01;
	saba_sysv_evidence("/u", &rec, NULL, 0, buf, sizeof(buf));
	CU_ASSERT_STRING_EQUAL(buf, "utmp /u: runlevel \\x01 ");
}

static int setup(void)
{
	snprintf(dir, sizeof(dir), "%s/saba-sysv-XXXXXX", unit_env("TMPDIR", "/tmp"));
	return mkdtemp(dir) == NULL;
}

static int cleanup(void)
{
	char cmd[300];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) != 0;
}

static const struct unit_test tests[] = {
	UNIT_TEST(test_halt),
	UNIT_TEST(test_reboot),
	UNIT_TEST(test_single_user),
	UNIT_TEST(test_normal_runlevels),
	UNIT_TEST(test_marker_outranks),
	UNIT_TEST(test_newest_wins),
	UNIT_TEST(test_large_file),
	UNIT_TEST(test_empty_file),
	UNIT_TEST(test_truncated_file),
	UNIT_TEST(test_corrupt_file),
	UNIT_TEST(test_missing_file),
	UNIT_TEST(test_stale_record),
	UNIT_TEST(test_marker_freshness),
	UNIT_TEST(test_evidence_truncates),
};

int main(void)
{
	return unit_run_suite("sysv_classify", tests, sizeof(tests) / sizeof(tests[0]), setup,
			      cleanup);
}
