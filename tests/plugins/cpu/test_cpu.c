/*
 * The cpu plugin through the fake host, on /proc/stat snapshots in
 * tests/data/cpu-*: a procfs symlink is repointed between collections so
 * the counters move by known amounts.
 *
 *   cpu-modern-a -> b: 4 CPUs, 10 columns; Δ user 260 (guest 60 of it),
 *                      nice 20 (guest_nice 5), system 100, idle 1540,
 *                      iowait 40, irq 10, softirq 20, steal 10, guest 60,
 *                      guest_nice 5: ΔTotal = 2065 - 60 - 5 = 2000.
 *   cpu-old-a -> b:    2 CPUs, 7 columns (2.6.9): ΔTotal = 2000.
 */
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "plugtest.h"
#include "unit.h"

static const struct saba_plugin *cpu;
static void *cpu_dl;

static int suite_init(void)
{
	cpu = plugtest_load("cpu", &cpu_dl);
	return cpu != NULL ? 0 : -1;
}

static int suite_cleanup(void)
{
	saba_test_unload(cpu_dl);
	return 0;
}

/* Collect a, then b; returns the instance with b's values recorded. */
static void *collect_pair(struct saba_test_host **fh, struct plugtest_proc *proc, const char *a,
			  const char *b)
{
	void *inst;

	CU_ASSERT_EQUAL_FATAL(plugtest_proc_new(proc, a), 0);
	inst = plugtest_create(cpu, fh, "procfs = \"%s\";", proc->link);
	CU_ASSERT_EQUAL(saba_test_collect(*fh, cpu, inst), SABA_OK);
	/* a delta plugin: the first round only keeps the sample */
	CU_ASSERT_EQUAL(saba_test_nvalues(*fh), 0);
	CU_ASSERT_EQUAL_FATAL(plugtest_proc_point(proc, b), 0);
	CU_ASSERT_EQUAL(saba_test_collect(*fh, cpu, inst), SABA_OK);
	return inst;
}

static void test_descriptor(void)
{
	CU_ASSERT_STRING_EQUAL(cpu->name, "cpu");
	CU_ASSERT_EQUAL(cpu->flags & SABA_PLUGIN_DELTA, SABA_PLUGIN_DELTA);
	CU_ASSERT_PTR_NOT_NULL(cpu->host_spec);
	CU_ASSERT_PTR_NULL(cpu->start);
	CU_ASSERT_STRING_EQUAL(cpu->settings[0].name, "procfs");
	CU_ASSERT_PTR_NULL(cpu->settings[1].name);
}

static void test_modern(void)
{
	struct plugtest_proc proc;
	struct saba_test_host *fh;
	void *inst = collect_pair(&fh, &proc, "cpu-modern-a", "cpu-modern-b");
	double sum = 0, v;

	/* Δ × 4 × 100 / 2000 = Δ / 5 */
	CU_ASSERT_EQUAL(saba_test_nvalues(fh), 9);
	CU_ASSERT_EQUAL(plugtest_value(fh, "cpu.user.percentage"), 40.0); /* 260 - 60 */
	CU_ASSERT_EQUAL(plugtest_value(fh, "cpu.nice.percentage"), 4.0);
	CU_ASSERT_EQUAL(plugtest_value(fh, "cpu.system.percentage"), 20.0);
	CU_ASSERT_EQUAL(plugtest_value(fh, "cpu.idle.percentage"), 308.0);
	CU_ASSERT_EQUAL(plugtest_value(fh, "cpu.iowait.percentage"), 8.0);
	CU_ASSERT_EQUAL(plugtest_value(fh, "cpu.irq.percentage"), 2.0);
	CU_ASSERT_EQUAL(plugtest_value(fh, "cpu.softirq.percentage"), 4.0);
	CU_ASSERT_EQUAL(plugtest_value(fh, "cpu.steal.percentage"), 2.0);
	CU_ASSERT_EQUAL(plugtest_value(fh, "cpu.guest.percentage"), 12.0);
	CU_ASSERT_FALSE(saba_test_value(fh, "cpu.guest_nice.percentage", NULL));
	/* the stacked graph: everything but guest adds up to 100 × ncpu
	 * less guest_nice's share (upstream counts it in nice) */
	for (size_t i = 0; saba_test_value_at(fh, i, &v) != NULL; i++)
		sum += v;
	CU_ASSERT_EQUAL(sum, 400.0);
	plugtest_destroy(cpu, fh, inst);
	plugtest_proc_free(&proc);
}

static void test_old_kernel(void)
{
	struct plugtest_proc proc;
	struct saba_test_host *fh;
	void *inst = collect_pair(&fh, &proc, "cpu-old-a", "cpu-old-b");

	/* 7 columns: no steal, no guest; Δ × 2 × 100 / 2000 = Δ / 10 */
	CU_ASSERT_EQUAL(saba_test_nvalues(fh), 7);
	CU_ASSERT_EQUAL(plugtest_value(fh, "cpu.user.percentage"), 30.0);
	CU_ASSERT_EQUAL(plugtest_value(fh, "cpu.nice.percentage"), 0.0);
	CU_ASSERT_EQUAL(plugtest_value(fh, "cpu.system.percentage"), 10.0);
	CU_ASSERT_EQUAL(plugtest_value(fh, "cpu.idle.percentage"), 156.0);
	CU_ASSERT_EQUAL(plugtest_value(fh, "cpu.iowait.percentage"), 2.0);
	CU_ASSERT_EQUAL(plugtest_value(fh, "cpu.irq.percentage"), 1.0);
	CU_ASSERT_EQUAL(plugtest_value(fh, "cpu.softirq.percentage"), 1.0);
	CU_ASSERT_FALSE(saba_test_value(fh, "cpu.steal.percentage", NULL));
	CU_ASSERT_FALSE(saba_test_value(fh, "cpu.guest.percentage", NULL));
	plugtest_destroy(cpu, fh, inst);
	plugtest_proc_free(&proc);
}

/* iowait can go back on NO_HZ kernels: 0 for it, the rest unharmed */
static void test_iowait_back(void)
{
	struct plugtest_proc proc;
	struct saba_test_host *fh;
	void *inst = collect_pair(&fh, &proc, "cpu-modern-a", "cpu-iowait-back");
	/* iowait 200 -> 100: ΔTotal = 2000 - 40 - 100 = 1860 */
	double total = 1860;

	CU_ASSERT_EQUAL(saba_test_nvalues(fh), 9);
	CU_ASSERT_EQUAL(plugtest_value(fh, "cpu.iowait.percentage"), 0.0);
	CU_ASSERT_EQUAL(plugtest_value(fh, "cpu.user.percentage"), 200.0 * 4 * 100.0 / total);
	CU_ASSERT_EQUAL(plugtest_value(fh, "cpu.idle.percentage"), 1540.0 * 4 * 100.0 / total);
	plugtest_destroy(cpu, fh, inst);
	plugtest_proc_free(&proc);
}

/* Counters going back as a whole (b then a): no values, then b again is
 * measured from a, the new base. */
static void test_total_back(void)
{
	struct plugtest_proc proc;
	struct saba_test_host *fh;
	void *inst = collect_pair(&fh, &proc, "cpu-modern-b", "cpu-modern-a");

	CU_ASSERT_EQUAL(saba_test_nvalues(fh), 0);
	CU_ASSERT_EQUAL(saba_test_log_count(fh, SABA_LOG_WARNING, NULL), 0);
	CU_ASSERT_EQUAL_FATAL(plugtest_proc_point(&proc, "cpu-modern-b"), 0);
	CU_ASSERT_EQUAL(saba_test_collect(fh, cpu, inst), SABA_OK);
	CU_ASSERT_EQUAL(saba_test_nvalues(fh), 9);
	CU_ASSERT_EQUAL(plugtest_value(fh, "cpu.idle.percentage"), 308.0);
	/* and the same file twice: nothing elapsed, nothing to report */
	CU_ASSERT_EQUAL(saba_test_collect(fh, cpu, inst), SABA_OK);
	CU_ASSERT_EQUAL(saba_test_nvalues(fh), 0);
	plugtest_destroy(cpu, fh, inst);
	plugtest_proc_free(&proc);
}

static void test_malformed(void)
{
	struct saba_test_host *fh;
	void *inst = plugtest_create(cpu, &fh, "procfs = \"%s\";", plugtest_data("cpu-bad"));

	CU_ASSERT_EQUAL(saba_test_collect(fh, cpu, inst), SABA_ERROR);
	CU_ASSERT_EQUAL(saba_test_log_count(fh, SABA_LOG_ERR, "cpu-bad/stat: malformed"), 1);
	CU_ASSERT_EQUAL(saba_test_host_spec(fh, cpu, inst), SABA_ERROR);
	CU_ASSERT_EQUAL(saba_test_log_count(fh, SABA_LOG_ERR, "no processor"), 1);
	CU_ASSERT_EQUAL(saba_test_nspecs(fh), 0);
	plugtest_destroy(cpu, fh, inst);

	inst = plugtest_create(cpu, &fh, "procfs = \"/nonexistent\";");
	CU_ASSERT_EQUAL(saba_test_collect(fh, cpu, inst), SABA_ERROR);
	CU_ASSERT_EQUAL(saba_test_log_count(fh, SABA_LOG_ERR, "/nonexistent/stat"), 1);
	plugtest_destroy(cpu, fh, inst);
}

static void test_spec_x86(void)
{
	struct saba_test_host *fh;
	void *inst = plugtest_create(cpu, &fh, "procfs = \"%s\";", plugtest_data("cpu-modern-a"));
	const char *text;
	json_t *spec, *c;

	CU_ASSERT_EQUAL(saba_test_host_spec(fh, cpu, inst), SABA_OK);
	text = saba_test_spec(fh, "meta.cpu");
	CU_ASSERT_PTR_NOT_NULL_FATAL(text);
	spec = json_loads(text, 0, NULL);
	CU_ASSERT_FATAL(json_is_array(spec));
	CU_ASSERT_EQUAL(json_array_size(spec), 2);
	c = json_array_get(spec, 1);
	CU_ASSERT_EQUAL(json_object_size(c), 10);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(c, "vendor_id")), "GenuineIntel");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(c, "family")), "6");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(c, "model")), "85");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(c, "model_name")),
			       "Intel(R) Xeon(R) Platinum 8175M CPU @ 2.50GHz");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(c, "stepping")), "4");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(c, "mhz")), "2500.000");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(c, "cache_size")), "33792 KB");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(c, "physical_id")), "0");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(c, "core_id")), "1");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(c, "cores")), "1");
	CU_ASSERT_PTR_NULL(json_object_get(c, "flags"));
	json_decref(spec);
	plugtest_destroy(cpu, fh, inst);
}

/* Old ARM kernels name the model once, as "Processor", before the CPUs. */
static void test_spec_arm(void)
{
	struct saba_test_host *fh;
	void *inst = plugtest_create(cpu, &fh, "procfs = \"%s\";", plugtest_data("cpu-arm"));
	const char *text;

	CU_ASSERT_EQUAL(saba_test_host_spec(fh, cpu, inst), SABA_OK);
	text = saba_test_spec(fh, "meta.cpu");
	CU_ASSERT_PTR_NOT_NULL_FATAL(text);
	CU_ASSERT_STRING_EQUAL(text, "[{\"model_name\":\"ARMv7 Processor rev 10 (v7l)\"},"
				     "{\"model_name\":\"ARMv7 Processor rev 10 (v7l)\"}]");
	plugtest_destroy(cpu, fh, inst);
}

/* cpuN lines of the real /proc/stat, counted independently */
static int real_ncpu(void)
{
	char line[4096];
	FILE *fp = fopen("/proc/stat", "r");
	int n = 0;

	if (fp == NULL)
		return 0;
	while (fgets(line, sizeof(line), fp) != NULL)
		n += strncmp(line, "cpu", 3) == 0 && line[3] >= '0' && line[3] <= '9';
	fclose(fp);
	return n;
}

/* The real /proc: shares of a second sample add up to about 100 × ncpu. */
static void test_real_proc(void)
{
	struct saba_test_host *fh;
	void *inst = plugtest_create(cpu, &fh, "procfs = \"/proc\";");
	int ncpu = real_ncpu();
	double sum = 0, v;

	CU_ASSERT_EQUAL(saba_test_collect(fh, cpu, inst), SABA_OK);
	plugtest_sleep(0.3);
	CU_ASSERT_EQUAL(saba_test_collect(fh, cpu, inst), SABA_OK);
	CU_ASSERT_TRUE(saba_test_nvalues(fh) >= 4);
	for (size_t i = 0; saba_test_value_at(fh, i, &v) != NULL; i++) {
		CU_ASSERT_TRUE(v >= 0);
		if (strcmp(saba_test_value_at(fh, i, NULL), "cpu.guest.percentage") != 0)
			sum += v;
	}
	if (saba_test_nvalues(fh) > 0)
		CU_ASSERT_DOUBLE_EQUAL(sum, 100.0 * (double)ncpu, 0.5 * (double)ncpu);
	plugtest_destroy(cpu, fh, inst);
}

static const struct unit_test tests[] = {
	UNIT_TEST(test_descriptor),  UNIT_TEST(test_modern),	 UNIT_TEST(test_old_kernel),
	UNIT_TEST(test_iowait_back), UNIT_TEST(test_total_back), UNIT_TEST(test_malformed),
	UNIT_TEST(test_spec_x86),    UNIT_TEST(test_spec_arm),	 UNIT_TEST(test_real_proc),
};

int main(void)
{
	return unit_run_suite("cpu", tests, sizeof(tests) / sizeof(tests[0]), suite_init,
			      suite_cleanup);
}
