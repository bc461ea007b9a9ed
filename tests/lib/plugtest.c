/*
 * plugtest: shared setup of the metric plugin tests (see plugtest.h).
 */
#define _GNU_SOURCE /* vasprintf */

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
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
	char next[sizeof(p->link) + 8];

	/* rename() over the old link: the plugin never sees it missing */
	snprintf(next, sizeof(next), "%s.next", p->link);
	unlink(next);
	if (symlink(plugtest_data(fixture), next) != 0 || rename(next, p->link) != 0) {
		perror("plugtest: symlink");
		return -1;
	}
	return 0;
}

void plugtest_proc_free(struct plugtest_proc *p)
{
	unlink(p->link);
	rmdir(p->dir);
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
