/*
 * The interface plugin through the fake host, on /proc/net/dev snapshots
 * tests/data/net-a and net-b (a procfs symlink is repointed between
 * collections): eth1's rx counter wraps at 2^32 and wlan0's tx is reset in
 * between, so those two give no value rather than a negative or huge one.
 * Rates are checked against the test's own bracket of the elapsed time.
 */
#include <string.h>

#include "plugtest.h"
#include "unit.h"

static const struct saba_plugin *iface;
static void *iface_dl;

static int suite_init(void)
{
	iface = plugtest_load("interface", &iface_dl);
	return iface != NULL ? 0 : -1;
}

static int suite_cleanup(void)
{
	saba_test_unload(iface_dl);
	return 0;
}

struct window {
	double lo, hi;
};

static void *collect_pair(struct saba_test_host **fh, struct plugtest_proc *proc, struct window *w,
			  const char *extra)
{
	double t0, t1, t2, t3;
	void *inst;

	CU_ASSERT_EQUAL_FATAL(plugtest_proc_new(proc, "net-a"), 0);
	inst = plugtest_create(iface, fh, "procfs = \"%s\"; %s", proc->link, extra);
	t0 = plugtest_now();
	CU_ASSERT_EQUAL(saba_test_collect(*fh, iface, inst), SABA_OK);
	t1 = plugtest_now();
	CU_ASSERT_EQUAL(saba_test_nvalues(*fh), 0);
	plugtest_sleep(0.2);
	CU_ASSERT_EQUAL_FATAL(plugtest_proc_point(proc, "net-b"), 0);
	t2 = plugtest_now();
	CU_ASSERT_EQUAL(saba_test_collect(*fh, iface, inst), SABA_OK);
	t3 = plugtest_now();
	w->lo = t2 - t1;
	w->hi = t3 - t0;
	return inst;
}

/* name moved by delta bytes within the window */
static double check_rate(struct saba_test_host *fh, const char *name, double delta,
			 const struct window *w)
{
	double v = plugtest_value(fh, name);

	CU_ASSERT_TRUE(v >= delta / w->hi && v <= delta / w->lo);
	if (delta == 0)
		CU_ASSERT_EQUAL(v, 0.0);
	return v;
}

static void test_descriptor(void)
{
	CU_ASSERT_STRING_EQUAL(iface->name, "interface");
	CU_ASSERT_EQUAL(iface->flags & SABA_PLUGIN_DELTA, SABA_PLUGIN_DELTA);
	CU_ASSERT_PTR_NULL(iface->host_spec);
}

static void test_rates(void)
{
	struct plugtest_proc proc;
	struct saba_test_host *fh;
	struct window w;
	void *inst = collect_pair(&fh, &proc, &w, "");
	double rx, tx;

	CU_ASSERT_EQUAL(saba_test_nvalues(fh), 10);
	rx = check_rate(fh, "interface.eth0.rxBytes.delta", 100000, &w);
	tx = check_rate(fh, "interface.eth0.txBytes.delta", 20000, &w);
	CU_ASSERT_DOUBLE_EQUAL(rx / tx, 5.0, 1e-9);
	check_rate(fh, "interface.eth0_100.rxBytes.delta", 0, &w); /* "eth0.100" */
	check_rate(fh, "interface.eth0_100.txBytes.delta", 0, &w);
	check_rate(fh, "interface.docker0.rxBytes.delta", 0, &w);
	check_rate(fh, "interface.br-5f3a0c2e1d9b.rxBytes.delta", 1000, &w);
	check_rate(fh, "interface.br-5f3a0c2e1d9b.txBytes.delta", 1000, &w);
	/* the old kernels' "wlan0:1234567890" with no blank after the colon */
	check_rate(fh, "interface.wlan0.rxBytes.delta", 100000, &w);
	/* wrap and reset: that direction skipped, the other one kept */
	CU_ASSERT_FALSE(saba_test_value(fh, "interface.eth1.rxBytes.delta", NULL));
	check_rate(fh, "interface.eth1.txBytes.delta", 10000, &w);
	CU_ASSERT_FALSE(saba_test_value(fh, "interface.wlan0.txBytes.delta", NULL));
	/* never reported */
	CU_ASSERT_FALSE(saba_test_value(fh, "interface.lo.rxBytes.delta", NULL));
	CU_ASSERT_FALSE(saba_test_value(fh, "interface.veth5f2c1a9.rxBytes.delta", NULL));
	/* every value is a sane rate */
	for (size_t i = 0; i < saba_test_nvalues(fh); i++) {
		double v = -1;

		saba_test_value_at(fh, i, &v);
		CU_ASSERT_TRUE(v >= 0 && v <= 100000 / w.lo);
	}
	/* next round measures from the reset counters: values again */
	CU_ASSERT_EQUAL(saba_test_collect(fh, iface, inst), SABA_OK);
	CU_ASSERT_EQUAL(plugtest_value(fh, "interface.eth1.rxBytes.delta"), 0.0);
	CU_ASSERT_EQUAL(plugtest_value(fh, "interface.wlan0.txBytes.delta"), 0.0);
	plugtest_destroy(iface, fh, inst);
	plugtest_proc_free(&proc);
}

/* ignore matches the sanitised name, as mackerel-agent: "_\d+$" drops
 * eth0.100 (eth0_100), "\." drops nothing, and RE2's \d and (?i) work */
static void test_ignore(void)
{
	static const struct {
		const char *config;
		size_t values;
	} cases[] = {
		{"ignore = \"^docker|_\\\\d+$\";", 6},
		{"ignore = \"(?i)^DOCKER|ETH0_\";", 6},
		{"ignore = \"\\\\.\";", 10},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct plugtest_proc proc;
		struct saba_test_host *fh;
		struct window w;
		void *inst = collect_pair(&fh, &proc, &w, cases[i].config);

		CU_ASSERT_EQUAL(saba_test_nvalues(fh), cases[i].values);
		CU_ASSERT_EQUAL(saba_test_value(fh, "interface.docker0.rxBytes.delta", NULL),
				cases[i].values == 10);
		CU_ASSERT_EQUAL(saba_test_value(fh, "interface.eth0_100.rxBytes.delta", NULL),
				cases[i].values == 10);
		if (i == 0)
			check_rate(fh, "interface.eth0.rxBytes.delta", 100000, &w);
		plugtest_destroy(iface, fh, inst);
		plugtest_proc_free(&proc);
	}
}

static void test_bad_config(void)
{
	struct saba_test_host *fh = saba_test_host_new("ignore = \"[z-a]\";");
	void *inst = NULL;

	CU_ASSERT_PTR_NOT_NULL_FATAL(fh);
	CU_ASSERT_EQUAL(saba_test_create(fh, iface, &inst), SABA_INVALID);
	CU_ASSERT_PTR_NULL(inst);
	CU_ASSERT_EQUAL(saba_test_nconfig_errors(fh), 1);
	saba_test_host_free(fh);
}

static void test_missing(void)
{
	struct saba_test_host *fh;
	void *inst = plugtest_create(iface, &fh, "procfs = \"/nonexistent\";");

	CU_ASSERT_EQUAL(saba_test_collect(fh, iface, inst), SABA_ERROR);
	CU_ASSERT_EQUAL(saba_test_log_count(fh, SABA_LOG_ERR, "/nonexistent/net/dev"), 1);
	plugtest_destroy(iface, fh, inst);
}

static const struct unit_test tests[] = {
	UNIT_TEST(test_descriptor), UNIT_TEST(test_rates),   UNIT_TEST(test_ignore),
	UNIT_TEST(test_bad_config), UNIT_TEST(test_missing),
};

int main(void)
{
	return unit_run_suite("interface", tests, sizeof(tests) / sizeof(tests[0]), suite_init,
			      suite_cleanup);
}
