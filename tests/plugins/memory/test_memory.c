/*
 * The procfs plugins (loadavg, memory), loaded from their built modules and
 * driven through the fake host against the fixtures in tests/data/proc-*.
 *
 * Environment (set by make check):
 *   SABA_PLUGIN_DIR  the built plugins (default <exe dir>/../../../plugins/.libs)
 *   SABA_SRCDIR      the source tree (default <exe dir>/../../..)
 */
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include <saba/plugin-test.h>
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

/* room for the defaults, "<exe dir>/../../.." and "<exe dir>/../../../plugins/.libs" */
static char srcdir[PATH_MAX + 32];
static char plugindir[PATH_MAX + 32];
static const struct saba_plugin *loadavg, *memory;
static void *loadavg_dl, *memory_dl;

/* ------------------------------------------------------------------ */
/* fixtures                                                             */

/* dir of the running test binary, for defaults without make check */
static int exe_dir(char *buf, size_t len)
{
	ssize_t n = readlink("/proc/self/exe", buf, len - 1);
	char *slash;

	if (n <= 0)
		return -1;
	buf[n] = '\0';
	slash = strrchr(buf, '/');
	if (slash == NULL)
		return -1;
	*slash = '\0';
	return 0;
}

static const struct saba_plugin *load(const char *module, void **dl)
{
	char path[sizeof(plugindir) + 32];
	const struct saba_plugin *p;

	snprintf(path, sizeof(path), "%s/%s.so", plugindir, module);
	p = saba_test_load(path, dl);
	if (p == NULL)
		fprintf(stderr, "test_procfs: cannot load %s\n", path);
	return p;
}

static int suite_init(void)
{
	char exe[PATH_MAX], def[sizeof(plugindir)];

	if (exe_dir(exe, sizeof(exe)) != 0)
		snprintf(exe, sizeof(exe), ".");
	snprintf(def, sizeof(def), "%s/../../../plugins/.libs", exe);
	snprintf(plugindir, sizeof(plugindir), "%s", unit_env("SABA_PLUGIN_DIR", def));
	snprintf(def, sizeof(def), "%s/../../..", exe);
	snprintf(srcdir, sizeof(srcdir), "%s", unit_env("SABA_SRCDIR", def));
	/* the dir goes into libconfig text unescaped */
	if (strpbrk(srcdir, "\"\\") != NULL) {
		fprintf(stderr,
			"test_procfs: SABA_SRCDIR must not contain quotes or backslashes\n");
		return -1;
	}
	loadavg = load("loadavg", &loadavg_dl);
	memory = load("memory", &memory_dl);
	return loadavg != NULL && memory != NULL ? 0 : -1;
}

static int suite_cleanup(void)
{
	saba_test_unload(loadavg_dl);
	saba_test_unload(memory_dl);
	return 0;
}

/* "<srcdir>/tests/data/<dir>" */
static const char *data_dir(char *buf, size_t len, const char *dir)
{
	char rel[256];

	snprintf(rel, sizeof(rel), "tests/data/%s", dir);
	return unit_path(buf, len, srcdir, rel);
}

/* A fake host whose procfs is tests/data/<dir>. */
static struct saba_test_host *host_for(const char *dir)
{
	char path[sizeof(srcdir) + 300], cfg[sizeof(srcdir) + 320];

	snprintf(cfg, sizeof(cfg), "procfs = \"%s\";", data_dir(path, sizeof(path), dir));
	return saba_test_host_new(cfg);
}

/* An instance of p reading tests/data/<dir>; asserts that create works. */
static void *create_for(const struct saba_plugin *p, const char *dir, struct saba_test_host **fh)
{
	void *inst = NULL;

	*fh = host_for(dir);
	CU_ASSERT_PTR_NOT_NULL_FATAL(*fh);
	CU_ASSERT_EQUAL_FATAL(saba_test_create(*fh, p, &inst), SABA_OK);
	CU_ASSERT_PTR_NOT_NULL_FATAL(inst);
	return inst;
}

static void destroy(const struct saba_plugin *p, struct saba_test_host *fh, void *inst)
{
	/* every test also proves the plugin kept to the host API */
	CU_ASSERT_EQUAL(saba_test_misuse(fh), 0);
	p->destroy(inst);
	saba_test_host_free(fh);
}

/* Exactly one error line names the file of tests/data/<dir>. */
static void assert_error_names(struct saba_test_host *fh, const char *dir, const char *file)
{
	char path[sizeof(srcdir) + 300], rel[128];

	snprintf(rel, sizeof(rel), "%s/%s", dir, file);
	data_dir(path, sizeof(path), rel);
	CU_ASSERT_EQUAL(saba_test_log_count(fh, SABA_LOG_ERR, path), 1);
}

static void assert_value(struct saba_test_host *fh, const char *name, double want)
{
	double got = -1;

	CU_ASSERT_TRUE(saba_test_value(fh, name, &got));
	/* fixtures are chosen so the result is exact */
	CU_ASSERT_EQUAL(got, want);
	if (got != want)
		fprintf(stderr, "%s: got %.17g, want %.17g\n", name, got, want);
}

/* ------------------------------------------------------------------ */
/* descriptors                                                          */

static void check_descriptor(const struct saba_plugin *p, const char *name)
{
	CU_ASSERT_EQUAL(p->abi_major, SABA_PLUGIN_ABI_MAJOR);
	CU_ASSERT_EQUAL(p->struct_size, sizeof(struct saba_plugin));
	CU_ASSERT_STRING_EQUAL(p->name, name);
	CU_ASSERT_PTR_NOT_NULL(p->version);
	CU_ASSERT_PTR_NOT_NULL(p->description);
	CU_ASSERT_PTR_NOT_NULL_FATAL(p->config_keys);
	CU_ASSERT_STRING_EQUAL(p->config_keys[0].name, "procfs");
	CU_ASSERT_EQUAL(p->config_keys[0].type, SABA_CFG_STRING);
	CU_ASSERT_PTR_NULL(p->config_keys[1].name);
	CU_ASSERT_PTR_NOT_NULL(p->create);
	CU_ASSERT_PTR_NOT_NULL(p->destroy);
	CU_ASSERT_PTR_NOT_NULL(p->collect);
	/* metric sources only: not a trigger, no background work */
	CU_ASSERT_PTR_NULL(p->start);
	CU_ASSERT_PTR_NULL(p->shutdown);
	CU_ASSERT_PTR_NULL(p->confirm_retire);
}

static void test_descriptors(void)
{
	check_descriptor(loadavg, "loadavg");
	check_descriptor(memory, "memory");
	CU_ASSERT_PTR_NULL(loadavg->host_spec);
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

/* ------------------------------------------------------------------ */
/* loadavg                                                              */

static void test_loadavg_modern(void)
{
	struct saba_test_host *fh;
	void *inst = create_for(loadavg, "proc-modern", &fh);

	CU_ASSERT_EQUAL(saba_test_collect(fh, loadavg, inst), SABA_OK);
	CU_ASSERT_EQUAL(saba_test_nvalues(fh), 3);
	assert_value(fh, "loadavg1", 0.25);
	assert_value(fh, "loadavg5", 0.5);
	assert_value(fh, "loadavg15", 1.75);
	CU_ASSERT_EQUAL(saba_test_log_count(fh, SABA_LOG_WARNING, NULL), 0);
	CU_ASSERT_EQUAL(saba_test_host_spec(fh, loadavg, inst), SABA_NOTFOUND);
	destroy(loadavg, fh, inst);
}

static void test_loadavg_old(void)
{
	struct saba_test_host *fh;
	void *inst = create_for(loadavg, "proc-old", &fh);

	CU_ASSERT_EQUAL(saba_test_collect(fh, loadavg, inst), SABA_OK);
	CU_ASSERT_EQUAL(saba_test_nvalues(fh), 3);
	assert_value(fh, "loadavg1", 3.0);
	assert_value(fh, "loadavg5", 2.5);
	assert_value(fh, "loadavg15", 1.25);
	destroy(loadavg, fh, inst);
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
	destroy(loadavg, fh, inst);
}

static void check_loadavg_error(const char *dir, const char *why)
{
	struct saba_test_host *fh;
	void *inst = create_for(loadavg, dir, &fh);

	CU_ASSERT_EQUAL(saba_test_collect(fh, loadavg, inst), SABA_ERROR);
	CU_ASSERT_EQUAL(saba_test_nvalues(fh), 0);
	assert_error_names(fh, dir, "loadavg");
	CU_ASSERT_EQUAL(saba_test_log_count(fh, SABA_LOG_ERR, why), 1);
	destroy(loadavg, fh, inst);
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

static void check_bad_procfs(const struct saba_plugin *p, const char *cfg)
{
	struct saba_test_host *fh = saba_test_host_new(cfg);
	const char *key = NULL;
	void *inst = NULL;

	CU_ASSERT_PTR_NOT_NULL_FATAL(fh);
	CU_ASSERT_EQUAL(saba_test_create(fh, p, &inst), SABA_INVALID);
	CU_ASSERT_PTR_NULL(inst);
	CU_ASSERT_EQUAL_FATAL(saba_test_nconfig_errors(fh), 1);
	saba_test_config_error_at(fh, 0, &key);
	CU_ASSERT_PTR_NOT_NULL_FATAL(key);
	CU_ASSERT_STRING_EQUAL(key, "procfs");
	CU_ASSERT_EQUAL(saba_test_misuse(fh), 0);
	saba_test_host_free(fh);
}

static void test_loadavg_config_type(void)
{
	check_bad_procfs(loadavg, "procfs = 5;");
	check_bad_procfs(loadavg, "procfs = true;");
	check_bad_procfs(loadavg, "procfs = \"\";");
}

/* Two instances in one process read their own files: no shared state. */
static void test_loadavg_two_instances(void)
{
	struct saba_test_host *fa, *fb;
	void *a = create_for(loadavg, "proc-modern", &fa);
	void *b = create_for(loadavg, "proc-old", &fb);

	for (int round = 0; round < 2; round++) {
		CU_ASSERT_EQUAL(saba_test_collect(fa, loadavg, a), SABA_OK);
		CU_ASSERT_EQUAL(saba_test_collect(fb, loadavg, b), SABA_OK);
		assert_value(fa, "loadavg1", 0.25);
		assert_value(fb, "loadavg1", 3.0);
		assert_value(fa, "loadavg15", 1.75);
		assert_value(fb, "loadavg15", 1.25);
	}
	/* destroying one leaves the other working */
	destroy(loadavg, fa, a);
	CU_ASSERT_EQUAL(saba_test_collect(fb, loadavg, b), SABA_OK);
	assert_value(fb, "loadavg5", 2.5);
	destroy(loadavg, fb, b);
}

/* ------------------------------------------------------------------ */
/* memory: metrics                                                      */

static void test_memory_modern(void)
{
	struct saba_test_host *fh;
	void *inst = create_for(memory, "proc-modern", &fh);

	CU_ASSERT_EQUAL(saba_test_collect(fh, memory, inst), SABA_OK);
	CU_ASSERT_EQUAL(saba_test_nvalues(fh), 6);
	assert_value(fh, "memory.total", KB(MODERN_TOTAL));
	/* used = total - available = 328216 kB */
	assert_value(fh, "memory.used", KB(328216));
	CU_ASSERT_EQUAL(MODERN_TOTAL - MODERN_AVAILABLE, 328216);
	assert_value(fh, "memory.mem_available", KB(MODERN_AVAILABLE));
	assert_value(fh, "memory.swap_total", 0);
	assert_value(fh, "memory.swap_cached", 0);
	assert_value(fh, "memory.swap_free", 0);
	/* with MemAvailable upstream reports neither of these */
	CU_ASSERT_FALSE(saba_test_value(fh, "memory.buffers", NULL));
	CU_ASSERT_FALSE(saba_test_value(fh, "memory.cached", NULL));
	CU_ASSERT_FALSE(saba_test_value(fh, "memory.free", NULL));
	CU_ASSERT_EQUAL(saba_test_log_count(fh, SABA_LOG_WARNING, NULL), 0);
	destroy(memory, fh, inst);
}

static void test_memory_old(void)
{
	struct saba_test_host *fh;
	void *inst = create_for(memory, "proc-old", &fh);

	CU_ASSERT_EQUAL(saba_test_collect(fh, memory, inst), SABA_OK);
	CU_ASSERT_EQUAL(saba_test_nvalues(fh), 8);
	assert_value(fh, "memory.total", KB(OLD_TOTAL));
	/* used = total - free - buffers - cached = 700000 kB */
	assert_value(fh, "memory.used", KB(700000));
	CU_ASSERT_EQUAL(OLD_TOTAL - OLD_FREE - OLD_BUFFERS - OLD_CACHED, 700000);
	assert_value(fh, "memory.buffers", KB(OLD_BUFFERS));
	assert_value(fh, "memory.cached", KB(OLD_CACHED));
	assert_value(fh, "memory.free", KB(OLD_FREE));
	assert_value(fh, "memory.swap_total", KB(OLD_SWAP_TOTAL));
	assert_value(fh, "memory.swap_cached", KB(OLD_SWAP_CACHED));
	assert_value(fh, "memory.swap_free", KB(OLD_SWAP_FREE));
	CU_ASSERT_FALSE(saba_test_value(fh, "memory.mem_available", NULL));
	destroy(memory, fh, inst);
}

static void check_memory_error(const char *dir, const char *why)
{
	struct saba_test_host *fh;
	void *inst = create_for(memory, dir, &fh);

	CU_ASSERT_EQUAL(saba_test_collect(fh, memory, inst), SABA_ERROR);
	CU_ASSERT_EQUAL(saba_test_nvalues(fh), 0);
	assert_error_names(fh, dir, "meminfo");
	CU_ASSERT_EQUAL(saba_test_log_count(fh, SABA_LOG_ERR, why), 1);
	/* and no half-baked meta.memory either */
	CU_ASSERT_EQUAL(saba_test_host_spec(fh, memory, inst), SABA_ERROR);
	CU_ASSERT_EQUAL(saba_test_nspecs(fh), 0);
	destroy(memory, fh, inst);
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
	check_bad_procfs(memory, "procfs = [\"/proc\"];");
	check_bad_procfs(memory, "procfs = 1.5;");
	check_bad_procfs(memory, "procfs = \"\";");
}

static void test_memory_two_instances(void)
{
	struct saba_test_host *fa, *fb;
	void *a = create_for(memory, "proc-modern", &fa);
	void *b = create_for(memory, "proc-old", &fb);

	for (int round = 0; round < 2; round++) {
		CU_ASSERT_EQUAL(saba_test_collect(fb, memory, b), SABA_OK);
		CU_ASSERT_EQUAL(saba_test_collect(fa, memory, a), SABA_OK);
		assert_value(fa, "memory.used", KB(328216));
		assert_value(fb, "memory.used", KB(700000));
		CU_ASSERT_EQUAL(saba_test_nvalues(fa), 6);
		CU_ASSERT_EQUAL(saba_test_nvalues(fb), 8);
	}
	destroy(memory, fa, a);
	destroy(memory, fb, b);
}

/* ------------------------------------------------------------------ */
/* memory: meta.memory                                                  */

/* meta.memory of tests/data/<dir>, parsed; every value is "<digits>kB". */
static json_t *memory_spec(const char *dir, size_t want_keys)
{
	struct saba_test_host *fh;
	void *inst = create_for(memory, dir, &fh);
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
	destroy(memory, fh, inst);
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
	UNIT_TEST(test_descriptors),
	UNIT_TEST(test_unknown_key),
	UNIT_TEST(test_loadavg_modern),
	UNIT_TEST(test_loadavg_old),
	UNIT_TEST(test_loadavg_default),
	UNIT_TEST(test_loadavg_garbage),
	UNIT_TEST(test_loadavg_truncated),
	UNIT_TEST(test_loadavg_missing),
	UNIT_TEST(test_loadavg_config_type),
	UNIT_TEST(test_loadavg_two_instances),
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
	return unit_run_suite("procfs", tests, sizeof(tests) / sizeof(tests[0]), suite_init,
			      suite_cleanup);
}
