/*
 * The disk plugin through the fake host, on /proc/diskstats snapshots in
 * tests/data/disk-* (a procfs symlink is repointed between collections),
 * and meta.block_device on the sysfs fixture tests/data/sys.
 *
 * Rates divide by the time the plugin measured between its two reads; the
 * test brackets that time by its own clock readings around the two
 * collections, and checks each rate lies in the resulting interval and the
 * reads/writes ratio is exact.
 */
#include <string.h>

#include <jansson.h>

#include "plugtest.h"
#include "unit.h"

static const struct saba_plugin *disk;
static void *disk_dl;

/* bounds of the plugin's elapsed time between its two samples */
struct window {
	double lo, hi;
};

static int suite_init(void)
{
	disk = plugtest_load("disk", &disk_dl);
	return disk != NULL ? 0 : -1;
}

static int suite_cleanup(void)
{
	saba_test_unload(disk_dl);
	return 0;
}

/* An instance on fixture a, collected, then on b, collected again. */
static void *collect_pair(struct saba_test_host **fh, struct plugtest_proc *proc, const char *a,
			  const char *b, struct window *w, const char *extra)
{
	double t0, t1, t2, t3;
	void *inst;

	CU_ASSERT_EQUAL_FATAL(plugtest_proc_new(proc, a), 0);
	inst = plugtest_create(disk, fh, "procfs = \"%s\"; %s", proc->link, extra);
	t0 = plugtest_now();
	CU_ASSERT_EQUAL(saba_test_collect(*fh, disk, inst), SABA_OK);
	t1 = plugtest_now();
	CU_ASSERT_EQUAL(saba_test_nvalues(*fh), 0);
	plugtest_sleep(0.2);
	CU_ASSERT_EQUAL_FATAL(plugtest_proc_point(proc, b), 0);
	t2 = plugtest_now();
	CU_ASSERT_EQUAL(saba_test_collect(*fh, disk, inst), SABA_OK);
	t3 = plugtest_now();
	w->lo = t2 - t1;
	w->hi = t3 - t0;
	return inst;
}

/* reads and writes of dev moved by dr and dw in the window */
static void check_dev(struct saba_test_host *fh, const char *dev, double dr, double dw,
		      const struct window *w)
{
	char name[128];
	double r, wr;

	snprintf(name, sizeof(name), "disk.%s.reads.delta", dev);
	r = plugtest_value(fh, name);
	snprintf(name, sizeof(name), "disk.%s.writes.delta", dev);
	wr = plugtest_value(fh, name);
	CU_ASSERT_TRUE(r >= dr / w->hi && r <= dr / w->lo);
	CU_ASSERT_TRUE(wr >= dw / w->hi && wr <= dw / w->lo);
	if (dr != 0 && dw != 0)
		CU_ASSERT_DOUBLE_EQUAL(r / wr, dr / dw, 1e-9 * dr / dw);
	if (dr == 0)
		CU_ASSERT_EQUAL(r, 0.0);
}

static int has_dev(struct saba_test_host *fh, const char *dev)
{
	char name[128];

	snprintf(name, sizeof(name), "disk.%s.reads.delta", dev);
	return saba_test_value(fh, name, NULL) ||
	       (snprintf(name, sizeof(name), "disk.%s.writes.delta", dev),
		saba_test_value(fh, name, NULL));
}

static void test_descriptor(void)
{
	CU_ASSERT_STRING_EQUAL(disk->name, "disk");
	CU_ASSERT_EQUAL(disk->flags & SABA_PLUGIN_DELTA, SABA_PLUGIN_DELTA);
	CU_ASSERT_PTR_NOT_NULL(disk->host_spec);
}

/* Kernel 5.5+ format (20 columns), odd names, a card swapped, a new disk. */
static void test_modern(void)
{
	struct plugtest_proc proc;
	struct saba_test_host *fh;
	struct window w;
	void *inst = collect_pair(&fh, &proc, "disk-a", "disk-b", &w, "");

	CU_ASSERT_EQUAL(saba_test_nvalues(fh), 16);
	check_dev(fh, "sda", 100, 300, &w);
	check_dev(fh, "sda1", 100, 300, &w);
	check_dev(fh, "nvme0n1", 5000, 2500, &w);
	check_dev(fh, "nvme0n1p1", 0, 0, &w);
	check_dev(fh, "nvme0n1p2", 5000, 2500, &w);
	check_dev(fh, "cciss_c0d0", 40, 20, &w); /* "cciss/c0d0" sanitised */
	check_dev(fh, "loop1", 0, 0, &w);
	check_dev(fh, "sr0", 0, 0, &w);
	CU_ASSERT_FALSE(has_dev(fh, "loop0")); /* all zero */
	CU_ASSERT_FALSE(has_dev(fh, "sdb"));   /* all zero */
	CU_ASSERT_FALSE(has_dev(fh, "dm-0"));  /* device mapper */
	CU_ASSERT_FALSE(has_dev(fh, "sdc"));   /* new: no previous sample */
	/* reads went back (another card): skipped, never negative */
	CU_ASSERT_FALSE(has_dev(fh, "mmcblk0"));
	CU_ASSERT_FALSE(has_dev(fh, "mmcblk0p1"));
	plugtest_destroy(disk, fh, inst);
	plugtest_proc_free(&proc);
}

/* 2.6.18: 14 columns for disks, 7 for partitions (skipped). */
static void test_old_kernel(void)
{
	struct plugtest_proc proc;
	struct saba_test_host *fh;
	struct window w;
	void *inst = collect_pair(&fh, &proc, "disk-old-a", "disk-old-b", &w, "");

	CU_ASSERT_EQUAL(saba_test_nvalues(fh), 4);
	check_dev(fh, "sda", 50, 100, &w);
	check_dev(fh, "cciss_c0d0", 400, 200, &w);
	CU_ASSERT_FALSE(has_dev(fh, "sda1"));
	CU_ASSERT_FALSE(has_dev(fh, "ram0"));
	plugtest_destroy(disk, fh, inst);
	plugtest_proc_free(&proc);
}

/* ignore matches the sanitised name: "^cciss_" drops cciss/c0d0 */
static void test_ignore(void)
{
	struct plugtest_proc proc;
	struct saba_test_host *fh;
	struct window w;
	void *inst = collect_pair(&fh, &proc, "disk-a", "disk-b", &w,
				  "ignore = \"^(loop|sr)[0-9]|p[0-9]+$|^cciss_\";");

	CU_ASSERT_EQUAL(saba_test_nvalues(fh), 6);
	check_dev(fh, "sda", 100, 300, &w);
	check_dev(fh, "sda1", 100, 300, &w);
	check_dev(fh, "nvme0n1", 5000, 2500, &w);
	CU_ASSERT_FALSE(has_dev(fh, "cciss_c0d0"));
	CU_ASSERT_FALSE(has_dev(fh, "nvme0n1p2"));
	CU_ASSERT_FALSE(has_dev(fh, "loop1"));
	plugtest_destroy(disk, fh, inst);
	plugtest_proc_free(&proc);
}

/* use_mountpoint: a device df lists as mounted is named by its mount point
 * (self/mounts beside each diskstats); ignore still matches the device. */
static void test_use_mountpoint(void)
{
	struct plugtest_proc proc;
	struct saba_test_host *fh;
	struct window w;
	void *inst = collect_pair(&fh, &proc, "disk-a", "disk-b", &w,
				  "use_mountpoint = true; ignore = \"^loop|^sr\";");

	CU_ASSERT_EQUAL(saba_test_nvalues(fh), 12);
	check_dev(fh, "_", 100, 300, &w);      /* sda1 on /, bind-mounted deeper too */
	check_dev(fh, "_tmp", 5000, 2500, &w); /* nvme0n1p2 */
	check_dev(fh, "_var", 40, 20, &w);     /* cciss/c0d0 */
	check_dev(fh, "sda", 100, 300, &w);    /* not mounted: its own name */
	check_dev(fh, "nvme0n1", 5000, 2500, &w);
	check_dev(fh, "nvme0n1p1", 0, 0, &w);
	CU_ASSERT_FALSE(has_dev(fh, "sda1"));
	CU_ASSERT_FALSE(has_dev(fh, "nvme0n1p2"));
	CU_ASSERT_FALSE(has_dev(fh, "cciss_c0d0"));
	CU_ASSERT_FALSE(has_dev(fh, "_var_lib_docker_containers_1f0e_hostname"));
	plugtest_destroy(disk, fh, inst);
	plugtest_proc_free(&proc);

	/* the ignore regex sees "cciss_c0d0", not "_var" */
	inst = collect_pair(&fh, &proc, "disk-a", "disk-b", &w,
			    "use_mountpoint = true; ignore = \"^cciss_|^loop|^sr\";");
	CU_ASSERT_EQUAL(saba_test_nvalues(fh), 10);
	CU_ASSERT_FALSE(has_dev(fh, "_var"));
	check_dev(fh, "_", 100, 300, &w);
	plugtest_destroy(disk, fh, inst);
	plugtest_proc_free(&proc);
}

/* no mount table: device names, as upstream when df fails */
static void test_use_mountpoint_no_mounts(void)
{
	struct plugtest_proc proc;
	struct saba_test_host *fh;
	struct window w;
	void *inst =
		collect_pair(&fh, &proc, "disk-old-a", "disk-old-b", &w, "use_mountpoint = true;");

	CU_ASSERT_EQUAL(saba_test_nvalues(fh), 4);
	check_dev(fh, "sda", 50, 100, &w);
	check_dev(fh, "cciss_c0d0", 400, 200, &w);
	CU_ASSERT_EQUAL(saba_test_log_count(fh, SABA_LOG_ERR, "self/mounts"), 2);
	plugtest_destroy(disk, fh, inst);
	plugtest_proc_free(&proc);
}

static void check_bad_config(const char *cfg, const char *key)
{
	struct saba_test_host *fh = saba_test_host_new(cfg);
	const char *k = NULL;
	void *inst = NULL;

	CU_ASSERT_PTR_NOT_NULL_FATAL(fh);
	CU_ASSERT_EQUAL(saba_test_create(fh, disk, &inst), SABA_INVALID);
	CU_ASSERT_PTR_NULL(inst);
	CU_ASSERT_EQUAL_FATAL(saba_test_nconfig_errors(fh), 1);
	saba_test_config_error_at(fh, 0, &k);
	CU_ASSERT_STRING_EQUAL(k, key);
	saba_test_host_free(fh);
}

static void test_bad_config(void)
{
	check_bad_config("ignore = \"(unclosed\";", "ignore");
	check_bad_config("ignore = 5;", "ignore");
	check_bad_config("sysfs = \"\";", "sysfs");
	check_bad_config("procfs = true;", "procfs");
	check_bad_config("use_mountpoint = 1;", "use_mountpoint");
}

static void test_missing(void)
{
	struct saba_test_host *fh;
	void *inst =
		plugtest_create(disk, &fh, "procfs = \"/nonexistent\"; sysfs = \"/nonexistent\";");

	CU_ASSERT_EQUAL(saba_test_collect(fh, disk, inst), SABA_ERROR);
	CU_ASSERT_EQUAL(saba_test_log_count(fh, SABA_LOG_ERR, "/nonexistent/diskstats"), 1);
	/* no /sys/block (some PaaS): no key, no error, as upstream */
	CU_ASSERT_EQUAL(saba_test_host_spec(fh, disk, inst), SABA_OK);
	CU_ASSERT_EQUAL(saba_test_nspecs(fh), 0);
	plugtest_destroy(disk, fh, inst);
}

static void test_spec(void)
{
	struct saba_test_host *fh;
	void *inst = plugtest_create(disk, &fh, "sysfs = \"%s/\";", plugtest_data("sys"));
	const char *text;

	CU_ASSERT_EQUAL(saba_test_host_spec(fh, disk, inst), SABA_OK);
	text = saba_test_spec(fh, "meta.block_device");
	CU_ASSERT_PTR_NOT_NULL_FATAL(text);
	/* sorted by name; values trimmed; only the files that exist */
	CU_ASSERT_STRING_EQUAL(text,
			       "{\"cciss!c0d0\":{\"size\":\"286677120\",\"removable\":\"0\"},"
			       "\"nvme0n1\":{\"size\":\"1000215216\",\"removable\":\"0\","
			       "\"model\":\"Samsung SSD 970 EVO Plus 500GB\",\"state\":\"live\"},"
			       "\"sda\":{\"size\":\"976773168\",\"removable\":\"0\","
			       "\"model\":\"Samsung SSD 860\",\"rev\":\"4B6Q\","
			       "\"state\":\"running\",\"timeout\":\"30\",\"vendor\":\"ATA\"}}");
	plugtest_destroy(disk, fh, inst);
}

static const struct unit_test tests[] = {
	UNIT_TEST(test_descriptor),
	UNIT_TEST(test_modern),
	UNIT_TEST(test_old_kernel),
	UNIT_TEST(test_ignore),
	UNIT_TEST(test_bad_config),
	UNIT_TEST(test_missing),
	UNIT_TEST(test_spec),
	UNIT_TEST(test_use_mountpoint),
	UNIT_TEST(test_use_mountpoint_no_mounts),
};

int main(void)
{
	return unit_run_suite("disk", tests, sizeof(tests) / sizeof(tests[0]), suite_init,
			      suite_cleanup);
}
