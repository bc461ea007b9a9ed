/*
 * The Mackerel API client's helpers (core/api.c): query escaping.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "unit.h"

static void check_escape(const char *in, const char *want)
{
	char *got = saba_api_escape(in);

	CU_ASSERT_PTR_NOT_NULL_FATAL(got);
	if (strcmp(got, want) != 0)
		fprintf(stderr, "saba_api_escape(\"%s\") = \"%s\", want \"%s\"\n", in, got, want);
	CU_ASSERT_STRING_EQUAL(got, want);
	free(got);
}

static void test_escape(void)
{
	check_escape("", "");
	check_escape("abcXYZ019-_.~", "abcXYZ019-_.~");
	check_escape("a b/c?d=e&f", "a%20b%2Fc%3Fd%3De%26f");
	check_escape("100%+", "100%25%2B");
	check_escape("\xc3\xa9", "%C3%A9"); /* é in UTF-8 */
}

static const struct unit_test tests[] = {
	UNIT_TEST(test_escape),
};

int main(void)
{
	return UNIT_RUN("api", tests);
}
