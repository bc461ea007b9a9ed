/*
 * What the fuzz targets share.
 *
 * Each tests/fuzz/fuzz_<name>.c defines LLVMFuzzerTestOneInput() and is
 * linked either with libFuzzer (`make fuzz`, clang, sanitizers) or with
 * replay.c, a main() that runs the target's corpus and regression files
 * through it once (`make check`, any compiler).  A target that finds a
 * plugin or the core breaking a rule no input may break (the host API's,
 * an id file that does not match the host in use, ...) calls fuzz_fail(),
 * which aborts: to libFuzzer that is a crash like any other.
 *
 * Inputs with several parts (two snapshots for a delta plugin, the answers
 * of a run of API calls) separate them with a line "%%".
 */
#ifndef SABA_TESTS_FUZZ_H
#define SABA_TESTS_FUZZ_H

#include <stddef.h>
#include <stdint.h>

#include <saba/plugin.h>

struct saba_test_host;

/* The entry point of every target (libFuzzer's name). */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* One part of an input: not NUL-terminated. */
struct fuzz_part {
	const char *data;
	size_t len;
};

/* Split data at "%%" lines into at most max parts (the last one keeps any
 * further separators).  A part keeps the newline before its separator.
 * Returns the number of parts, at least 1. */
size_t fuzz_split(const uint8_t *data, size_t size, struct fuzz_part *parts, size_t max);

/* A NUL-terminated copy of a part (aborts when out of memory). */
char *fuzz_str(const struct fuzz_part *p);

/* The process's scratch directory, made on first use under $TMPDIR (or
 * /tmp) and removed at exit. */
const char *fuzz_dir(void);
/* Write a part to <fuzz_dir>/<rel>, making the directories on the way;
 * aborts on failure. */
void fuzz_write(const char *rel, const struct fuzz_part *p);

/* A fake host (log lines not echoed) for the instance config text given
 * as a printf format; aborts when the text does not parse. */
struct saba_test_host *fuzz_host(const char *fmt, ...) SABA_PRINTF(1, 2);
/* Create an instance of plugin; aborts unless create() works. */
void *fuzz_create(struct saba_test_host *fh, const struct saba_plugin *plugin);
/* Abort when the plugin broke the host API's rules (emitted a bad name or
 * outside collect(), set invalid spec JSON, ...) or, with finite_only,
 * emitted NaN or an infinity: those are bugs whatever the input. */
void fuzz_host_check(struct saba_test_host *fh, int finite_only);

/* Two collect()s of a delta plugin instance, <fuzz_dir>/<rel> holding
 * snap[0], then snap[1]: the first one and a failed one emit nothing, and
 * every value is named <prefix>... and not negative.  The values of the
 * second stay in the fake host for the caller's own checks. */
void fuzz_delta(struct saba_test_host *fh, const struct saba_plugin *plugin, void *inst,
		const char *rel, const struct fuzz_part snap[2], const char *prefix);

/* Print the broken rule and abort(). */
void fuzz_fail(const char *fmt, ...) SABA_PRINTF(1, 2) __attribute__((noreturn));

#endif
