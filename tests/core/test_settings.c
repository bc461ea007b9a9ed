/*
 * A plugin's declared settings (core/settings.c): the rules of a table and
 * its defaults, each configured value checked against its entry with one
 * line naming key, value and what is allowed, and the words `plugins`
 * shows.
 */
#include <stdio.h>
#include <string.h>

#include <libconfig.h>

#include "settings.h"
#include "unit.h"

static const char *const colours[] = {"red", "green", NULL};

/* What every refused duration adds. */
#define MINUTES_ALLOWED                                                                            \
	" (allowed: an integer of minutes or a duration of whole minutes such as \"1h30m\", 0 to " \
	"2147483647)"
#define SECONDS_ALLOWED                                                                            \
	" (allowed: an integer of seconds or a duration of whole seconds such as \"1m30s\", 0 to " \
	"2147483647)"

static const struct saba_setting good[] = {
	{.name = "timeout", .type = SABA_CFG_INT, .def = "30", .min = 1, .max = 3600},
	{.name = "ratio", .type = SABA_CFG_FLOAT, .def = "0.5", .min = 0, .max = 1},
	{.name = "colour", .type = SABA_CFG_STRING, .def = "\"red\"", .allowed = colours},
	{.name = "colours", .type = SABA_CFG_STRING_LIST, .def = "[\"green\"]", .allowed = colours},
	{.name = "root", .type = SABA_CFG_STRING, .flags = SABA_SETTING_NONEMPTY},
	{.name = "at_least", .type = SABA_CFG_INT, .min = 10, .max = SABA_SETTING_UNBOUNDED},
	{.name = "command", .type = SABA_CFG_STRING_OR_LIST, .flags = SABA_SETTING_REQUIRED},
	{.name = "on", .type = SABA_CFG_BOOL, .def = "true"},
	{.name = "every",
	 .type = SABA_CFG_INT,
	 .def = "1",
	 .min = 1,
	 .max = 60,
	 .flags = SABA_SETTING_MINUTES},
	{.name = "wait",
	 .type = SABA_CFG_INT,
	 .min = 1,
	 .max = 3600,
	 .flags = SABA_SETTING_SECONDS},
	{.name = NULL},
};

static const struct saba_config_key old_keys[] = {
	{"path", SABA_CFG_STRING, "a path"},
	{NULL, 0, NULL},
};

/* A descriptor with settings (or, when settings is NULL, old_keys). */
static struct saba_plugin desc_of(const struct saba_setting *settings)
{
	struct saba_plugin d = {SABA_PLUGIN_HEADER, .name = "probe"};

	if (settings != NULL)
		d.settings = settings;
	else
		d.config_keys = old_keys;
	return d;
}

/* Init from settings; returns 0 or -1, the error in err. */
static int init(const struct saba_setting *settings, struct saba_settings *s, char *err, size_t len)
{
	struct saba_plugin d = desc_of(settings);

	err[0] = '\0';
	return saba_settings_init(s, &d, err, len);
}

static void test_defaults(void)
{
	struct saba_settings s;
	char err[512];
	config_setting_t *d;

	CU_ASSERT_EQUAL_FATAL(init(good, &s, err, sizeof(err)), 0);
	d = saba_settings_default(&s, "timeout");
	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	CU_ASSERT_EQUAL(config_setting_get_int(d), 30);
	d = saba_settings_default(&s, "colours");
	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	CU_ASSERT_STRING_EQUAL(config_setting_get_string_elem(d, 0), "green");
	CU_ASSERT_PTR_NULL(saba_settings_default(&s, "root"));
	CU_ASSERT_PTR_NULL(saba_settings_default(&s, "nosuch"));
	CU_ASSERT_PTR_NOT_NULL(saba_settings_find(&s, "command"));
	CU_ASSERT_PTR_NULL(saba_settings_find(&s, "nosuch"));
	saba_settings_free(&s);
}

/* An older plugin's config_keys: names and types, no defaults. */
static void test_from_config_keys(void)
{
	struct saba_settings s;
	char err[512];
	const struct saba_setting *k;

	CU_ASSERT_EQUAL_FATAL(init(NULL, &s, err, sizeof(err)), 0);
	k = saba_settings_find(&s, "path");
	CU_ASSERT_PTR_NOT_NULL_FATAL(k);
	CU_ASSERT_EQUAL(k->type, SABA_CFG_STRING);
	CU_ASSERT_STRING_EQUAL(k->description, "a path");
	CU_ASSERT_PTR_NULL(saba_settings_default(&s, "path"));
	saba_settings_free(&s);
}

/* A table that breaks its own rules is refused, saying which entry. */
static void test_bad_tables(void)
{
	static const struct saba_setting twice[] = {
		{.name = "a", .type = SABA_CFG_INT},
		{.name = "a", .type = SABA_CFG_INT},
		{.name = NULL},
	};
	static const struct saba_setting no_type[] = {{.name = "a"}, {.name = NULL}};
	static const struct saba_setting bad_name[] = {
		{.name = "a b", .type = SABA_CFG_INT},
		{.name = NULL},
	};
	static const struct saba_setting range_on_string[] = {
		{.name = "a", .type = SABA_CFG_STRING, .min = 1, .max = 2},
		{.name = NULL},
	};
	static const struct saba_setting allowed_on_int[] = {
		{.name = "a", .type = SABA_CFG_INT, .allowed = colours},
		{.name = NULL},
	};
	static const struct saba_setting required_default[] = {
		{.name = "a", .type = SABA_CFG_INT, .def = "1", .flags = SABA_SETTING_REQUIRED},
		{.name = NULL},
	};
	static const struct saba_setting unparsable[] = {
		{.name = "a", .type = SABA_CFG_INT, .def = "1"},
		{.name = "b", .type = SABA_CFG_STRING, .def = "unquoted"},
		{.name = NULL},
	};
	static const struct saba_setting wrong_type[] = {
		{.name = "a", .type = SABA_CFG_INT, .def = "\"1\""},
		{.name = NULL},
	};
	static const struct saba_setting out_of_range[] = {
		{.name = "a", .type = SABA_CFG_INT, .def = "0", .min = 1, .max = 60},
		{.name = NULL},
	};
	static const struct saba_setting duration_on_string[] = {
		{.name = "a", .type = SABA_CFG_STRING, .flags = SABA_SETTING_MINUTES},
		{.name = NULL},
	};
	static const struct saba_setting both_units[] = {
		{.name = "a",
		 .type = SABA_CFG_INT,
		 .flags = SABA_SETTING_MINUTES | SABA_SETTING_SECONDS},
		{.name = NULL},
	};
	static const struct saba_setting bad_duration_default[] = {
		{.name = "a",
		 .type = SABA_CFG_INT,
		 .def = "\"90s\"",
		 .flags = SABA_SETTING_MINUTES},
		{.name = NULL},
	};
	static const struct saba_setting not_allowed[] = {
		{.name = "a", .type = SABA_CFG_STRING, .def = "\"blue\"", .allowed = colours},
		{.name = NULL},
	};
	static const struct {
		const struct saba_setting *table;
		const char *err;
	} cases[] = {
		{twice, "setting \"a\" is declared twice"},
		{no_type, "setting \"a\": unknown type 0"},
		{bad_name, "setting \"a b\": not a valid name"},
		{range_on_string, "setting \"a\": a range needs a number type and min < max"},
		{allowed_on_int, "setting \"a\": allowed values need a string type"},
		{required_default, "setting \"a\": required, yet with a default"},
		{unparsable, "setting \"b\": default unquoted is not a config value"},
		{wrong_type, "setting \"a\": its default does not pass: \"a\" must be an integer"},
		{out_of_range, "setting \"a\": its default does not pass: a = 0 is out of range "
			       "(allowed: 1 to 60)"},
		{not_allowed, "setting \"a\": its default does not pass: a = \"blue\" is not "
			      "allowed (allowed: \"red\", \"green\")"},
		{duration_on_string,
		 "setting \"a\": a duration is an integer of minutes or seconds"},
		{both_units, "setting \"a\": a duration is an integer of minutes or seconds"},
		{bad_duration_default, "setting \"a\": its default does not pass: a = \"90s\": "
				       "duration not multiple of 1m: 90s" MINUTES_ALLOWED},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct saba_settings s;
		char err[512];

		CU_ASSERT_EQUAL(init(cases[i].table, &s, err, sizeof(err)), -1);
		if (strncmp(err, cases[i].err, strlen(cases[i].err)) != 0)
			fprintf(stderr, "case %zu: \"%s\", want \"%s...\"\n", i, err, cases[i].err);
		CU_ASSERT_EQUAL(strncmp(err, cases[i].err, strlen(cases[i].err)), 0);
		saba_settings_free(&s);
	}
}

/* Check "<key> = <value>;" against the entry of key in good[]: 0, or -1
 * with the message in msg. */
static int check(const char *text, char *msg, size_t len)
{
	struct saba_settings s;
	config_t cfg;
	config_setting_t *v;
	char err[512];
	int rc;

	msg[0] = '\0';
	CU_ASSERT_EQUAL_FATAL(init(good, &s, err, sizeof(err)), 0);
	config_init(&cfg);
	CU_ASSERT_EQUAL_FATAL(config_read_string(&cfg, text), CONFIG_TRUE);
	v = config_setting_get_elem(config_root_setting(&cfg), 0);
	rc = saba_settings_check(saba_settings_find(&s, config_setting_name(v)), v, msg, len);
	config_destroy(&cfg);
	saba_settings_free(&s);
	return rc;
}

static void test_values(void)
{
	static const char *const fine[] = {
		"timeout = 1;",	     "timeout = 3600;",
		"timeout = 60L;",    "ratio = 0;",
		"ratio = 0.25;",     "colour = \"green\";",
		"colours = [];",     "colours = [\"red\", \"green\"];",
		"root = \"/\";",     "at_least = 1000000;",
		"command = \"ls\";", "command = [\"ls\", \"\"];",
		"on = false;",	     "every = 60;",
		"every = \"1h\";",   "every = \"45m\";",
		"every = \".5h\";",  "wait = \"1m30s\";",
		"wait = 3600;",
	};
	static const struct {
		const char *text, *msg;
	} bad[] = {
		{"timeout = 0;", "timeout = 0 is out of range (allowed: 1 to 3600)"},
		{"timeout = 4294967297L;",
		 "timeout = 4294967297 is out of range (allowed: 1 to 3600)"},
		{"timeout = \"30\";", "\"timeout\" must be an integer"},
		{"timeout = 1.5;", "\"timeout\" must be an integer"},
		{"ratio = 1.5;", "ratio = 1.5 is out of range (allowed: 0 to 1)"},
		{"ratio = 2;", "ratio = 2 is out of range (allowed: 0 to 1)"},
		{"colour = \"blue\";",
		 "colour = \"blue\" is not allowed (allowed: \"red\", \"green\")"},
		{"colours = [\"red\", \"blue\"];",
		 "colours: \"blue\" is not allowed (allowed: \"red\", \"green\")"},
		{"colours = \"red\";", "\"colours\" must be a list of strings"},
		{"root = \"\";", "root = \"\" is not allowed (must not be empty)"},
		{"at_least = 9;", "at_least = 9 is out of range (allowed: 10 or more)"},
		{"command = 5;", "\"command\" must be a string or a list of strings"},
		{"on = 1;", "\"on\" must be true or false"},
		{"every = \"90s\";",
		 "every = \"90s\": duration not multiple of 1m: 90s" MINUTES_ALLOWED},
		{"every = \"2h\";", "every = \"2h\" (120) is out of range (allowed: 1 to 60)"},
		{"every = \"-1m\";", "every = \"-1m\": duration out of range: -1m" MINUTES_ALLOWED},
		{"every = \"-5\";", "every = \"-5\": duration out of range: -5" MINUTES_ALLOWED},
		{"every = \"\";",
		 "every = \"\": \"\" is neither an integer nor a duration" MINUTES_ALLOWED},
		{"every = \"3000000000\";",
		 "every = \"3000000000\": \"3000000000\" is out of range" MINUTES_ALLOWED},
		{"every = true;", "\"every\" must be an integer"},
		{"wait = \"soon\";",
		 "wait = \"soon\": \"soon\" is neither an integer nor a duration" SECONDS_ALLOWED},
		{"wait = \"5d\";",
		 "wait = \"5d\": \"5d\" is neither an integer nor a duration" SECONDS_ALLOWED},
		{"wait = \"1500ms\";",
		 "wait = \"1500ms\": duration not multiple of 1s: 1500ms" SECONDS_ALLOWED},
		{"wait = \"2147483648s\";",
		 "wait = \"2147483648s\": duration out of range: 2147483648s" SECONDS_ALLOWED},
	};
	char msg[512];

	for (size_t i = 0; i < sizeof(fine) / sizeof(fine[0]); i++) {
		if (check(fine[i], msg, sizeof(msg)) != 0)
			fprintf(stderr, "%s: refused: %s\n", fine[i], msg);
		CU_ASSERT_EQUAL(check(fine[i], msg, sizeof(msg)), 0);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CU_ASSERT_EQUAL(check(bad[i].text, msg, sizeof(msg)), -1);
		if (strcmp(msg, bad[i].msg) != 0)
			fprintf(stderr, "%s: \"%s\", want \"%s\"\n", bad[i].text, msg, bad[i].msg);
		CU_ASSERT_STRING_EQUAL(msg, bad[i].msg);
	}
}

/* What config_int hands a plugin for a duration. */
static void test_int_of_duration(void)
{
	static const struct {
		const char *text;
		long long want;
	} cases[] = {
		{"every = \"1h30m\";", 90},
		{"every = 7;", 7},
		{"wait = \"2m\";", 120},
		{"wait = \"45\";", 45},
		{"wait = 3000000000L;", 3000000000LL},
	};
	struct saba_settings s;
	char err[512], msg[256];

	CU_ASSERT_EQUAL_FATAL(init(good, &s, err, sizeof(err)), 0);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		config_t cfg;
		config_setting_t *v;
		long long out = -1;

		config_init(&cfg);
		CU_ASSERT_EQUAL_FATAL(config_read_string(&cfg, cases[i].text), CONFIG_TRUE);
		v = config_setting_get_elem(config_root_setting(&cfg), 0);
		CU_ASSERT_EQUAL(saba_settings_int(saba_settings_find(&s, config_setting_name(v)), v,
						  &out, msg, sizeof(msg)),
				0);
		CU_ASSERT_EQUAL(out, cases[i].want);
		config_destroy(&cfg);
	}
	saba_settings_free(&s);
}

static void test_describe(void)
{
	static const struct {
		const char *name, *want;
	} cases[] = {
		{"timeout", "an integer, 1 to 3600; default 30"},
		{"ratio", "a number, 0 to 1; default 0.5"},
		{"colour", "a string, one of \"red\", \"green\"; default \"red\""},
		{"colours",
		 "a list of strings, each one of \"red\", \"green\"; default [\"green\"]"},
		{"root", "a string, not empty"},
		{"at_least", "an integer, 10 or more"},
		{"command", "a string or a list of strings; required"},
		{"on", "true or false; default true"},
		{"every", "an integer of minutes or a duration (\"1h30m\"), 1 to 60; default 1"},
		{"wait", "an integer of seconds or a duration (\"1m30s\"), 1 to 3600"},
	};
	struct saba_settings s;
	char err[512], buf[512];

	CU_ASSERT_EQUAL_FATAL(init(good, &s, err, sizeof(err)), 0);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		saba_settings_describe(saba_settings_find(&s, cases[i].name), buf, sizeof(buf));
		if (strcmp(buf, cases[i].want) != 0)
			fprintf(stderr, "%s: \"%s\", want \"%s\"\n", cases[i].name, buf,
				cases[i].want);
		CU_ASSERT_STRING_EQUAL(buf, cases[i].want);
	}
	saba_settings_free(&s);
}

static const struct unit_test tests[] = {
	UNIT_TEST(test_defaults),   UNIT_TEST(test_from_config_keys),
	UNIT_TEST(test_bad_tables), UNIT_TEST(test_int_of_duration),
	UNIT_TEST(test_values),	    UNIT_TEST(test_describe),
};

int main(void)
{
	return UNIT_RUN("settings", tests);
}
