/*
 * plugtest: what the metric plugin tests (test_loadavg, test_memory,
 * test_cpu, test_disk, test_interface, test_filesystem) share on top of
 * libsaba-plugin-test: loading a built module, fixture paths, instances
 * with a config, the procfs setting's checks, and a procfs root that can be
 * switched between two fixture snapshots (a symlink in a temp dir) so a
 * delta plugin sees its counters move.
 *
 * Environment (set by make check):
 *   SABA_PLUGIN_DIR  the built plugins (default <exe dir>/../../../plugins/.libs)
 *   SABA_SRCDIR      the source tree (default <exe dir>/../../..)
 */
#ifndef SABA_TESTS_PLUGTEST_H
#define SABA_TESTS_PLUGTEST_H

#include <stddef.h>

#include <saba/plugin-test.h>

/* Resolve the directories and load module; NULL after printing why. */
const struct saba_plugin *plugtest_load(const char *module, void **dl);

/* "<srcdir>/tests/data/<rel>" (static buffer, valid until the next call). */
const char *plugtest_data(const char *rel);

/* A fake host and an instance of p with the libconfig text cfg (printf
 * format); asserts (fatally) that create works. */
void *plugtest_create(const struct saba_plugin *p, struct saba_test_host **fh, const char *cfg, ...)
	SABA_PRINTF(3, 4);
/* Check the plugin kept to the host API, destroy the instance and host. */
void plugtest_destroy(const struct saba_plugin *p, struct saba_test_host *fh, void *inst);

/* Value of name, asserting that it was emitted. */
double plugtest_value(struct saba_test_host *fh, const char *name);

/* For the plugins whose only setting is procfs (loadavg, memory): the
 * descriptor of a metric source with that one string key. */
void plugtest_check_procfs_descriptor(const struct saba_plugin *p, const char *name);
/* The libconfig text cfg is refused before create() with one config error,
 * naming procfs. */
void plugtest_check_bad_procfs(const struct saba_plugin *p, const char *cfg);

/* A switchable procfs: <tmp>/proc, a copy of a fixture dir. */
struct plugtest_proc {
	char dir[256];	/* the temp dir */
	char link[300]; /* <dir>/proc: put it in the procfs setting */
};
int plugtest_proc_new(struct plugtest_proc *p, const char *fixture);
/* Make it a copy of tests/data/<fixture>, writing each file in place (a
 * plugin keeps its files open, as it does in /proc). */
int plugtest_proc_point(struct plugtest_proc *p, const char *fixture);
void plugtest_proc_free(struct plugtest_proc *p);

/* Seconds on CLOCK_MONOTONIC and a sleep, for bounds on rates. */
double plugtest_now(void);
void plugtest_sleep(double seconds);

#endif
