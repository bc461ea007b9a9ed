/*
 * The loadavg plugin, loaded from its built module and driven through the
 * fake host against the fixtures in tests/data/proc-*.
 */
#include <stdio.h>
#include <unistd.h>

#include "plugtest.h"
#include "unit.h"

static const struct saba_plugin *loadavg;
static void *loadavg_dl;

static int suite_init(void)
{
	loadavg = plugtest_load("loadavg", &loadavg_dl);
	return loadavg != NULL ? 0 : -1;
}

static int suite_cleanup(void)
{
	saba_test_unload(loadavg_dl);
	return 0;
}

static void test_descriptor(void)
{
	plugtest_check_procfs_descriptor(loadavg, "loadavg");
	CU_ASSERT_PTR_NULL(loadavg->host_spec);
}

static void test_loadavg_modern(void)
{
	struct saba_test_host *fh;
	void *inst =
		plugtest_create(loadavg, &fh, "procfs = \"%s\";", plugtest_data("proc-modern"));

	CU_ASSERT_EQUAL(saba_test_collect(fh, loadavg, inst), SABA_OK);
	CU_ASSERT_EQUAL(saba_test_nvalues(fh), 3);
	CU_ASSERT_EQUAL(plugtest_value(fh, "loadavg1"), 0.25);
	CU_ASSERT_EQUAL(plugtest_value(fh, "loadavg5"), 0.5);
	CU_ASSERT_EQUAL(plugtest_value(fh, "loadavg15"), 1.75);
	CU_ASSERT_EQUAL(saba_test_log_count(fh, SABA_LOG_WARNING, NULL), 0);
	CU_ASSERT_EQUAL(saba_test_host_spec(fh, loadavg, inst), SABA_NOTFOUND);
	plugtest_destroy(loadavg, fh, inst);
}

static void test_loadavg_old(void)
{
	struct saba_test_host *fh;
	void *inst = plugtest_create(loadavg, &fh, "procfs = \"%s\";", plugtest_data("proc-old"));

	CU_ASSERT_EQUAL(saba_test_collect(fh, loadavg, inst), SABA_OK);
	CU_ASSERT_EQUAL(saba_test_nvalues(fh), 3);
	CU_ASSERT_EQUAL(plugtest_value(fh, "loadavg1"), 3.0);
	CU_ASSERT_EQUAL(plugtest_value(fh, "loadavg5"), 2.5);
	CU_ASSERT_EQUAL(plugtest_value(fh, "loadavg15"), 1.25);
	plugtest_destroy(loadavg, fh, inst);
}

/* No procfs key: the real /proc/loadavg. */
static void test_loadavg_default(void)
{
	struct saba_test_host *fh = saba_test_host_new(NULL);
	void *inst = NULL;
	double v = -1;

	CU_ASSERT_PTR_NOT_NULL_FATAL(fh);
	CU_ASSERT_EQUAL_FATAL(saba_test_create(fh, loadavg, &inst), SABA_OK);
	if (access("/proc/loadavg", R_OK) == 0) {
		CU_ASSERT_EQUAL(saba_test_collect(fh, loadavg, inst), SABA_OK);
		CU_ASSERT_EQUAL(saba_test_nvalues(fh), 3);
		CU_ASSERT_TRUE(saba_test_value(fh, "loadavg15", &v));
		CU_ASSERT_TRUE(v >= 0);
	}
	plugtest_destroy(loadavg, fh, inst);
}

static void check_loadavg_error(const char *dir, const char *why)
{
	struct saba_test_host *fh;
	char rel[128];
	void *inst = plugtest_create(loadavg, &fh, "procfs = \"%s\";", plugtest_data(dir));

	CU_ASSERT_EQUAL(saba_test_collect(fh, loadavg, inst), SABA_ERROR);
	CU_ASSERT_EQUAL(saba_test_nvalues(fh), 0);
	/* exactly one error line, naming the file */
	snprintf(rel, sizeof(rel), "%s/loadavg", dir);
	CU_ASSERT_EQUAL(saba_test_log_count(fh, SABA_LOG_ERR, plugtest_data(rel)), 1);
	CU_ASSERT_EQUAL(saba_test_log_count(fh, SABA_LOG_ERR, why), 1);
	plugtest_destroy(loadavg, fh, inst);
}

static void test_loadavg_garbage(void)
{
	check_loadavg_error("proc-bad", "malformed");
}

static void test_loadavg_truncated(void)
{
	check_loadavg_error("proc-truncated", "malformed");
}

static void test_loadavg_missing(void)
{
	check_loadavg_error("no-such-dir", "No such file");
}

static void test_loadavg_config_type(void)
{
	plugtest_check_bad_procfs(loadavg, "procfs = 5;");
	plugtest_check_bad_procfs(loadavg, "procfs = true;");
	plugtest_check_bad_procfs(loadavg, "procfs = \"\";");
}

/* Two instances in one process read their own files: no shared state. */
static void test_loadavg_two_instances(void)
{
	struct saba_test_host *fa, *fb;
	void *a = plugtest_create(loadavg, &fa, "procfs = \"%s\";", plugtest_data("proc-modern"));
	void *b = plugtest_create(loadavg, &fb, "procfs = \"%s\";", plugtest_data("proc-old"));

	for (int round = 0; round < 2; round++) {
		CU_ASSERT_EQUAL(saba_test_collect(fa, loadavg, a), SABA_OK);
		CU_ASSERT_EQUAL(saba_test_collect(fb, loadavg, b), SABA_OK);
		CU_ASSERT_EQUAL(plugtest_value(fa, "loadavg1"), 0.25);
		CU_ASSERT_EQUAL(plugtest_value(fb, "loadavg1"), 3.0);
		CU_ASSERT_EQUAL(plugtest_value(fa, "loadavg15"), 1.75);
		CU_ASSERT_EQUAL(plugtest_value(fb, "loadavg15"), 1.25);
	}
	/* destroying one leaves the other working */
	plugtest_destroy(loadavg, fa, a);
	CU_ASSERT_EQUAL(saba_test_collect(fb, loadavg, b), SABA_OK);
	CU_ASSERT_EQUAL(plugtest_value(fb, "loadavg5"), 2.5);
	plugtest_destroy(loadavg, fb, b);
}

/* clang-format off */
static const struct unit_test tests[] = {
	UNIT_TEST(test_descriptor),
	UNIT_TEST(test_loadavg_modern),
	UNIT_TEST(test_loadavg_old),
	UNIT_TEST(test_loadavg_default),
	UNIT_TEST(test_loadavg_garbage),
	UNIT_TEST(test_loadavg_truncated),
	UNIT_TEST(test_loadavg_missing),
	UNIT_TEST(test_loadavg_config_type),
	UNIT_TEST(test_loadavg_two_instances),
};
/* clang-format on */

int main(void)
{
	return unit_run_suite("loadavg", tests, sizeof(tests) / sizeof(tests[0]), suite_init,
			      suite_cleanup);
}
