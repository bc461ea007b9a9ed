/*
 * The memory plugin, loaded from its built module and driven through the
 * fake host against the fixtures in tests/data/proc-*: the metrics and
 * meta.memory.
 */
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "plugtest.h"
#include "unit.h"

/* Bytes from meminfo kB, as the plugin computes them. */
#define KB(x) (1024.0 * (double)(x))

/* tests/data/proc-modern/meminfo (copied from a Debian 12 machine) */
#define MODERN_TOTAL	 24684096ULL
#define MODERN_AVAILABLE 24355880ULL

/* tests/data/proc-old/meminfo (2.6.32, no MemAvailable) */
#define OLD_TOTAL	2067280ULL
#define OLD_FREE	312480ULL
#define OLD_BUFFERS	145600ULL
#define OLD_CACHED	909200ULL
#define OLD_SWAP_CACHED 1240ULL
#define OLD_SWAP_TOTAL	4128760ULL
#define OLD_SWAP_FREE	4100000ULL

static const struct saba_plugin *memory;
static void *memory_dl;

static int suite_init(void)
{
	memory = plugtest_load("memory", &memory_dl);
	return memory != NULL ? 0 : -1;
}

static int suite_cleanup(void)
{
	saba_test_unload(memory_dl);
	return 0;
}

static void test_descriptor(void)
{
	plugtest_check_procfs_descriptor(memory, "memory");
	CU_ASSERT_PTR_NOT_NULL(memory->host_spec);
}

/* The schema has procfs only: anything else is refused before create(). */
static void test_unknown_key(void)
{
	struct saba_test_host *fh = saba_test_host_new("procfs = \"/proc\"; interval = 5;");
	const char *key = NULL;
	void *inst = NULL;

	CU_ASSERT_PTR_NOT_NULL_FATAL(fh);
	CU_ASSERT_EQUAL(saba_test_create(fh, memory, &inst), SABA_INVALID);
	CU_ASSERT_PTR_NULL(inst);
	CU_ASSERT_EQUAL(saba_test_nconfig_errors(fh), 1);
	saba_test_config_error_at(fh, 0, &key);
	CU_ASSERT_STRING_EQUAL(key, "interval");
	saba_test_host_free(fh);
}

static void test_memory_modern(void)
{
	struct saba_test_host *fh;
	void *inst = plugtest_create(memory, &fh, "procfs = \"%s\";", plugtest_data("proc-modern"));

	CU_ASSERT_EQUAL(saba_test_collect(fh, memory, inst), SABA_OK);
	CU_ASSERT_EQUAL(saba_test_nvalues(fh), 6);
	CU_ASSERT_EQUAL(plugtest_value(fh, "memory.total"), KB(MODERN_TOTAL));
	/* used = total - available = 328216 kB */
	CU_ASSERT_EQUAL(plugtest_value(fh, "memory.used"), KB(328216));
	CU_ASSERT_EQUAL(MODERN_TOTAL - MODERN_AVAILABLE, 328216);
	CU_ASSERT_EQUAL(plugtest_value(fh, "memory.mem_available"), KB(MODERN_AVAILABLE));
	CU_ASSERT_EQUAL(plugtest_value(fh, "memory.swap_total"), 0);
	CU_ASSERT_EQUAL(plugtest_value(fh, "memory.swap_cached"), 0);
	CU_ASSERT_EQUAL(plugtest_value(fh, "memory.swap_free"), 0);
	/* with MemAvailable upstream reports neither of these */
	CU_ASSERT_FALSE(saba_test_value(fh, "memory.buffers", NULL));
	CU_ASSERT_FALSE(saba_test_value(fh, "memory.cached", NULL));
	CU_ASSERT_FALSE(saba_test_value(fh, "memory.free", NULL));
	CU_ASSERT_EQUAL(saba_test_log_count(fh, SABA_LOG_WARNING, NULL), 0);
	plugtest_destroy(memory, fh, inst);
}

static void test_memory_old(void)
{
	struct saba_test_host *fh;
	void *inst = plugtest_create(memory, &fh, "procfs = \"%s\";", plugtest_data("proc-old"));

	CU_ASSERT_EQUAL(saba_test_collect(fh, memory, inst), SABA_OK);
	CU_ASSERT_EQUAL(saba_test_nvalues(fh), 8);
	CU_ASSERT_EQUAL(plugtest_value(fh, "memory.total"), KB(OLD_TOTAL));
	/* used = total - free - buffers - cached = 700000 kB */
	CU_ASSERT_EQUAL(plugtest_value(fh, "memory.used"), KB(700000));
	CU_ASSERT_EQUAL(OLD_TOTAL - OLD_FREE - OLD_BUFFERS - OLD_CACHED, 700000);
	CU_ASSERT_EQUAL(plugtest_value(fh, "memory.buffers"), KB(OLD_BUFFERS));
	CU_ASSERT_EQUAL(plugtest_value(fh, "memory.cached"), KB(OLD_CACHED));
	CU_ASSERT_EQUAL(plugtest_value(fh, "memory.free"), KB(OLD_FREE));
	CU_ASSERT_EQUAL(plugtest_value(fh, "memory.swap_total"), KB(OLD_SWAP_TOTAL));
	CU_ASSERT_EQUAL(plugtest_value(fh, "memory.swap_cached"), KB(OLD_SWAP_CACHED));
	CU_ASSERT_EQUAL(plugtest_value(fh, "memory.swap_free"), KB(OLD_SWAP_FREE));
	CU_ASSERT_FALSE(saba_test_value(fh, "memory.mem_available", NULL));
	plugtest_destroy(memory, fh, inst);
}

static void check_memory_error(const char *dir, const char *why)
{
	struct saba_test_host *fh;
	char rel[128];
	void *inst = plugtest_create(memory, &fh, "procfs = \"%s\";", plugtest_data(dir));

	CU_ASSERT_EQUAL(saba_test_collect(fh, memory, inst), SABA_ERROR);
	CU_ASSERT_EQUAL(saba_test_nvalues(fh), 0);
	/* exactly one error line, naming the file */
	snprintf(rel, sizeof(rel), "%s/meminfo", dir);
	CU_ASSERT_EQUAL(saba_test_log_count(fh, SABA_LOG_ERR, plugtest_data(rel)), 1);
	CU_ASSERT_EQUAL(saba_test_log_count(fh, SABA_LOG_ERR, why), 1);
	/* and no half-baked meta.memory either */
	CU_ASSERT_EQUAL(saba_test_host_spec(fh, memory, inst), SABA_ERROR);
	CU_ASSERT_EQUAL(saba_test_nspecs(fh), 0);
	plugtest_destroy(memory, fh, inst);
}

static void test_memory_nototal(void)
{
	check_memory_error("proc-bad", "no MemTotal");
}

/* a metric line without its unit: no values rather than wrong ones */
static void test_memory_truncated(void)
{
	check_memory_error("proc-truncated", "Buffers");
}

static void test_memory_missing(void)
{
	check_memory_error("no-such-dir", "No such file");
}

static void test_memory_config_type(void)
{
	plugtest_check_bad_procfs(memory, "procfs = [\"/proc\"];");
	plugtest_check_bad_procfs(memory, "procfs = 1.5;");
	plugtest_check_bad_procfs(memory, "procfs = \"\";");
}

static void test_memory_two_instances(void)
{
	struct saba_test_host *fa, *fb;
	void *a = plugtest_create(memory, &fa, "procfs = \"%s\";", plugtest_data("proc-modern"));
	void *b = plugtest_create(memory, &fb, "procfs = \"%s\";", plugtest_data("proc-old"));

	for (int round = 0; round < 2; round++) {
		CU_ASSERT_EQUAL(saba_test_collect(fb, memory, b), SABA_OK);
		CU_ASSERT_EQUAL(saba_test_collect(fa, memory, a), SABA_OK);
		CU_ASSERT_EQUAL(plugtest_value(fa, "memory.used"), KB(328216));
		CU_ASSERT_EQUAL(plugtest_value(fb, "memory.used"), KB(700000));
		CU_ASSERT_EQUAL(saba_test_nvalues(fa), 6);
		CU_ASSERT_EQUAL(saba_test_nvalues(fb), 8);
	}
	plugtest_destroy(memory, fa, a);
	plugtest_destroy(memory, fb, b);
}

/* ------------------------------------------------------------------ */
/* meta.memory                                                  */

/* meta.memory of tests/data/<dir>, parsed; every value is "<digits>kB". */
static json_t *memory_spec(const char *dir, size_t want_keys)
{
	struct saba_test_host *fh;
	void *inst = plugtest_create(memory, &fh, "procfs = \"%s\";", plugtest_data(dir));
	const char *text;
	json_error_t err;
	json_t *doc = NULL;

	CU_ASSERT_EQUAL(saba_test_host_spec(fh, memory, inst), SABA_OK);
	CU_ASSERT_EQUAL(saba_test_nspecs(fh), 1);
	text = saba_test_spec(fh, "meta.memory");
	CU_ASSERT_PTR_NOT_NULL(text);
	if (text != NULL) {
		doc = json_loads(text, 0, &err);
		CU_ASSERT_PTR_NOT_NULL(doc);
		if (doc == NULL)
			fprintf(stderr, "meta.memory: %s: %s\n", err.text, text);
	}
	if (doc != NULL) {
		CU_ASSERT_TRUE(json_is_object(doc));
		CU_ASSERT_EQUAL(json_object_size(doc), want_keys);
		for (void *it = json_object_iter(doc); it != NULL;
		     it = json_object_iter_next(doc, it)) {
			const char *s = json_string_value(json_object_iter_value(it));
			size_t digits = s ? strspn(s, "0123456789") : 0;

			CU_ASSERT_PTR_NOT_NULL(s);
			CU_ASSERT_TRUE(digits > 0 && s != NULL && strcmp(s + digits, "kB") == 0);
		}
	}
	plugtest_destroy(memory, fh, inst);
	return doc;
}

static void assert_spec(json_t *doc, const char *key, const char *want)
{
	const char *got = json_string_value(json_object_get(doc, key));

	CU_ASSERT_PTR_NOT_NULL(got);
	if (got != NULL)
		CU_ASSERT_STRING_EQUAL(got, want);
}

static void test_memory_spec_modern(void)
{
	/* the 24 of upstream's 28 keys a 64-bit kernel has: no high/low */
	json_t *doc = memory_spec("proc-modern", 24);

	CU_ASSERT_PTR_NOT_NULL_FATAL(doc);
	assert_spec(doc, "total", "24684096kB");
	assert_spec(doc, "active", "86568kB");
	assert_spec(doc, "slab_reclaimable", "54624kB");
	assert_spec(doc, "committed_as", "52932kB");
	assert_spec(doc, "nfs_unstable", "0kB");
	assert_spec(doc, "vmalloc_total", "34359738367kB");
	assert_spec(doc, "swap_total", "0kB");
	CU_ASSERT_PTR_NULL(json_object_get(doc, "high_total"));
	/* meminfo lines upstream does not map stay out */
	CU_ASSERT_PTR_NULL(json_object_get(doc, "mem_available"));
	CU_ASSERT_PTR_NULL(json_object_get(doc, "MemAvailable"));
	CU_ASSERT_PTR_NULL(json_object_get(doc, "shmem"));
	json_decref(doc);
}

static void test_memory_spec_old(void)
{
	/* all 28 keys: a 32-bit kernel has the high/low zones */
	json_t *doc = memory_spec("proc-old", 28);

	CU_ASSERT_PTR_NOT_NULL_FATAL(doc);
	assert_spec(doc, "total", "2067280kB");
	assert_spec(doc, "free", "312480kB");
	assert_spec(doc, "high_total", "1187848kB");
	assert_spec(doc, "high_free", "98000kB");
	assert_spec(doc, "low_total", "879432kB");
	assert_spec(doc, "low_free", "214480kB");
	assert_spec(doc, "swap_total", "4128760kB");
	assert_spec(doc, "vmalloc_chunk", "102012kB");
	json_decref(doc);
}

/* clang-format off */
static const struct unit_test tests[] = {
	UNIT_TEST(test_descriptor),
	UNIT_TEST(test_unknown_key),
	UNIT_TEST(test_memory_modern),
	UNIT_TEST(test_memory_old),
	UNIT_TEST(test_memory_nototal),
	UNIT_TEST(test_memory_truncated),
	UNIT_TEST(test_memory_missing),
	UNIT_TEST(test_memory_config_type),
	UNIT_TEST(test_memory_two_instances),
	UNIT_TEST(test_memory_spec_modern),
	UNIT_TEST(test_memory_spec_old),
};
/* clang-format on */

int main(void)
{
	return unit_run_suite("memory", tests, sizeof(tests) / sizeof(tests[0]), suite_init,
			      suite_cleanup);
}
