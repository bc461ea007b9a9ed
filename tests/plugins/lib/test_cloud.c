/*
 * The cloud plugins' shared readers (plugins/lib/cloud_token.c,
 * cloud_text.c) over tables: which token answers give a bearer token (and
 * never a token that could break the header it goes into), and what an
 * error answer says in the log.
 */
#include <saba/plugin.h>

#include "lib/cloud_text.h"
#include "lib/cloud_token.h"
#include "unit.h"

static void test_token_parse(void)
{
	static const struct {
		const char *body;
		const char *token; /* NULL: refused */
		long expires;
	} cases[] = {
		{"{\"access_token\": \"ya29.a0-Af_b~c+d/e=\", \"expires_in\": 3599, "
		 "\"token_type\": \"Bearer\"}",
		 "ya29.a0-Af_b~c+d/e=", 3599},
		{"{\"access_token\": \"eyJ0.x\", \"expires_in\": \"3599\", \"expires_on\": "
		 "\"1506484173\", \"token_type\": \"Bearer\"}",
		 "eyJ0.x", 3599},
		{"{\"access_token\": \"t\", \"token_type\": \"bearer\"}", "t", 0},
		{"{\"access_token\": \"t\"}", "t", 0},
		{"{\"access_token\": \"t\", \"expires_in\": -5}", "t", 0},
		{"{\"access_token\": \"t\", \"expires_in\": \"12x\"}", "t", 0},
		{"{\"access_token\": \"t\", \"expires_in\": 99999999999}", "t", 0},
		{"{\"access_token\": \"t\", \"token_type\": \"MAC\"}", NULL, 0},
		{"{\"access_token\": \"\"}", NULL, 0},
		{"{\"access_token\": \"a b\"}", NULL, 0},
		{"{\"access_token\": \"a\\r\\nX-Evil: 1\"}", NULL, 0},
		{"{\"access_token\": \"a:b\"}", NULL, 0},
		{"{\"access_token\": 5}", NULL, 0},
		{"{\"error\": \"invalid_request\", \"error_description\": \"Identity not found\"}",
		 NULL, 0},
		{"[]", NULL, 0},
		{"", NULL, 0},
		{NULL, NULL, 0},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *token = (char *)"unset", err[200] = "";
		long expires = -1;
		int rc = saba_cloud_token_parse(cases[i].body,
						cases[i].body ? strlen(cases[i].body) : 0, &token,
						&expires, err, sizeof(err));

		if (cases[i].token == NULL) {
			CU_ASSERT_EQUAL(rc, -1);
			CU_ASSERT_PTR_NULL(token);
			/* the answer's text never reaches the error */
			CU_ASSERT_PTR_NULL(strstr(err, "Evil"));
			continue;
		}
		CU_ASSERT_EQUAL_FATAL(rc, 0);
		CU_ASSERT_STRING_EQUAL(token, cases[i].token);
		CU_ASSERT_EQUAL(expires, cases[i].expires);
		free(token);
	}
}

static void test_api_error(void)
{
	static const struct {
		long status;
		const char *body, *key, *want;
	} cases[] = {
		{403,
		 "{\"error\": {\"code\": 403, \"status\": \"PERMISSION_DENIED\", \"message\": "
		 "\"Required 'compute.instances.get'\"}}",
		 "status", "HTTP 403 PERMISSION_DENIED: Required 'compute.instances.get'"},
		{403, "{\"error\": {\"code\": \"AuthorizationFailed\", \"message\": \"no\"}}",
		 "code", "HTTP 403 AuthorizationFailed: no"},
		{400, "{\"error\": \"Bad request. Required metadata header not specified\"}",
		 "code", "HTTP 400: Bad request. Required metadata header not specified"},
		{400,
		 "{\"error\": \"invalid_request\", \"error_description\": \"Identity not found\"}",
		 "code", "HTTP 400 invalid_request: Identity not found"},
		{500, "<html>oops</html>", "code", "HTTP 500"},
		{502, NULL, "code", "HTTP 502"},
		{401, "{\"error\": {\"code\": \"X\\u0007\", \"message\": \"a\\nb\"}}", "code",
		 "HTTP 401 X?: a?b"},
		{-1, NULL, "code", "no answer"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char err[256];

		saba_cloud_api_error(cases[i].status, cases[i].body,
				     cases[i].body ? strlen(cases[i].body) : 0, cases[i].key, err,
				     sizeof(err));
		if (strcmp(err, cases[i].want) != 0)
			fprintf(stderr, "case %zu: \"%s\"\n", i, err);
		CU_ASSERT_STRING_EQUAL(err, cases[i].want);
	}
}

static void test_text(void)
{
	char out[80];

	saba_cloud_printable("a\tb\x01\xff", out, sizeof(out));
	CU_ASSERT_STRING_EQUAL(out, "a?b??");
	saba_cloud_printable(NULL, out, sizeof(out));
	CU_ASSERT_STRING_EQUAL(out, "");
	saba_cloud_printable("abcdef", out, 4);
	CU_ASSERT_STRING_EQUAL(out, "abc");
	CU_ASSERT_EQUAL(saba_cloud_chomp("x\r\n\n", 4), 1);
	CU_ASSERT_STRING_EQUAL(saba_cloud_last_segment("projects/1/zones/z-a"), "z-a");
	CU_ASSERT_STRING_EQUAL(saba_cloud_last_segment("plain"), "plain");
	CU_ASSERT(saba_cloud_token_ok("abc-1", 5, SABA_CLOUD_LOWER_DIGITS "-"));
	CU_ASSERT(!saba_cloud_token_ok("abc-12", 5, SABA_CLOUD_LOWER_DIGITS "-"));
	CU_ASSERT(!saba_cloud_token_ok("", 5, SABA_CLOUD_LOWER_DIGITS));
	CU_ASSERT(!saba_cloud_token_ok("aB", 5, SABA_CLOUD_LOWER_DIGITS));
}

static const struct unit_test tests[] = {
	UNIT_TEST(test_token_parse),
	UNIT_TEST(test_api_error),
	UNIT_TEST(test_text),
};

int main(void)
{
	return UNIT_RUN("cloud", tests);
}
