/*
 * The filesystem plugin through the fake host, on the mount table
 * tests/data/fs/self/mounts.  Its mount points are directories every Linux
 * machine has ("/", "/tmp", "/var", "/usr/lib", "/etc", "/proc"), so the
 * plugin's statvfs() calls work and the test compares with its own:
 *
 *   /dev/sda1 on / (and bind-mounted deeper)  -> sda1, once, at "/"
 *   /dev/sdh1 then /dev/sdb1 on /tmp           -> sdb1 (mounted over sdh1)
 *   /dev/sdf1 on "/v\141r" (octal escape)      -> sdf1 at /var
 *   /dev/mapper/docker-* on /dev               -> meta only
 *   /dev/sdc1 on /usr/lib, below nfs4 /usr     -> never statvfs'd
 *   /dev/fuse on /etc, fuse.sshfs              -> never statvfs'd
 *   /dev/loop0 on /proc (zero size)            -> left out like df
 *   tmpfs, cifs, nfs4, proc, sysfs             -> not /dev/: left out
 */
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>

#include <jansson.h>

#include "plugtest.h"
#include "unit.h"

static const struct saba_plugin *fsp;
static void *fs_dl;

static int suite_init(void)
{
	fsp = plugtest_load("filesystem", &fs_dl);
	return fsp != NULL ? 0 : -1;
}

static int suite_cleanup(void)
{
	saba_test_unload(fs_dl);
	return 0;
}

/* Check label's size (exact: the root reserve does not move) and used
 * (between the test's own statvfs before and after the collection). */
static void check_fs(struct saba_test_host *fh, const char *label, const struct statvfs *before,
		     const struct statvfs *after)
{
	double fr = (double)before->f_frsize;
	double used0 = (double)(before->f_blocks - before->f_bfree) * fr;
	double used1 = (double)(after->f_blocks - after->f_bfree) * fr;
	double size0 = used0 + (double)before->f_bavail * fr;
	double size1 = used1 + (double)after->f_bavail * fr;
	char name[128];
	double size, used;

	snprintf(name, sizeof(name), "filesystem.%s.size", label);
	size = plugtest_value(fh, name);
	snprintf(name, sizeof(name), "filesystem.%s.used", label);
	used = plugtest_value(fh, name);
	CU_ASSERT_TRUE(used >= (used0 < used1 ? used0 : used1) &&
		       used <= (used0 > used1 ? used0 : used1));
	CU_ASSERT_TRUE(size >= (size0 < size1 ? size0 : size1) &&
		       size <= (size0 > size1 ? size0 : size1));
	CU_ASSERT_TRUE(size >= used && size > 0);
}

static void *collect(struct saba_test_host **fh, const char *extra, struct statvfs b[3],
		     struct statvfs a[3])
{
	static const char *const dirs[3] = {"/", "/tmp", "/var"};
	void *inst = plugtest_create(fsp, fh, "procfs = \"%s\"; %s", plugtest_data("fs"), extra);

	for (int i = 0; i < 3; i++)
		CU_ASSERT_EQUAL_FATAL(statvfs(dirs[i], &b[i]), 0);
	CU_ASSERT_EQUAL(saba_test_collect(*fh, fsp, inst), SABA_OK);
	for (int i = 0; i < 3; i++)
		CU_ASSERT_EQUAL_FATAL(statvfs(dirs[i], &a[i]), 0);
	return inst;
}

static void test_descriptor(void)
{
	CU_ASSERT_STRING_EQUAL(fsp->name, "filesystem");
	/* not a delta plugin: one sample is the value */
	CU_ASSERT_EQUAL(fsp->flags & SABA_PLUGIN_DELTA, 0);
	CU_ASSERT_PTR_NOT_NULL(fsp->host_spec);
}

static void test_metrics(void)
{
	struct statvfs b[3], a[3];
	struct saba_test_host *fh;
	void *inst = collect(&fh, "", b, a);

	CU_ASSERT_EQUAL(saba_test_nvalues(fh), 6);
	check_fs(fh, "sda1", &b[0], &a[0]);
	check_fs(fh, "sdb1", &b[1], &a[1]);
	check_fs(fh, "sdf1", &b[2], &a[2]);
	CU_ASSERT_FALSE(saba_test_value(fh, "filesystem.sdh1.size", NULL));
	CU_ASSERT_FALSE(saba_test_value(fh, "filesystem.sdc1.size", NULL));
	CU_ASSERT_FALSE(saba_test_value(fh, "filesystem.fuse.size", NULL));
	CU_ASSERT_FALSE(saba_test_value(fh, "filesystem.loop0.size", NULL));
	CU_ASSERT_FALSE(saba_test_value(fh, "filesystem.mapper_docker-253_0-1311-7d1c.size", NULL));
	plugtest_destroy(fsp, fh, inst);
}

static void test_use_mountpoint(void)
{
	struct statvfs b[3], a[3];
	struct saba_test_host *fh;
	void *inst = collect(&fh, "use_mountpoint = true;", b, a);

	CU_ASSERT_EQUAL(saba_test_nvalues(fh), 6);
	check_fs(fh, "_", &b[0], &a[0]);
	check_fs(fh, "_tmp", &b[1], &a[1]);
	check_fs(fh, "_var", &b[2], &a[2]);
	plugtest_destroy(fsp, fh, inst);
}

/* ignore matches the raw source */
static void test_ignore(void)
{
	struct statvfs b[3], a[3];
	struct saba_test_host *fh;
	void *inst = collect(&fh, "ignore = \"^/dev/sd[bf]\";", b, a);

	CU_ASSERT_EQUAL(saba_test_nvalues(fh), 2);
	check_fs(fh, "sda1", &b[0], &a[0]);
	plugtest_destroy(fsp, fh, inst);
}

static void test_bad_config(void)
{
	static const char *const cfg[] = {"use_mountpoint = \"yes\";", "ignore = \"(\";",
					  "procfs = 1;"};

	for (size_t i = 0; i < sizeof(cfg) / sizeof(cfg[0]); i++) {
		struct saba_test_host *fh = saba_test_host_new(cfg[i]);
		void *inst = NULL;

		CU_ASSERT_PTR_NOT_NULL_FATAL(fh);
		CU_ASSERT_EQUAL(saba_test_create(fh, fsp, &inst), SABA_INVALID);
		CU_ASSERT_PTR_NULL(inst);
		CU_ASSERT_EQUAL(saba_test_nconfig_errors(fh), 1);
		saba_test_host_free(fh);
	}
}

static void check_entry(json_t *spec, const char *dev, const char *mount, const char *dir)
{
	json_t *e = json_object_get(spec, dev);
	struct statvfs st;
	json_int_t size;

	CU_ASSERT_FATAL(json_is_object(e));
	CU_ASSERT_EQUAL(json_object_size(e), 5);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(e, "mount")), mount);
	CU_ASSERT_TRUE(json_is_integer(json_object_get(e, "kb_used")));
	CU_ASSERT_TRUE(json_is_integer(json_object_get(e, "kb_available")));
	CU_ASSERT_PTR_NOT_NULL(strchr(json_string_value(json_object_get(e, "percent_used")), '%'));
	size = json_integer_value(json_object_get(e, "kb_size"));
	CU_ASSERT_EQUAL_FATAL(statvfs(dir, &st), 0);
	/* df's 1024-blocks, rounded up */
	CU_ASSERT_EQUAL(
		size, (json_int_t)(((unsigned long long)st.f_blocks * st.f_frsize + 1023) / 1024));
}

static void test_spec(void)
{
	struct saba_test_host *fh;
	void *inst = plugtest_create(fsp, &fh, "procfs = \"%s\"; ignore = \"sda\";",
				     plugtest_data("fs"));
	json_t *spec;

	CU_ASSERT_EQUAL(saba_test_host_spec(fh, fsp, inst), SABA_OK);
	CU_ASSERT_PTR_NOT_NULL_FATAL(saba_test_spec(fh, "meta.filesystem"));
	spec = json_loads(saba_test_spec(fh, "meta.filesystem"), 0, NULL);
	CU_ASSERT_FATAL(json_is_object(spec));
	/* like upstream's df rows: ignore and the docker rule are for the
	 * metrics only */
	CU_ASSERT_EQUAL(json_object_size(spec), 4);
	check_entry(spec, "/dev/sda1", "/", "/");
	check_entry(spec, "/dev/sdb1", "/tmp", "/tmp");
	check_entry(spec, "/dev/sdf1", "/var", "/var");
	check_entry(spec, "/dev/mapper/docker-253:0-1311-7d1c", "/dev", "/dev");
	json_decref(spec);
	plugtest_destroy(fsp, fh, inst);
}

static void test_missing(void)
{
	struct saba_test_host *fh;
	void *inst = plugtest_create(fsp, &fh, "procfs = \"/nonexistent\";");

	CU_ASSERT_EQUAL(saba_test_collect(fh, fsp, inst), SABA_ERROR);
	CU_ASSERT_EQUAL(saba_test_log_count(fh, SABA_LOG_ERR, "/nonexistent/self/mounts"), 1);
	CU_ASSERT_EQUAL(saba_test_host_spec(fh, fsp, inst), SABA_ERROR);
	CU_ASSERT_EQUAL(saba_test_nspecs(fh), 0);
	plugtest_destroy(fsp, fh, inst);
}

/* A table that is not procfs's cannot tell of a change: each round reads
 * it, and a remount shows at the next round (on procfs, poll() tells). */
static void test_table_change_seen(void)
{
	struct saba_test_host *fh;
	struct plugtest_proc proc;
	double v;
	void *inst;

	CU_ASSERT_EQUAL_FATAL(plugtest_proc_new(&proc, "fs"), 0);
	inst = plugtest_create(fsp, &fh, "procfs = \"%s\";", proc.link);
	CU_ASSERT_EQUAL(saba_test_collect(fh, fsp, inst), SABA_OK);
	CU_ASSERT_TRUE(saba_test_value(fh, "filesystem.sdb1.size", &v));
	CU_ASSERT_FALSE(saba_test_value(fh, "filesystem.sdg1.size", &v));
	CU_ASSERT_EQUAL_FATAL(plugtest_proc_point(&proc, "fs-remount"), 0);
	CU_ASSERT_EQUAL(saba_test_collect(fh, fsp, inst), SABA_OK);
	CU_ASSERT_FALSE(saba_test_value(fh, "filesystem.sdb1.size", &v));
	CU_ASSERT_TRUE(saba_test_value(fh, "filesystem.sdg1.size", &v));
	CU_ASSERT_TRUE(saba_test_value(fh, "filesystem.sda1.used", &v));
	/* and the same table again: the same metrics */
	CU_ASSERT_EQUAL(saba_test_collect(fh, fsp, inst), SABA_OK);
	CU_ASSERT_EQUAL(saba_test_nvalues(fh), 4);
	plugtest_destroy(fsp, fh, inst);
	plugtest_proc_free(&proc);
}

/* The real table, twice: the second round (from what the first listed,
 * procfs telling of no change) emits the same metrics. */
static void test_real_table_twice(void)
{
	struct saba_test_host *fh;
	void *inst = plugtest_create(fsp, &fh, "procfs = \"/proc\";");
	size_t n;

	CU_ASSERT_EQUAL(saba_test_collect(fh, fsp, inst), SABA_OK);
	n = saba_test_nvalues(fh);
	char **names = calloc(n + 1, sizeof(*names));

	for (size_t i = 0; i < n; i++)
		names[i] = strdup(saba_test_value_at(fh, i, NULL));
	CU_ASSERT_EQUAL(saba_test_collect(fh, fsp, inst), SABA_OK);
	CU_ASSERT_EQUAL(saba_test_nvalues(fh), n);
	for (size_t i = 0; i < n && i < saba_test_nvalues(fh); i++)
		CU_ASSERT_STRING_EQUAL(saba_test_value_at(fh, i, NULL), names[i]);
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	plugtest_destroy(fsp, fh, inst);
}

static const struct unit_test tests[] = {
	UNIT_TEST(test_descriptor),	  UNIT_TEST(test_metrics),
	UNIT_TEST(test_use_mountpoint),	  UNIT_TEST(test_ignore),
	UNIT_TEST(test_bad_config),	  UNIT_TEST(test_spec),
	UNIT_TEST(test_missing),	  UNIT_TEST(test_table_change_seen),
	UNIT_TEST(test_real_table_twice),
};

int main(void)
{
	return unit_run_suite("filesystem", tests, sizeof(tests) / sizeof(tests[0]), suite_init,
			      suite_cleanup);
}
