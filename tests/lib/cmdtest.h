/*
 * cmdtest: what test_exec and test_check share on top of libsaba-plugin-test: the
 * built module, the fixture commands in tests/data/commands/, clocks, and
 * checks for leaked descriptors and unreaped children.  Header only.
 *
 * Environment (set by make check):
 *   SABA_PLUGIN_DIR  the built plugins (default <exe dir>/../../../plugins/.libs)
 *   SABA_SRCDIR      the source tree (default <exe dir>/../../..)
 */
#ifndef SABA_TESTS_CMDTEST_H
#define SABA_TESTS_CMDTEST_H

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <saba/plugin-test.h>
#include "unit.h"

struct cmdtest {
	char srcdir[PATH_MAX + 64];
	char plugindir[PATH_MAX + 64];
	char path[PATH_MAX + 128]; /* cmdtest_script()'s answer */
	const struct saba_plugin *plugin;
	void *dl;
};

/* Resolve the directories and load module; 0 or -1 after printing why. */
static inline int cmdtest_init(struct cmdtest *t, const char *module)
{
	char exe[PATH_MAX], def[PATH_MAX + 32], so[PATH_MAX + 128];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	char *slash;

	exe[n > 0 ? n : 0] = '\0';
	slash = strrchr(exe, '/');
	if (slash == NULL)
		snprintf(exe, sizeof(exe), ".");
	else
		*slash = '\0';
	snprintf(def, sizeof(def), "%s/../../../plugins/.libs", exe);
	snprintf(t->plugindir, sizeof(t->plugindir), "%s", unit_env("SABA_PLUGIN_DIR", def));
	snprintf(def, sizeof(def), "%s/../../..", exe);
	snprintf(t->srcdir, sizeof(t->srcdir), "%s", unit_env("SABA_SRCDIR", def));
	/* paths go into libconfig text unescaped */
	if (strpbrk(t->srcdir, "\"\\") != NULL) {
		fprintf(stderr, "cmdtest: SABA_SRCDIR must not contain quotes or backslashes\n");
		return -1;
	}
	snprintf(so, sizeof(so), "%s/%s.so", t->plugindir, module);
	t->plugin = saba_test_load(so, &t->dl);
	if (t->plugin == NULL) {
		fprintf(stderr, "cmdtest: cannot load %s\n", so);
		return -1;
	}
	return 0;
}

static inline void cmdtest_cleanup(struct cmdtest *t)
{
	saba_test_unload(t->dl);
	t->dl = NULL;
}

/* "<srcdir>/tests/data/commands/<name>" (valid until the next call). */
static inline const char *cmdtest_script(struct cmdtest *t, const char *name)
{
	char rel[128];

	snprintf(rel, sizeof(rel), "tests/data/commands/%s", name);
	return unit_path(t->path, sizeof(t->path), t->srcdir, rel);
}

/* Seconds on CLOCK_MONOTONIC. */
static inline double cmdtest_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static inline void cmdtest_sleep(double seconds)
{
	struct timespec ts = {(time_t)seconds, (long)((seconds - (double)(time_t)seconds) * 1e9)};

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* Open descriptors of this process. */
static inline int cmdtest_nfds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	if (d == NULL)
		return -1;
	while ((e = readdir(d)) != NULL)
		n += e->d_name[0] != '.';
	closedir(d);
	return n - 1; /* the DIR's own */
}

/* 1 when this process has no child left, zombie or alive. */
static inline int cmdtest_no_children(void)
{
	return waitpid(-1, NULL, WNOHANG) < 0 && errno == ECHILD;
}

/* 1 when pid is gone or a zombie (killed, waiting for its reaper). */
static inline int cmdtest_gone(pid_t pid)
{
	char path[64], buf[256], *p;
	FILE *fp;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fp = fopen(path, "r");
	if (fp == NULL)
		return 1;
	n = fread(buf, 1, sizeof(buf) - 1, fp);
	fclose(fp);
	buf[n] = '\0';
	p = strrchr(buf, ')');
	return p != NULL && (p[2] == 'Z' || p[2] == 'X');
}

/* Wait up to timeout seconds for n check reports; 1 when they came. */
static inline int cmdtest_wait_checks(struct saba_test_host *fh, size_t n, double timeout)
{
	double end = cmdtest_now() + timeout;

	while (saba_test_nchecks(fh) < n && cmdtest_now() < end)
		cmdtest_sleep(0.005);
	return saba_test_nchecks(fh) >= n;
}

/* Wait up to timeout seconds for n log lines as saba_test_log_count()
 * counts them; 1 when they came. */
static inline int cmdtest_wait_log(struct saba_test_host *fh, size_t n, int max_level,
				   const char *needle, double timeout)
{
	double end = cmdtest_now() + timeout;

	while (saba_test_log_count(fh, max_level, needle) < n && cmdtest_now() < end)
		cmdtest_sleep(0.005);
	return saba_test_log_count(fh, max_level, needle) >= n;
}

#endif /* SABA_TESTS_CMDTEST_H */
