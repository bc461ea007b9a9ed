/*
 * The plugin loader (ABI checks, file ownership and mode checks, the
 * defensive descriptor copy) and instance creation from a config.
 *
 * Environment: SABA_TEST_PLUGIN_DIR, the built tests/core/fixtures/.libs.
 */
#define _GNU_SOURCE

#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "conf.h"
#include "instance.h"
#include "loader.h"
#include "runtime.h"
#include "unit.h"

static char tmpdir[] = "/tmp/saba-test-loader.XXXXXX";
static char plugdir[PATH_MAX];
static char conf_path[sizeof(tmpdir) + 32];
static char err_path[sizeof(tmpdir) + 32];

/* ------------------------------------------------------------------ */
/* fixtures                                                             */

static int write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (f == NULL)
		return -1;
	fputs(text, f);
	return fclose(f) == 0 ? 0 : -1;
}

static int copy_file(const char *from, const char *to, mode_t mode)
{
	FILE *in = fopen(from, "rb"), *out = fopen(to, "wb");
	char buf[8192];
	size_t n;
	int rc = 0;

	if (in == NULL || out == NULL)
		rc = -1;
	while (rc == 0 && (n = fread(buf, 1, sizeof(buf), in)) > 0)
		if (fwrite(buf, 1, n, out) != n)
			rc = -1;
	if (in != NULL)
		fclose(in);
	if (out != NULL && fclose(out) != 0)
		rc = -1;
	return rc == 0 ? chmod(to, mode) : -1;
}

static int64_t unit_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int saved_stderr = -1;

/* Send fd 2 to err_path until capture_end(), which returns what was written. */
static void capture_begin(void)
{
	saved_stderr = unit_capture_begin(err_path);
}

static char *capture_end(void)
{
	char *text = unit_capture_end(err_path, saved_stderr);

	saved_stderr = -1;
	return text;
}

static int suite_init(void)
{
	if (mkdtemp(tmpdir) == NULL)
		return -1;
	unit_path(conf_path, sizeof(conf_path), tmpdir, "saba.conf");
	unit_path(err_path, sizeof(err_path), tmpdir, "stderr.txt");
	unit_test_plugin_dir(plugdir, sizeof(plugdir));
	return 0;
}

static int suite_cleanup(void)
{
	unlink(conf_path);
	unlink(err_path);
	return rmdir(tmpdir);
}

/* Open, expecting failure; the message must contain every word. */
static void expect_refused(const char *dir, const char *name, const char *const *words)
{
	char err[1024] = "";
	struct saba_module *m = saba_module_open(dir, name, err, sizeof(err));

	CU_ASSERT_PTR_NULL(m);
	saba_module_close(m);
	for (; *words != NULL; words++) {
		if (strstr(err, *words) == NULL)
			fprintf(stderr, "%s: message lacks \"%s\": %s\n", name, *words, err);
		CU_ASSERT_PTR_NOT_NULL(strstr(err, *words));
	}
}

/* ------------------------------------------------------------------ */
/* saba_module_open                                                     */

static void test_open_good(void)
{
	char err[1024] = "", caps[128];
	struct saba_module *m = saba_module_open(plugdir, "good", err, sizeof(err));

	if (m == NULL)
		fprintf(stderr, "good: %s\n", err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	CU_ASSERT_STRING_EQUAL(m->name, "good");
	CU_ASSERT_PTR_NOT_NULL(strstr(m->path, "good.so"));
	CU_ASSERT_EQUAL(m->refs, 1);
	CU_ASSERT_EQUAL(m->desc.abi_major, SABA_PLUGIN_ABI_MAJOR);
	CU_ASSERT_STRING_EQUAL(m->desc.name, "good");
	CU_ASSERT_STRING_EQUAL(m->desc.version, "1.0");
	CU_ASSERT_PTR_NOT_NULL(m->desc.create);
	CU_ASSERT_PTR_NOT_NULL(m->desc.collect);
	CU_ASSERT_PTR_NOT_NULL(m->desc.config_keys);
	saba_module_caps(&m->desc, caps, sizeof(caps));
	CU_ASSERT_PTR_NOT_NULL(strstr(caps, "collect"));
	CU_ASSERT_PTR_NOT_NULL(strstr(caps, "host_spec"));
	CU_ASSERT_PTR_NULL(strstr(caps, "shutdown"));
	saba_module_close(m);
}

static void test_open_bad_major(void)
{
	const char *words[] = {"bad_major.so", "major 2", "major 1", NULL};

	expect_refused(plugdir, "bad_major", words);
}

static void test_open_no_entry(void)
{
	const char *words[] = {"no_entry.so", "saba_plugin_entry", NULL};

	expect_refused(plugdir, "no_entry", words);
}

static void test_open_short_struct(void)
{
	char err[1024] = "", caps[128];
	struct saba_module *m = saba_module_open(plugdir, "short_struct", err, sizeof(err));

	if (m == NULL)
		fprintf(stderr, "short_struct: %s\n", err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	CU_ASSERT_STRING_EQUAL(m->desc.name, "short_struct");
	CU_ASSERT_PTR_NOT_NULL(m->desc.create);
	CU_ASSERT_PTR_NOT_NULL(m->desc.collect);
	CU_ASSERT_PTR_NULL(m->desc.host_spec);
	CU_ASSERT_PTR_NULL(m->desc.start);
	CU_ASSERT_PTR_NULL(m->desc.stop);
	CU_ASSERT_PTR_NULL(m->desc.shutdown);
	CU_ASSERT_PTR_NULL(m->desc.confirm_retire);
	CU_ASSERT_PTR_NULL(m->desc.service_main);
	saba_module_caps(&m->desc, caps, sizeof(caps));
	CU_ASSERT_STRING_EQUAL(caps, "collect");
	saba_module_close(m);
}

static void test_open_missing(void)
{
	char path[PATH_MAX + 32];
	const char *words[] = {path, NULL};

	snprintf(path, sizeof(path), "%s/nonexistent.so", plugdir);
	expect_refused(plugdir, "nonexistent", words);
}

/* A copy of good.so in tmpdir: loads when 0644, refused when writable by
 * the group, when a symlink, or when owned by another user. */
static void test_open_file_checks(void)
{
	char src[PATH_MAX + 32], copy[sizeof(tmpdir) + 32], link[sizeof(tmpdir) + 32];
	char err[1024] = "";
	const char *writable[] = {copy, "writable", NULL};
	const char *symlinked[] = {link, "not a regular file", NULL};
	const char *owned[] = {copy, "owned by", NULL};
	struct saba_module *m;

	snprintf(src, sizeof(src), "%s/good.so", plugdir);
	unit_path(copy, sizeof(copy), tmpdir, "copy.so");
	unit_path(link, sizeof(link), tmpdir, "link.so");
	CU_ASSERT_EQUAL_FATAL(copy_file(src, copy, 0644), 0);

	/* control: the copy itself is fine */
	m = saba_module_open(tmpdir, "copy", err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL(m);
	saba_module_close(m);

	CU_ASSERT_EQUAL(chmod(copy, 0664), 0);
	expect_refused(tmpdir, "copy", writable);
	CU_ASSERT_EQUAL(chmod(copy, 0646), 0);
	expect_refused(tmpdir, "copy", writable);
	CU_ASSERT_EQUAL(chmod(copy, 0644), 0);

	CU_ASSERT_EQUAL(symlink(copy, link), 0);
	expect_refused(tmpdir, "link", symlinked);
	unlink(link);

	if (geteuid() == 0) {
		CU_ASSERT_EQUAL(chown(copy, 65534, 65534), 0);
		expect_refused(tmpdir, "copy", owned);
	} else {
		fprintf(stderr, "not root: cannot chown; \"owned by\" check skipped\n");
	}
	unlink(copy);
}

/* The directories: the plugin directory and every one above it must be
 * writable by nobody but root and the agent (a sticky /tmp excepted). */
static void test_open_dir_checks(void)
{
	char src[PATH_MAX + 32], sub[sizeof(tmpdir) + 32], dir[sizeof(tmpdir) + 64];
	char copy[sizeof(tmpdir) + 96], err[1024] = "";
	const char *dir_writable[] = {dir, "writable", NULL};
	const char *sub_writable[] = {sub, "writable", NULL};
	const char *dir_owned[] = {dir, "owned by", NULL};
	struct saba_module *m;

	snprintf(src, sizeof(src), "%s/good.so", plugdir);
	unit_path(sub, sizeof(sub), tmpdir, "sub");
	unit_path(dir, sizeof(dir), sub, "plugins");
	unit_path(copy, sizeof(copy), dir, "copy.so");
	CU_ASSERT_EQUAL_FATAL(mkdir(sub, 0755), 0);
	CU_ASSERT_EQUAL_FATAL(mkdir(dir, 0755), 0);
	CU_ASSERT_EQUAL_FATAL(copy_file(src, copy, 0644), 0);

	/* control: below a sticky /tmp and 0755 directories it loads */
	m = saba_module_open(dir, "copy", err, sizeof(err));
	if (m == NULL)
		fprintf(stderr, "copy: %s\n", err);
	CU_ASSERT_PTR_NOT_NULL(m);
	saba_module_close(m);

	CU_ASSERT_EQUAL(chmod(dir, 0775), 0);
	expect_refused(dir, "copy", dir_writable);
	/* sticky is no excuse for the plugin directory itself */
	CU_ASSERT_EQUAL(chmod(dir, 01777), 0);
	expect_refused(dir, "copy", dir_writable);
	CU_ASSERT_EQUAL(chmod(dir, 0755), 0);
	/* a directory above that others may write: they could swap ours */
	CU_ASSERT_EQUAL(chmod(sub, 0777), 0);
	expect_refused(dir, "copy", sub_writable);
	CU_ASSERT_EQUAL(chmod(sub, 0755), 0);
	if (geteuid() == 0) {
		CU_ASSERT_EQUAL(chown(dir, 65534, 65534), 0);
		expect_refused(dir, "copy", dir_owned);
		CU_ASSERT_EQUAL(chown(dir, 0, 0), 0);
	} else {
		fprintf(stderr, "not root: cannot chown; \"owned by\" check skipped\n");
	}
	unlink(copy);
	rmdir(dir);
	rmdir(sub);
}

struct swapper {
	const char *dir;
	volatile int stop;
	unsigned long swaps;
};

/* What a user who can write the directory does: swap good.so and a link
 * to another plugin, as fast as it can. */
static void *swap_main(void *arg)
{
	struct swapper *sw = arg;

	while (!sw->stop) {
		if (renameat2(AT_FDCWD, "swap.so", AT_FDCWD, "evil.so", RENAME_EXCHANGE) == 0)
			sw->swaps++;
	}
	return NULL;
}

/* The file checked is the file loaded: a swap between the check and the
 * load never loads what was not checked. */
static void test_open_swap_race(void)
{
	char src[PATH_MAX + 32], evil[PATH_MAX + 32], cwd[PATH_MAX], err[1024];
	struct swapper sw = {.dir = tmpdir};
	int loaded_good = 0, loaded_evil = 0, refused = 0;
	int64_t until;
	pthread_t t;

	snprintf(src, sizeof(src), "%s/good.so", plugdir);
	snprintf(evil, sizeof(evil), "%s/short_struct.so", plugdir);
	CU_ASSERT_PTR_NOT_NULL_FATAL(getcwd(cwd, sizeof(cwd)));
	CU_ASSERT_EQUAL_FATAL(chdir(tmpdir), 0);
	CU_ASSERT_EQUAL_FATAL(copy_file(src, "swap.so", 0644), 0);
	CU_ASSERT_EQUAL_FATAL(symlink(evil, "evil.so"), 0);
	CU_ASSERT_EQUAL_FATAL(pthread_create(&t, NULL, swap_main, &sw), 0);
	until = unit_now_ms() + 3000;
	for (int i = 0; i < 20000 && unit_now_ms() < until; i++) {
		struct saba_module *m = saba_module_open(tmpdir, "swap", err, sizeof(err));

		if (m == NULL)
			refused++;
		else if (strcmp(m->desc.name, "good") == 0)
			loaded_good++;
		else
			loaded_evil++;
		saba_module_close(m);
	}
	sw.stop = 1;
	pthread_join(t, NULL);
	fprintf(stderr, "swap race: %lu swaps, good %d, refused %d, other %d\n", sw.swaps,
		loaded_good, refused, loaded_evil);
	CU_ASSERT(sw.swaps > 100);
	CU_ASSERT(loaded_good > 0);
	CU_ASSERT_EQUAL(loaded_evil, 0);
	unlink("swap.so");
	unlink("evil.so");
	CU_ASSERT_EQUAL(chdir(cwd), 0);
}

/* ------------------------------------------------------------------ */
/* saba_instances_create                                                */

struct created {
	struct saba_runtime rt;
	struct saba_conf *conf;
	struct saba_instances set;
	char *err; /* captured stderr */
	int problems;
};

/* Write "plugin_dir = ...; plugins = { <plugins> };" and create. */
static int create(struct created *x, const char *plugins)
{
	char text[PATH_MAX + 1024];
	int rc;

	memset(x, 0, sizeof(*x));
	saba_runtime_init(&x->rt);
	snprintf(text, sizeof(text), "plugin_dir = \"%s\";\nplugins = {\n%s};\n", plugdir, plugins);
	if (write_file(conf_path, text) != 0)
		abort();
	capture_begin();
	rc = saba_conf_load(conf_path, NULL, &x->conf);
	if (rc == 0)
		x->problems = saba_instances_create(&x->rt, x->conf, &x->set);
	x->err = capture_end();
	if (rc != 0)
		fprintf(stderr, "config problems: %s\n", x->err);
	return rc;
}

static void destroy(struct created *x)
{
	if (x->problems == 0 && x->set.v != NULL)
		saba_instances_destroy(&x->set);
	saba_conf_free(x->conf);
	saba_runtime_destroy(&x->rt);
	free(x->err);
}

/* "<conf>:<line>:" is in the captured stderr */
static int has_line(const struct created *x, int line)
{
	char want[sizeof(conf_path) + 16];

	snprintf(want, sizeof(want), "%s:%d:", conf_path, line);
	if (strstr(x->err, want) != NULL)
		return 1;
	fprintf(stderr, "wanted %s in: %s\n", want, x->err);
	return 0;
}

static void test_create_two_share_module(void)
{
	struct created x;

	CU_ASSERT_EQUAL_FATAL(create(&x, "  a = { module = \"good\"; };\n"
					 "  b = { module = \"good\"; value = 1.5; };\n"),
			      0);
	CU_ASSERT_EQUAL(x.problems, 0);
	CU_ASSERT_EQUAL_FATAL(x.set.n, 2);
	CU_ASSERT_PTR_EQUAL(x.set.v[0]->mod, x.set.v[1]->mod);
	CU_ASSERT_EQUAL(x.set.v[0]->mod->refs, 2);
	CU_ASSERT_STRING_EQUAL(x.set.v[0]->label, "good/a");
	CU_ASSERT_PTR_NOT_NULL(x.set.v[0]->state);
	CU_ASSERT_PTR_NOT_NULL(x.set.v[1]->state);
	CU_ASSERT_PTR_EQUAL(x.set.v[1]->rt, &x.rt);
	destroy(&x);
}

static void test_create_fails_cleans_up(void)
{
	struct created x;

	CU_ASSERT_EQUAL_FATAL(create(&x, "  good = { };\n"
					 "  cf = { module = \"create_fails\"; };\n"),
			      0);
	CU_ASSERT(x.problems > 0);
	CU_ASSERT_EQUAL(x.set.n, 0); /* the good instance was destroyed again */
	CU_ASSERT_PTR_NULL(x.set.v);
	CU_ASSERT(has_line(&x, 4)); /* the cf line */
	CU_ASSERT_PTR_NOT_NULL(strstr(x.err, "deliberate failure"));
	destroy(&x);
}

static void test_create_unknown_key(void)
{
	struct created x;

	CU_ASSERT_EQUAL_FATAL(create(&x, "  g = {\n"
					 "    module = \"good\";\n"
					 "    colour = \"red\";\n"
					 "  };\n"),
			      0);
	CU_ASSERT(x.problems > 0);
	CU_ASSERT_EQUAL(x.set.n, 0);
	CU_ASSERT(has_line(&x, 5));
	CU_ASSERT_PTR_NOT_NULL(strstr(x.err, "colour"));
	destroy(&x);
}

static void test_create_wrong_type(void)
{
	struct created x;

	CU_ASSERT_EQUAL_FATAL(create(&x, "  good = {\n"
					 "    value = \"x\";\n"
					 "  };\n"),
			      0);
	CU_ASSERT(x.problems > 0);
	CU_ASSERT_EQUAL(x.set.n, 0);
	CU_ASSERT(has_line(&x, 4));
	CU_ASSERT_PTR_NOT_NULL(strstr(x.err, "value"));
	destroy(&x);
}

static void test_create_missing_module(void)
{
	struct created x;

	CU_ASSERT_EQUAL_FATAL(create(&x, "  good = { };\n  nope = { };\n"), 0);
	CU_ASSERT(x.problems > 0);
	CU_ASSERT_EQUAL(x.set.n, 0);
	CU_ASSERT(has_line(&x, 4));
	CU_ASSERT_PTR_NOT_NULL(strstr(x.err, "nope.so"));
	destroy(&x);
}

static const struct unit_test tests[] = {
	UNIT_TEST(test_open_good),
	UNIT_TEST(test_open_bad_major),
	UNIT_TEST(test_open_no_entry),
	UNIT_TEST(test_open_short_struct),
	UNIT_TEST(test_open_missing),
	UNIT_TEST(test_open_file_checks),
	UNIT_TEST(test_open_dir_checks),
	UNIT_TEST(test_open_swap_race),
	UNIT_TEST(test_create_two_share_module),
	UNIT_TEST(test_create_fails_cleans_up),
	UNIT_TEST(test_create_unknown_key),
	UNIT_TEST(test_create_wrong_type),
	UNIT_TEST(test_create_missing_module),
};

int main(void)
{
	return unit_run_suite("loader", tests, sizeof(tests) / sizeof(tests[0]), suite_init,
			      suite_cleanup);
}
