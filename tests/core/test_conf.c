/*
 * saba_conf_load(): values, defaults, overrides, the API key sources, and
 * every problem reported as FILE:LINE: on stderr.
 */
#define _GNU_SOURCE

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "unit.h"

static char tmpdir[] = "/tmp/saba-test-config.XXXXXX";
static char conf_path[sizeof(tmpdir) + 32];
static char err_path[sizeof(tmpdir) + 32];
static char key_path[sizeof(tmpdir) + 32];

/* ------------------------------------------------------------------ */
/* fixtures                                                             */

static int write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (f == NULL)
		return -1;
	fputs(text, f);
	return fclose(f) == 0 ? 0 : -1;
}

static int saved_stderr = -1;

/* Send fd 2 to err_path until capture_end(), which returns what was written. */
static void capture_begin(void)
{
	saved_stderr = unit_capture_begin(err_path);
}

static char *capture_end(void)
{
	char *text = unit_capture_end(err_path, saved_stderr);

	saved_stderr = -1;
	return text;
}

/* Load text as the config file; *err gets stderr (free it). */
static int load(const char *text, const struct saba_conf_overrides *ov, struct saba_conf **c,
		char **err)
{
	int problems;

	if (write_file(conf_path, text) != 0) {
		fprintf(stderr, "cannot write %s\n", conf_path);
		abort();
	}
	capture_begin();
	problems = saba_conf_load(conf_path, ov, c);
	*err = capture_end();
	return problems;
}

static int suite_init(void)
{
	if (mkdtemp(tmpdir) == NULL)
		return -1;
	unit_path(conf_path, sizeof(conf_path), tmpdir, "saba.conf");
	unit_path(err_path, sizeof(err_path), tmpdir, "stderr.txt");
	unit_path(key_path, sizeof(key_path), tmpdir, "apikey");
	unsetenv("SABA_AGENT_APIKEY");
	return 0;
}

static int suite_cleanup(void)
{
	unlink(conf_path);
	unlink(err_path);
	unlink(key_path);
	return rmdir(tmpdir);
}

/* ------------------------------------------------------------------ */
/* valid configs                                                        */

static const char full_conf[] =
	"apikey = \"KEY123\";\n"
	"apibase = \"http://127.0.0.1:9999\";\n"
	"root = \"/srv/saba/root\";\n"
	"plugin_dir = \"/srv/saba/plugins\";\n"
	"interval = 30;\n"
	"display_name = \"web 1\";\n"
	"roles = [ \"shop:web\", \"shop:db\" ];\n"
	"host_status = { on_start = \"working\"; on_stop = \"poweroff\"; };\n"
	"retire = { timeout = 7; confirm = \"always\"; };\n"
	"http = { timeout = 5; proxy = \"http://proxy:3128\"; ca_file = \"/etc/ca.pem\"; };\n"
	"queue = { max_age = 600; };\n"
	"shutdown = { timeout = 15; };\n"
	"plugins = {\n"
	"  loadavg = { };\n"
	"  mem2 = { module = \"memory\"; };\n"
	"};\n";

static void test_full_config(void)
{
	struct saba_conf *c = NULL;
	char *err;
	int problems = load(full_conf, NULL, &c, &err);

	CU_ASSERT_EQUAL(problems, 0);
	CU_ASSERT_STRING_EQUAL(err, "");
	free(err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_STRING_EQUAL(c->file, conf_path);
	CU_ASSERT_STRING_EQUAL(c->apikey, "KEY123");
	CU_ASSERT_STRING_EQUAL(c->apibase, "http://127.0.0.1:9999");
	CU_ASSERT_STRING_EQUAL(c->root, "/srv/saba/root");
	CU_ASSERT_STRING_EQUAL(c->plugin_dir, "/srv/saba/plugins");
	CU_ASSERT_EQUAL(c->interval, 30);
	CU_ASSERT_STRING_EQUAL(c->display_name, "web 1");
	CU_ASSERT_EQUAL_FATAL(c->nroles, 2);
	CU_ASSERT_STRING_EQUAL(c->roles[0], "shop:web");
	CU_ASSERT_STRING_EQUAL(c->roles[1], "shop:db");
	CU_ASSERT_STRING_EQUAL(c->on_start, "working");
	CU_ASSERT_STRING_EQUAL(c->on_stop, "poweroff");
	CU_ASSERT_EQUAL(c->retire_timeout, 7);
	CU_ASSERT_EQUAL(c->retire_confirm, SABA_POLICY_CONFIRM_ALWAYS);
	CU_ASSERT_EQUAL(c->http_timeout, 5);
	CU_ASSERT_STRING_EQUAL(c->http_proxy, "http://proxy:3128");
	CU_ASSERT_STRING_EQUAL(c->http_ca_file, "/etc/ca.pem");
	CU_ASSERT_EQUAL(c->queue_max_age, 600);
	CU_ASSERT_EQUAL(c->shutdown_timeout, 15);
	CU_ASSERT_EQUAL(c->ninstances, 2);
	saba_conf_free(c);
}

static void test_defaults(void)
{
	struct saba_conf *c = NULL;
	char *err;
	int problems = load("apikey = \"k\";\n", NULL, &c, &err);

	CU_ASSERT_EQUAL(problems, 0);
	CU_ASSERT_STRING_EQUAL(err, "");
	free(err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_STRING_EQUAL(c->apibase, "https://api.mackerelio.com");
	CU_ASSERT_STRING_EQUAL(c->root, SABA_STATEDIR);
	CU_ASSERT_STRING_EQUAL(c->plugin_dir, SABA_PLUGINDIR);
	CU_ASSERT_EQUAL(c->interval, 60);
	CU_ASSERT_EQUAL(c->retire_timeout, 20);
	CU_ASSERT_EQUAL(c->retire_confirm, SABA_POLICY_CONFIRM_AUTO);
	CU_ASSERT_EQUAL(c->http_timeout, 10);
	CU_ASSERT_EQUAL(c->queue_max_age, 21600);
	CU_ASSERT_EQUAL(c->shutdown_timeout, 10);
	CU_ASSERT_PTR_NULL(c->display_name);
	CU_ASSERT_PTR_NULL(c->on_start);
	CU_ASSERT_PTR_NULL(c->on_stop);
	CU_ASSERT_PTR_NULL(c->http_proxy);
	CU_ASSERT_PTR_NULL(c->http_ca_file);
	CU_ASSERT_EQUAL(c->nroles, 0);
	CU_ASSERT_EQUAL(c->ninstances, 0);
	saba_conf_free(c);
}

/* ------------------------------------------------------------------ */
/* problems                                                             */

struct bad_case {
	const char *what;
	const char *text;
	int line;	   /* expected FILE:LINE: */
	const char *words; /* expected in the message */
};

static const struct bad_case bad_cases[] = {
	{"syntax error", "apikey = \"k\";\ninterval = ;\n", 2, NULL},
	{"unknown key", "apikey = \"k\";\n\nbogus = 1;\n", 3, "bogus"},
	{"interval 0", "apikey = \"k\";\ninterval = 0;\n", 2, "interval"},
	{"interval 3601", "apikey = \"k\";\n\n\ninterval = 3601;\n", 4, "interval"},
	{"interval string", "interval = \"60\";\n", 1, "integer"},
	/* one line: libconfig dates a list element by its lookahead token, so
	 * an element alone on its line would be reported a line late */
	{"bad role", "apikey = \"k\";\nroles = [ \"shop:web\", \"norole\" ];\n", 2, "role"},
	{"bad on_start", "apikey = \"k\";\nhost_status = {\n  on_start = \"asleep\";\n};\n", 3,
	 "on_start"},
	{"bad confirm", "retire = {\n  timeout = 5;\n  confirm = \"sometimes\";\n};\n", 3,
	 "confirm"},
	{"instance not a group", "plugins = {\n  a = { };\n  b = 5;\n};\n", 3, "\"b\""},
	{"module with slash", "plugins = {\n  x = {\n    module = \"../evil\";\n  };\n};\n", 2,
	 "../evil"},
	{"unknown retire key", "retire = {\n  timeout = 5;\n  tiemout = 5;\n};\n", 3, "tiemout"},
	{"bad apibase", "\napibase = \"ftp://x\";\n", 2, "apibase"},
};

static void test_problems(void)
{
	for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		const struct bad_case *b = &bad_cases[i];
		struct saba_conf *c = (struct saba_conf *)1;
		char want[sizeof(conf_path) + 16], *err;
		int problems = load(b->text, NULL, &c, &err);

		snprintf(want, sizeof(want), "%s:%d:", conf_path, b->line);
		if (problems < 1 || strstr(err, want) == NULL ||
		    (b->words != NULL && strstr(err, b->words) == NULL))
			fprintf(stderr, "case \"%s\": %d problems, wanted %s ... %s, got: %s\n",
				b->what, problems, want, b->words ? b->words : "", err);
		CU_ASSERT(problems >= 1);
		CU_ASSERT_PTR_NULL(c);
		CU_ASSERT_PTR_NOT_NULL(strstr(err, want));
		if (b->words != NULL)
			CU_ASSERT_PTR_NOT_NULL(strstr(err, b->words));
		free(err);
	}
}

/* Every problem is counted and printed, not only the first. */
static void test_problems_all_counted(void)
{
	struct saba_conf *c = NULL;
	char want[sizeof(conf_path) + 16], *err;
	int problems =
		load("interval = 0;\nbogus = 1;\nhttp = { timeout = 0; };\n", NULL, &c, &err);

	CU_ASSERT_EQUAL(problems, 3);
	CU_ASSERT_PTR_NULL(c);
	for (int line = 1; line <= 3; line++) {
		snprintf(want, sizeof(want), "%s:%d:", conf_path, line);
		CU_ASSERT_PTR_NOT_NULL(strstr(err, want));
	}
	free(err);
}

static void test_missing_file(void)
{
	char path[sizeof(tmpdir) + 32], *err;
	struct saba_conf *c = (struct saba_conf *)1;
	int problems;

	unit_path(path, sizeof(path), tmpdir, "does-not-exist.conf");
	capture_begin();
	problems = saba_conf_load(path, NULL, &c);
	err = capture_end();
	CU_ASSERT(problems >= 1);
	CU_ASSERT_PTR_NULL(c);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, path));
	free(err);
}

/* ------------------------------------------------------------------ */
/* the API key                                                          */

static void test_apikey_file(void)
{
	char text[sizeof(key_path) + 64], *err;
	struct saba_conf *c = NULL;
	int problems;

	CU_ASSERT_EQUAL_FATAL(write_file(key_path, "file-key-42\r\n\n"), 0);
	snprintf(text, sizeof(text), "apikey_file = \"%s\";\n", key_path);
	problems = load(text, NULL, &c, &err);
	CU_ASSERT_EQUAL(problems, 0);
	free(err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_STRING_EQUAL(c->apikey, "file-key-42");
	CU_ASSERT_STRING_EQUAL(saba_conf_apikey(c), "file-key-42");
	saba_conf_free(c);

	/* an unreadable apikey_file is a problem on its line */
	unlink(key_path);
	problems = load(text, NULL, &c, &err);
	CU_ASSERT_EQUAL(problems, 1);
	CU_ASSERT_PTR_NULL(c);
	snprintf(text, sizeof(text), "%s:1:", conf_path);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, text));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, key_path));
	free(err);
}

static void test_apikey_env(void)
{
	struct saba_conf *c = NULL;
	const char *key;
	char *err;

	CU_ASSERT_EQUAL(load("apikey = \"conf-key\";\n", NULL, &c, &err), 0);
	free(err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	setenv("SABA_AGENT_APIKEY", "env-key", 1);
	CU_ASSERT_STRING_EQUAL(saba_conf_apikey(c), "env-key");
	setenv("SABA_AGENT_APIKEY", "", 1); /* empty: not set */
	CU_ASSERT_STRING_EQUAL(saba_conf_apikey(c), "conf-key");
	unsetenv("SABA_AGENT_APIKEY");
	CU_ASSERT_STRING_EQUAL(saba_conf_apikey(c), "conf-key");
	saba_conf_free(c);

	/* no key anywhere: NULL and a message naming the file */
	CU_ASSERT_EQUAL(load("interval = 60;\n", NULL, &c, &err), 0);
	free(err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	capture_begin();
	key = saba_conf_apikey(c);
	err = capture_end();
	CU_ASSERT_PTR_NULL(key);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, conf_path));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "API key"));
	free(err);
	saba_conf_free(c);
}

/* ------------------------------------------------------------------ */
/* overrides and instances                                              */

static void test_overrides(void)
{
	struct saba_conf_overrides ov = {.root = "/cli/root", .plugin_dir = "/cli/plugins"};
	struct saba_conf *c = NULL;
	char *err;

	CU_ASSERT_EQUAL(load(full_conf, &ov, &c, &err), 0);
	free(err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_STRING_EQUAL(c->root, "/cli/root");
	CU_ASSERT_STRING_EQUAL(c->plugin_dir, "/cli/plugins");
	CU_ASSERT_EQUAL(c->interval, 30); /* the rest is untouched */
	saba_conf_free(c);

	/* one override alone leaves the other from the file */
	ov.plugin_dir = NULL;
	CU_ASSERT_EQUAL(load(full_conf, &ov, &c, &err), 0);
	free(err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_STRING_EQUAL(c->root, "/cli/root");
	CU_ASSERT_STRING_EQUAL(c->plugin_dir, "/srv/saba/plugins");
	saba_conf_free(c);
}

static void test_instances(void)
{
	struct saba_conf *c = NULL;
	char *err;

	CU_ASSERT_EQUAL(load(full_conf, NULL, &c, &err), 0);
	free(err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_EQUAL_FATAL(c->ninstances, 2);
	CU_ASSERT_STRING_EQUAL(c->instances[0].name, "loadavg");
	CU_ASSERT_STRING_EQUAL(c->instances[0].module, "loadavg"); /* defaults to the key */
	CU_ASSERT_EQUAL(c->instances[0].line, 14);
	CU_ASSERT_PTR_NOT_NULL(c->instances[0].setting);
	CU_ASSERT_STRING_EQUAL(c->instances[1].name, "mem2");
	CU_ASSERT_STRING_EQUAL(c->instances[1].module, "memory");
	CU_ASSERT_EQUAL(c->instances[1].line, 15);
	CU_ASSERT_PTR_NOT_NULL(c->instances[1].setting);
	saba_conf_free(c);
}

static void test_role(void)
{
	CU_ASSERT_TRUE(saba_conf_role_valid("a:b"));
	CU_ASSERT_TRUE(saba_conf_role_valid("My-Service:app_1"));
	CU_ASSERT_TRUE(saba_conf_role_valid("svc: \t role"));
	CU_ASSERT_TRUE(saba_conf_role_valid("0:9"));
	CU_ASSERT_FALSE(saba_conf_role_valid("_a:b"));
	CU_ASSERT_FALSE(saba_conf_role_valid("a:-b"));
	CU_ASSERT_FALSE(saba_conf_role_valid("a :b"));
	CU_ASSERT_FALSE(saba_conf_role_valid("a:b "));
	CU_ASSERT_FALSE(saba_conf_role_valid("a:b:c"));
	CU_ASSERT_FALSE(saba_conf_role_valid("ab"));
	CU_ASSERT_FALSE(saba_conf_role_valid("a:"));
	CU_ASSERT_FALSE(saba_conf_role_valid(":b"));
	CU_ASSERT_FALSE(saba_conf_role_valid("a:b\n"));
	CU_ASSERT_FALSE(saba_conf_role_valid("\xc3\xa9:b"));
}

static void test_libconfig_only(void)
{
	CU_ASSERT_TRUE(saba_conf_libconfig_only("a = 1;"));
	CU_ASSERT_TRUE(saba_conf_libconfig_only("a : 1"));
	CU_ASSERT_TRUE(saba_conf_libconfig_only("a = ( 1 )"));
	CU_ASSERT_FALSE(saba_conf_libconfig_only("a = \"x;y:(\" # c;\n// d;\n/* e; */ b = 1"));
	CU_ASSERT_FALSE(saba_conf_libconfig_only("apikey = \"k\"\n[plugin.metrics.x]\n"));
	CU_ASSERT_FALSE(saba_conf_libconfig_only("a = \"unterminated;"));
	CU_ASSERT_FALSE(saba_conf_libconfig_only("/* unterminated ;"));
}

static const struct unit_test tests[] = {
	UNIT_TEST(test_full_config),	UNIT_TEST(test_defaults),
	UNIT_TEST(test_problems),	UNIT_TEST(test_problems_all_counted),
	UNIT_TEST(test_missing_file),	UNIT_TEST(test_apikey_file),
	UNIT_TEST(test_apikey_env),	UNIT_TEST(test_overrides),
	UNIT_TEST(test_instances),	UNIT_TEST(test_role),
	UNIT_TEST(test_libconfig_only),
};

int main(void)
{
	return unit_run_suite("config", tests, sizeof(tests) / sizeof(tests[0]), suite_init,
			      suite_cleanup);
}
