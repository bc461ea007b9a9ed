/*
 * cmdline: the Windows command line of an argv, checked natively against
 * a parser that follows CommandLineToArgvW's documented rules (2n
 * backslashes and a quote: n backslashes, the quote toggles; 2n+1: n
 * backslashes and a literal quote; backslashes elsewhere as they are).
 * Under Wine, tests/windows/cmdhelper.c checks the same with the real
 * CommandLineToArgvW.  Also the UTF-16 output of `cmd /U`.
 */
#include <stdint.h>

#include "lib/cmdline.h"
#include "unit.h"

#define MAXARGS 16

/* Split line as CommandLineToArgvW does (argv[0]: up to the next quote
 * if it starts with one, else to a blank; no escapes).  Returns argc;
 * the strings are malloc'd. */
static int parse(const char *line, char **argv)
{
	const char *p = line;
	int argc = 0;

	if (*p == '"') {
		const char *end = strchr(p + 1, '"');

		argv[argc++] = strndup(p + 1, (size_t)(end - p - 1));
		p = end + 1;
	} else {
		size_t n = strcspn(p, " \t");

		argv[argc++] = strndup(p, n);
		p += n;
	}
	for (;;) {
		char buf[1024];
		size_t len = 0;
		int quoted = 0;

		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '\0')
			break;
		while (*p != '\0' && (quoted || (*p != ' ' && *p != '\t'))) {
			size_t slashes = 0;

			while (*p == '\\') {
				slashes++;
				p++;
			}
			if (*p == '"') {
				for (size_t i = 0; i < slashes / 2; i++)
					buf[len++] = '\\';
				if (slashes % 2) {
					buf[len++] = '"';
				} else if (quoted && p[1] == '"') {
					/* "" inside quotes: a literal quote */
					buf[len++] = '"';
					p++;
				} else {
					quoted = !quoted;
				}
				p++;
				continue;
			}
			for (size_t i = 0; i < slashes; i++)
				buf[len++] = '\\';
			if (*p != '\0' && (quoted || (*p != ' ' && *p != '\t')))
				buf[len++] = *p++;
		}
		buf[len] = '\0';
		argv[argc++] = strdup(buf);
	}
	return argc;
}

static void roundtrip(const char *const *argv, size_t argc)
{
	char err[256] = "", *line = saba_cmdline_join(argv, argc, 0, err, sizeof(err));
	char *back[MAXARGS];
	int n;

	CU_ASSERT_PTR_NOT_NULL_FATAL(line);
	n = parse(line, back);
	CU_ASSERT_EQUAL(n, (int)argc);
	for (int i = 0; i < n; i++) {
		if (i < (int)argc && strcmp(back[i], argv[i]) != 0) {
			fprintf(stderr, "line %s: argument %d is [%s], not [%s]\n", line, i,
				back[i], argv[i]);
			CU_FAIL("an argument came back different");
		}
		free(back[i]);
	}
	free(line);
}

static void test_plain_and_quoted(void)
{
	const char *argv[] = {"C:\\Program Files\\x.exe", "plain", "a b", "", "tab\there"};
	char err[256], *line = saba_cmdline_join(argv, 5, 0, err, sizeof(err));

	CU_ASSERT_STRING_EQUAL(line,
			       "\"C:\\Program Files\\x.exe\" plain \"a b\" \"\" \"tab\there\"");
	free(line);
	roundtrip(argv, 5);
}

/* Microsoft's examples of the parsing rules, the other way round. */
static void test_backslashes_and_quotes(void)
{
	const char *argv[] = {"x.exe", "a\\\\\\b", "de fg",    "h", "a\\\"b",
			      "c",     "d",	   "a\\\\b c", "d", "e"};
	char err[256], *line = saba_cmdline_join(argv, 10, 0, err, sizeof(err));

	CU_ASSERT_STRING_EQUAL(line, "\"x.exe\" a\\\\\\b \"de fg\" h \"a\\\\\\\"b\" c d "
				     "\"a\\\\b c\" d e");
	free(line);
	roundtrip(argv, 10);
}

static void test_roundtrip_hard_cases(void)
{
	static const char *const cases[] = {
		"back\\slash\\", "x\\\\\"y",  "\"",	    "\\\"",	    "\\\\",
		"a \\\\",	 "q\"uote",   "  lead",	    "trail  ",	    "\\\\server\\share\\",
		"caf\xc3\xa9",	 "%PATH%",    "a&b|c<d>e^", "new\nline",    "\"quoted\"",
		"\\\"\\\\\"",	 "end\\\\\\", "\t",	    "multi  space",
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *argv[] = {"C:\\t\\p.exe", cases[i], "after"};

		roundtrip(argv, 3);
	}
}

static void test_program_name(void)
{
	const char *bad[] = {"a\"b.exe"}, *empty[] = {""};
	char err[256];

	CU_ASSERT_PTR_NULL(saba_cmdline_join(bad, 1, 0, err, sizeof(err)));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "program name"));
	CU_ASSERT_PTR_NULL(saba_cmdline_join(empty, 1, 0, err, sizeof(err)));
}

static void test_batch(void)
{
	const char *ok[] = {"C:\\x.bat", "a b", "c&d", "plain", "e=f", ""};
	const char *pct[] = {"C:\\x.cmd", "100%"}, *quote[] = {"C:\\x.bat", "a\"b"};
	const char *nl[] = {"C:\\x.bat", "a\nb"};
	char err[256], *line = saba_cmdline_join(ok, 6, 1, err, sizeof(err));

	CU_ASSERT_STRING_EQUAL(line, "\"C:\\x.bat\" \"a b\" \"c&d\" plain \"e=f\" \"\"");
	free(line);
	CU_ASSERT_PTR_NULL(saba_cmdline_join(pct, 2, 1, err, sizeof(err)));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "argument 1 of a batch file"));
	CU_ASSERT_PTR_NULL(saba_cmdline_join(quote, 2, 1, err, sizeof(err)));
	CU_ASSERT_PTR_NULL(saba_cmdline_join(nl, 2, 1, err, sizeof(err)));
	/* the same arguments go to a program as they are */
	line = saba_cmdline_join(pct, 2, 0, err, sizeof(err));
	CU_ASSERT_STRING_EQUAL(line, "\"C:\\x.cmd\" 100%");
	free(line);
	CU_ASSERT_TRUE(saba_cmdline_is_batch("C:\\dir\\RUN.BAT"));
	CU_ASSERT_TRUE(saba_cmdline_is_batch("x.Cmd"));
	CU_ASSERT_FALSE(saba_cmdline_is_batch("x.exe"));
	CU_ASSERT_FALSE(saba_cmdline_is_batch("bat"));
	CU_ASSERT_FALSE(saba_cmdline_is_batch("x.bats"));
}

/* UTF-16LE bytes of the code units u[0..n). */
static size_t utf16(const uint16_t *u, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = (char)(u[i] & 0xff);
		out[2 * i + 1] = (char)(u[i] >> 8);
	}
	return 2 * n;
}

static void test_utf16(void)
{
	/* "ok é €" U+1F600 CR LF */
	static const uint16_t u[] = {'o', 'k', ' ', 0xe9, ' ', 0x20ac, 0xd83d, 0xde00, '\r', '\n'};
	char buf[64], *text = NULL;
	size_t len = utf16(u, sizeof(u) / sizeof(u[0]), buf), n = 0;

	CU_ASSERT_EQUAL(saba_cmdline_utf16_text(buf, len, &text, &n), 1);
	CU_ASSERT_EQUAL(n, strlen("ok \xc3\xa9 \xe2\x82\xac\xf0\x9f\x98\x80\r\n"));
	CU_ASSERT_STRING_EQUAL(text, "ok \xc3\xa9 \xe2\x82\xac\xf0\x9f\x98\x80\r\n");
	free(text);
}

static void test_utf16_bad_surrogates(void)
{
	static const uint16_t u[] = {'a', 0xd800, 'b', 0xdc00, 0xd83d};
	char buf[16], *text = NULL;
	size_t len = utf16(u, 5, buf), n = 0;

	CU_ASSERT_EQUAL(saba_cmdline_utf16_text(buf, len, &text, &n), 1);
	CU_ASSERT_STRING_EQUAL(text, "a\xef\xbf\xbd"
				     "b\xef\xbf\xbd\xef\xbf\xbd");
	free(text);
}

/* Bytes are kept as they are unless mackerel-agent's test says UTF-16:
 * an even length and a NUL byte. */
static void test_not_utf16(void)
{
	char *text = NULL;
	size_t n = 0;

	CU_ASSERT_EQUAL(saba_cmdline_utf16_text("name 1 2\n", 9, &text, &n), 0);
	CU_ASSERT_EQUAL(saba_cmdline_utf16_text("name 1 2\r\n", 10, &text, &n), 0);
	CU_ASSERT_EQUAL(saba_cmdline_utf16_text("a\0b", 3, &text, &n), 0);
	CU_ASSERT_EQUAL(saba_cmdline_utf16_text("", 0, &text, &n), 0);
	CU_ASSERT_PTR_NULL(text);
}

static const struct unit_test tests[] = {
	UNIT_TEST(test_plain_and_quoted),
	UNIT_TEST(test_backslashes_and_quotes),
	UNIT_TEST(test_roundtrip_hard_cases),
	UNIT_TEST(test_program_name),
	UNIT_TEST(test_batch),
	UNIT_TEST(test_utf16),
	UNIT_TEST(test_utf16_bad_surrogates),
	UNIT_TEST(test_not_utf16),
};

int main(void)
{
	return UNIT_RUN("cmdline", tests);
}
