/*
 * Regular expression settings (plugins/lib/pattern.c): the RE2 syntax
 * mackerel-agent's users write matches what Go's regexp matches, a pattern
 * PCRE2 refuses is a config error naming the offset, and a pattern that
 * backtracks without end gives up instead of stalling a collection.
 */
#include <saba/plugin-test.h>

#include "lib/pattern.h"
#include "unit.h"

/* Does pattern match s?  The pattern must compile. */
static int matches(const char *pattern, const char *s)
{
	struct saba_regex *re = NULL;
	char err[256];
	int m;

	if (saba_regex_compile(pattern, &re, err, sizeof(err)) != 0) {
		fprintf(stderr, "%s\n", err);
		CU_FAIL("the pattern did not compile");
		return -1;
	}
	m = saba_regex_match(re, s);
	saba_regex_free(re);
	return m;
}

/* The example of mackerel-agent's documentation for include_pattern. */
static void test_mysql_innodb(void)
{
	static const char *const yes[] = {"mysql.innodb.0", "mysql.innodb.12.pages",
					  "mysql.innodb.3rows"};
	static const char *const no[] = {"mysql.innodb.buffer_pool", "mysql.innodb.d",
					 "mysql.innodbX1",	     "xmysql.innodb.1",
					 "MYSQL.innodb.1",	     "mysql.innodb."};

	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
		CU_ASSERT_EQUAL(matches("^mysql\\.innodb\\.\\d+", yes[i]), 1);
	for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++)
		CU_ASSERT_EQUAL(matches("^mysql\\.innodb\\.\\d+", no[i]), 0);
}

/* \w, \s, (?i), non-greedy repeats, named groups, \A and \z, Unicode
 * classes: RE2 syntax POSIX regcomp refuses or reads differently. */
static void test_re2_syntax(void)
{
	CU_ASSERT_EQUAL(matches("^\\w+$", "eth0_1"), 1);
	CU_ASSERT_EQUAL(matches("^\\w+$", "eth0.1"), 0);
	CU_ASSERT_EQUAL(matches("a\\sb", "a\tb"), 1);
	CU_ASSERT_EQUAL(matches("(?i)^docker", "Docker0"), 1);
	CU_ASSERT_EQUAL(matches("^a.*?b$", "a-b-b"), 1);
	CU_ASSERT_EQUAL(matches("^(?P<dev>sd[a-z])\\d*$", "sdb12"), 1);
	CU_ASSERT_EQUAL(matches("\\Aloop\\d\\z", "loop7"), 1);
	CU_ASSERT_EQUAL(matches("^\\pL+$", "caf\xc3\xa9"), 1);
	CU_ASSERT_EQUAL(matches("[[:digit:]]", "ram0"), 1);
}

/* Where PCRE2's defaults differ from Go: $ is the very end (not before a
 * final newline), \d is ASCII only, . is one character of UTF-8. */
static void test_go_semantics(void)
{
	CU_ASSERT_EQUAL(matches("abc$", "abc\n"), 0);
	CU_ASSERT_EQUAL(matches("(?m)abc$", "abc\n"), 1);
	CU_ASSERT_EQUAL(matches("\\d", "\xd9\xa3"), 0); /* ARABIC-INDIC DIGIT THREE */
	CU_ASSERT_EQUAL(matches("^.$", "\xc3\xa9"), 1);
	/* invalid UTF-8 in the subject is no error: the rest still matches */
	CU_ASSERT_EQUAL(matches("abc", "\xff\xfe"
				       "abc"),
			1);
	CU_ASSERT_EQUAL(matches("^x$", "\xff"), 0);
}

/* A pattern PCRE2 refuses: the reason and the offset. */
static void test_bad_pattern(void)
{
	static const struct {
		const char *pattern, *offset;
	} bad[] = {
		{"(unclosed", "offset 9"},
		{"a)", "offset 1"},
		{"[z-a]", "offset 3"},
		{"\\C", "offset 2"},
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct saba_regex *re = (struct saba_regex *)&re;
		char err[256];

		CU_ASSERT_EQUAL(saba_regex_compile(bad[i].pattern, &re, err, sizeof(err)), -1);
		CU_ASSERT_PTR_NULL(re);
		CU_ASSERT_PTR_NOT_NULL(strstr(err, bad[i].offset));
		CU_ASSERT_PTR_NOT_NULL(strstr(err, bad[i].pattern));
	}
}

/* Catastrophic backtracking stops at the match limit: no match, no hang. */
static void test_backtracking_bounded(void)
{
	char s[64];

	memset(s, 'a', sizeof(s) - 2);
	s[sizeof(s) - 2] = '!';
	s[sizeof(s) - 1] = '\0';
	CU_ASSERT_EQUAL(matches("^(a+)+$", s), 0);
	CU_ASSERT_EQUAL(matches("^(a+)+!$", s), 1);
}

/* --- the setting, through the fake host --- */

static struct saba_regex *probe_re;
static int probe_rc;

static const struct saba_config_key probe_keys[] = {
	{"ignore", SABA_CFG_STRING, "the setting under test"},
	{NULL, 0, NULL},
};

static int probe_create(const struct saba_host *host, saba_ctx *ctx, void **instance)
{
	probe_rc = saba_regex_setting(host, ctx, "ignore", &probe_re);
	*instance = NULL;
	return probe_rc;
}

static const struct saba_plugin probe_plugin = {
	SABA_PLUGIN_HEADER,
	.name = "probe",
	.version = "1",
	.description = "reads ignore",
	.config_keys = probe_keys,
	.create = probe_create,
};

static const struct saba_plugin *probe_entry(void)
{
	return &probe_plugin;
}

static struct saba_test_host *run(const char *cfg)
{
	struct saba_test_host *th = saba_test_host_new(cfg);
	const struct saba_plugin *p;
	void *dl, *inst = NULL;

	CU_ASSERT_PTR_NOT_NULL_FATAL(th);
	saba_test_set_echo(th, 0);
	p = saba_test_load_entry(probe_entry, &dl);
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	probe_re = NULL;
	CU_ASSERT_EQUAL(saba_test_create(th, p, &inst), probe_rc);
	CU_ASSERT_EQUAL(saba_test_misuse(th), 0);
	saba_test_unload(dl);
	return th;
}

static void test_setting(void)
{
	struct saba_test_host *th = run("ignore = \"^loop\\\\d+$\";");

	CU_ASSERT_EQUAL(probe_rc, SABA_OK);
	CU_ASSERT_EQUAL(saba_regex_match(probe_re, "loop12"), 1);
	CU_ASSERT_EQUAL(saba_regex_match(probe_re, "sda"), 0);
	saba_regex_free(probe_re);
	saba_test_host_free(th);

	/* absent: NULL, which matches nothing */
	th = run(NULL);
	CU_ASSERT_EQUAL(probe_rc, SABA_OK);
	CU_ASSERT_PTR_NULL(probe_re);
	CU_ASSERT_EQUAL(saba_regex_match(probe_re, ""), 0);
	saba_test_host_free(th);
}

/* A refused pattern is one config error on the key, with the offset. */
static void test_setting_bad(void)
{
	struct saba_test_host *th = run("\n\nignore = \"^(sd|loop\";");
	const char *key = NULL, *msg;

	CU_ASSERT_EQUAL(probe_rc, SABA_INVALID);
	CU_ASSERT_PTR_NULL(probe_re);
	CU_ASSERT_EQUAL_FATAL(saba_test_nconfig_errors(th), 1);
	msg = saba_test_config_error_at(th, 0, &key);
	CU_ASSERT_STRING_EQUAL(key, "ignore");
	CU_ASSERT_PTR_NOT_NULL(strstr(msg, "at offset 9"));
	saba_test_host_free(th);

	th = run("ignore = 5;");
	CU_ASSERT_EQUAL(probe_rc, SABA_INVALID);
	CU_ASSERT_EQUAL(saba_test_nconfig_errors(th), 1);
	saba_test_host_free(th);
}

static const struct unit_test tests[] = {
	UNIT_TEST(test_mysql_innodb),	      UNIT_TEST(test_re2_syntax),
	UNIT_TEST(test_go_semantics),	      UNIT_TEST(test_bad_pattern),
	UNIT_TEST(test_backtracking_bounded), UNIT_TEST(test_setting),
	UNIT_TEST(test_setting_bad),
};

int main(void)
{
	return UNIT_RUN("pattern", tests);
}
