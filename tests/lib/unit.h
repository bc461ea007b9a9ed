/*
 * Shared helpers for the CUnit test programs.  Header only.
 *
 *	static void test_parse(void) { CU_ASSERT_EQUAL(parse("1"), 1); }
 *
 *	static const struct unit_test tests[] = {
 *		UNIT_TEST(test_parse),
 *	};
 *
 *	int main(void) { return UNIT_RUN("parse", tests); }
 *
 * Exit status follows automake's test protocol: 0 all passed, 1 a test
 * failed, 77 skipped, 99 the framework itself failed.
 */
#ifndef SABA_TESTS_UNIT_H
#define SABA_TESTS_UNIT_H

#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <CUnit/Basic.h>

#define UNIT_EXIT_PASS 0
#define UNIT_EXIT_FAIL 1
#define UNIT_EXIT_SKIP 77
#define UNIT_EXIT_HARD 99

struct unit_test {
	const char *name;
	CU_TestFunc fn;
};

/* { "test_parse", test_parse } */
/* clang-format off */
#define UNIT_TEST(fn) {#fn, fn}
/* clang-format on */

/* Run an array of struct unit_test as one suite, without fixtures. */
#define UNIT_RUN(suite, tests)                                                                     \
	unit_run_suite((suite), (tests), sizeof(tests) / sizeof((tests)[0]), NULL, NULL)

/*
 * Register tests[0..n) as one suite with optional init/cleanup (which
 * return 0 on success), run it verbosely and return the exit status.  A
 * failing init counts as a failure: every test of the suite is then skipped.
 */
static inline int unit_run_suite(const char *suite_name, const struct unit_test *tests, size_t n,
				 CU_InitializeFunc init, CU_CleanupFunc cleanup)
{
	CU_pSuite suite;
	int failed;

	if (CU_initialize_registry() != CUE_SUCCESS) {
		fprintf(stderr, "CUnit: %s\n", CU_get_error_msg());
		return UNIT_EXIT_HARD;
	}
	suite = CU_add_suite(suite_name, init, cleanup);
	if (suite == NULL)
		goto hard;
	for (size_t i = 0; i < n; i++) {
		if (CU_add_test(suite, tests[i].name, tests[i].fn) == NULL)
			goto hard;
	}
	CU_basic_set_mode(CU_BRM_VERBOSE);
	if (CU_basic_run_tests() != CUE_SUCCESS && CU_get_error() != CUE_SINIT_FAILED &&
	    CU_get_error() != CUE_SCLEAN_FAILED)
		goto hard;
	failed = CU_get_number_of_failures() != 0 || CU_get_number_of_suites_failed() != 0 ||
		 CU_get_number_of_tests_failed() != 0;
	CU_cleanup_registry();
	return failed ? UNIT_EXIT_FAIL : UNIT_EXIT_PASS;
hard:
	fprintf(stderr, "CUnit: %s\n", CU_get_error_msg());
	CU_cleanup_registry();
	return UNIT_EXIT_HARD;
}

/* getenv(name), or fallback when unset or empty. */
static inline const char *unit_env(const char *name, const char *fallback)
{
	const char *v = getenv(name);

	return v != NULL && *v != '\0' ? v : fallback;
}

/* Join dir and a relative path into buf; returns buf, or aborts when the
 * result does not fit (a test setup error, not a test failure). */
static inline char *unit_path(char *buf, size_t len, const char *dir, const char *rel)
{
	int n = snprintf(buf, len, "%s/%s", dir, rel);

	if (n < 0 || (size_t)n >= len) {
		fprintf(stderr, "unit_path: %s/%s is too long\n", dir, rel);
		abort();
	}
	return buf;
}

/* A whole (small) file as a malloc'd string; "" when unreadable. */
static inline char *unit_read_all(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = calloc(1, 65536);
	size_t n = 0;

	if (f != NULL) {
		n = fread(buf, 1, 65535, f);
		fclose(f);
	}
	buf[n] = '\0';
	return buf;
}

/* Send fd 2 to path until unit_capture_end(), which restores it and
 * returns what was written.  Returns the saved descriptor. */
static inline int unit_capture_begin(const char *path)
{
	int saved, fd;

	fflush(stderr);
	saved = dup(2);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	dup2(fd, 2);
	close(fd);
	return saved;
}

static inline char *unit_capture_end(const char *path, int saved)
{
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	return unit_read_all(path);
}

/* The test plugins: $SABA_TEST_PLUGIN_DIR, else fixtures/.libs beside
 * this test program. */
static inline void unit_test_plugin_dir(char *buf, size_t len)
{
	char exe[PATH_MAX], *slash;
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	exe[n > 0 ? n : 0] = '\0';
	slash = strrchr(exe, '/');
	if (slash != NULL)
		*slash = '\0';
	snprintf(buf, len, "%s",
		 unit_env("SABA_TEST_PLUGIN_DIR",
			  strncat(exe, "/fixtures/.libs", sizeof(exe) - strlen(exe) - 1)));
}

/* A table case's answer got must be want, and its evidence text must hold
 * part; a mismatch also prints the case (number i) to stderr. */
#define UNIT_CHECK_CASE(i, got, want, evidence, part)                                              \
	do {                                                                                       \
		int unit_got_ = (got), unit_want_ = (want);                                        \
		const char *unit_ev_ = (evidence), *unit_part_ = (part);                           \
                                                                                                   \
		if (unit_got_ != unit_want_ || strstr(unit_ev_, unit_part_) == NULL)               \
			fprintf(stderr, "case %zu: %d, not %d: \"%s\" (wanted \"%s\")\n",          \
				(size_t)(i), unit_got_, unit_want_, unit_ev_, unit_part_);         \
		CU_ASSERT_EQUAL(unit_got_, unit_want_);                                            \
		CU_ASSERT_PTR_NOT_NULL(strstr(unit_ev_, unit_part_));                              \
	} while (0)

#endif /* SABA_TESTS_UNIT_H */
