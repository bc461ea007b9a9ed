/*
 * plugtest: shared setup of the metric plugin tests (see plugtest.h).
 */
#define _GNU_SOURCE /* vasprintf */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

#include "plugtest.h"
#include "unit.h"

/* Directories of this process, resolved once by the first load. */
static char srcdir[PATH_MAX + 64];
static char plugindir[PATH_MAX + 64];

static void plugtest_dirs(void)
{
	char exe[PATH_MAX], def[PATH_MAX + 64];
	ssize_t n;
	char *slash;

	if (srcdir[0] != '\0')
		return;
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	exe[n > 0 ? n : 0] = '\0';
	slash = strrchr(exe, '/');
	if (slash != NULL)
		*slash = '\0';
	else
		snprintf(exe, sizeof(exe), ".");
	snprintf(def, sizeof(def), "%s/../../../plugins/.libs", exe);
	snprintf(plugindir, sizeof(plugindir), "%s", unit_env("SABA_PLUGIN_DIR", def));
	snprintf(def, sizeof(def), "%s/../../..", exe);
	snprintf(srcdir, sizeof(srcdir), "%s", unit_env("SABA_SRCDIR", def));
}

const struct saba_plugin *plugtest_load(const char *module, void **dl)
{
	char path[PATH_MAX + 128];
	const struct saba_plugin *p;

	plugtest_dirs();
	/* the dir goes into libconfig text unescaped */
	if (strpbrk(srcdir, "\"\\") != NULL) {
		fprintf(stderr, "plugtest: SABA_SRCDIR must not contain quotes or backslashes\n");
		return NULL;
	}
	snprintf(path, sizeof(path), "%s/%s.so", plugindir, module);
	p = saba_test_load(path, dl);
	if (p == NULL)
		fprintf(stderr, "plugtest: cannot load %s\n", path);
	return p;
}

const char *plugtest_data(const char *rel)
{
	static char buf[PATH_MAX + 400];

	plugtest_dirs();
	snprintf(buf, sizeof(buf), "%s/tests/data/%s", srcdir, rel);
	return buf;
}

void *plugtest_create(const struct saba_plugin *p, struct saba_test_host **fh, const char *cfg, ...)
{
	va_list ap;
	char *text;
	void *inst = NULL;

	va_start(ap, cfg);
	if (vasprintf(&text, cfg, ap) < 0)
		abort();
	va_end(ap);
	*fh = saba_test_host_new(text);
	free(text);
	CU_ASSERT_PTR_NOT_NULL_FATAL(*fh);
	CU_ASSERT_EQUAL_FATAL(saba_test_create(*fh, p, &inst), SABA_OK);
	CU_ASSERT_PTR_NOT_NULL_FATAL(inst);
	return inst;
}

void plugtest_destroy(const struct saba_plugin *p, struct saba_test_host *fh, void *inst)
{
	CU_ASSERT_EQUAL(saba_test_misuse(fh), 0);
	CU_ASSERT_EQUAL(saba_test_ndropped(fh), 0);
	p->destroy(inst);
	saba_test_host_free(fh);
}

double plugtest_value(struct saba_test_host *fh, const char *name)
{
	double v = -1;

	if (!saba_test_value(fh, name, &v))
		fprintf(stderr, "plugtest: %s was not emitted\n", name);
	CU_ASSERT_TRUE(saba_test_value(fh, name, NULL));
	return v;
}

void plugtest_check_procfs_descriptor(const struct saba_plugin *p, const char *name)
{
	CU_ASSERT_EQUAL(p->abi_major, SABA_PLUGIN_ABI_MAJOR);
	CU_ASSERT_EQUAL(p->struct_size, sizeof(struct saba_plugin));
	CU_ASSERT_STRING_EQUAL(p->name, name);
	CU_ASSERT_PTR_NOT_NULL(p->version);
	CU_ASSERT_PTR_NOT_NULL(p->description);
	CU_ASSERT_PTR_NULL(p->config_keys);
	CU_ASSERT_PTR_NOT_NULL_FATAL(p->settings);
	CU_ASSERT_STRING_EQUAL(p->settings[0].name, "procfs");
	CU_ASSERT_EQUAL(p->settings[0].type, SABA_CFG_STRING);
	CU_ASSERT_STRING_EQUAL(p->settings[0].def, "\"/proc\"");
	CU_ASSERT_PTR_NULL(p->settings[1].name);
	CU_ASSERT_PTR_NOT_NULL(p->create);
	CU_ASSERT_PTR_NOT_NULL(p->destroy);
	CU_ASSERT_PTR_NOT_NULL(p->collect);
	/* metric sources only: not a trigger, no background work */
	CU_ASSERT_PTR_NULL(p->start);
	CU_ASSERT_PTR_NULL(p->shutdown);
	CU_ASSERT_PTR_NULL(p->confirm_retire);
}

void plugtest_check_bad_procfs(const struct saba_plugin *p, const char *cfg)
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

/* Copy the file from to to, into to's inode when it exists. */
static int plugtest_copy_file(const char *from, const char *to)
{
	char buf[8192];
	int in = open(from, O_RDONLY | O_CLOEXEC), out = -1, rc = -1;
	ssize_t n;

	if (in < 0)
		return -1;
	out = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (out < 0)
		goto done;
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, (size_t)n) != n)
			goto done;
	rc = n == 0 ? 0 : -1;
done:
	if (out >= 0)
		close(out);
	close(in);
	return rc;
}

/* Make the tree at to hold what the one at from holds: files written in
 * place, files from lacks removed. */
static int plugtest_sync_tree(const char *from, const char *to)
{
	char a[PATH_MAX], b[PATH_MAX];
	struct dirent *e;
	struct stat st;
	DIR *d;
	int rc = 0;

	if (mkdir(to, 0755) != 0 && errno != EEXIST)
		return -1;
	d = opendir(from);
	if (d == NULL)
		return -1;
	while (rc == 0 && (e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		snprintf(a, sizeof(a), "%s/%s", from, e->d_name);
		snprintf(b, sizeof(b), "%s/%s", to, e->d_name);
		if (stat(a, &st) != 0)
			rc = -1;
		else if (S_ISDIR(st.st_mode))
			rc = plugtest_sync_tree(a, b);
		else
			rc = plugtest_copy_file(a, b);
	}
	closedir(d);
	d = opendir(to);
	if (d == NULL)
		return -1;
	while (rc == 0 && (e = readdir(d)) != NULL) {
		snprintf(a, sizeof(a), "%s/%s", from, e->d_name);
		snprintf(b, sizeof(b), "%s/%s", to, e->d_name);
		if (lstat(b, &st) == 0 && !S_ISDIR(st.st_mode) && access(a, F_OK) != 0)
			rc = unlink(b);
	}
	closedir(d);
	return rc;
}

static int plugtest_rm(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

int plugtest_proc_new(struct plugtest_proc *p, const char *fixture)
{
	const char *tmp = unit_env("TMPDIR", "/tmp");

	snprintf(p->dir, sizeof(p->dir), "%s/plugtest-XXXXXX", tmp);
	if (mkdtemp(p->dir) == NULL) {
		perror("plugtest: mkdtemp");
		return -1;
	}
	snprintf(p->link, sizeof(p->link), "%s/proc", p->dir);
	return plugtest_proc_point(p, fixture);
}

int plugtest_proc_point(struct plugtest_proc *p, const char *fixture)
{
	/* in place, as procfs changes: a plugin that keeps its files open
	 * reads the new text */
	if (plugtest_sync_tree(plugtest_data(fixture), p->link) != 0) {
		perror("plugtest: copying the fixture");
		return -1;
	}
	return 0;
}

void plugtest_proc_free(struct plugtest_proc *p)
{
	nftw(p->dir, plugtest_rm, 16, FTW_DEPTH | FTW_PHYS);
}

double plugtest_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void plugtest_sleep(double seconds)
{
	struct timespec ts = {(time_t)seconds, (long)((seconds - (double)(time_t)seconds) * 1e9)};

	while (nanosleep(&ts, &ts) != 0)
		;
}
