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

#include <stdio.h>
#include <stdlib.h>

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

#endif /* SABA_TESTS_UNIT_H */
