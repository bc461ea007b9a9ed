/*
 * saba_conf_load(): values, defaults, overrides, the API key sources, and
 * every problem reported as FILE:LINE: on stderr.
 */
#define _GNU_SOURCE

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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
	CU_ASSERT_EQUAL(saba_conf_take_env_apikey(), 0);
	CU_ASSERT_STRING_EQUAL(saba_conf_apikey(c), "env-key");
	/* taken: no command the agent runs inherits it */
	CU_ASSERT_PTR_NULL(getenv("SABA_AGENT_APIKEY"));
	setenv("SABA_AGENT_APIKEY", "", 1); /* empty: not set */
	CU_ASSERT_EQUAL(saba_conf_take_env_apikey(), 0);
	CU_ASSERT_STRING_EQUAL(saba_conf_apikey(c), "conf-key");
	/* trimmed as a header would be, a line end included */
	setenv("SABA_AGENT_APIKEY", " env-key2\n", 1);
	CU_ASSERT_EQUAL(saba_conf_take_env_apikey(), 0);
	CU_ASSERT_STRING_EQUAL(saba_conf_apikey(c), "env-key2");
	/* a control character inside: refused, naming the variable */
	setenv("SABA_AGENT_APIKEY", "abc\r\nX-Injected: yes", 1);
	capture_begin();
	CU_ASSERT_EQUAL(saba_conf_take_env_apikey(), -1);
	err = capture_end();
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "SABA_AGENT_APIKEY"));
	CU_ASSERT_PTR_NULL(strstr(err, "X-Injected"));
	CU_ASSERT_PTR_NULL(getenv("SABA_AGENT_APIKEY"));
	free(err);
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

/* A key with a line end or a control character would end the header
 * block or add a header: refused with FILE:LINE, never quoted. */
static void test_apikey_control_characters(void)
{
	static const char *const bad[] = {
		"apikey = \"abc\\r\\nX-Injected: yes\";\n",
		"interval = 60;\napikey = \"abc\\x01def\";\n",
		"apikey = \"abc\\tdef\";\n",
	};
	struct saba_conf *c = NULL;
	char *err, where[sizeof(conf_path) + 16];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CU_ASSERT_EQUAL(load(bad[i], NULL, &c, &err), 1);
		CU_ASSERT_PTR_NULL(c);
		snprintf(where, sizeof(where), "%s:%d:", conf_path, i == 1 ? 2 : 1);
		CU_ASSERT_PTR_NOT_NULL(strstr(err, where));
		CU_ASSERT_PTR_NOT_NULL(strstr(err, "apikey"));
		CU_ASSERT_PTR_NULL(strstr(err, "X-Injected"));
		CU_ASSERT_PTR_NULL(strstr(err, "def"));
		free(err);
	}
	/* blanks and line ends around it are trimmed */
	CU_ASSERT_EQUAL(load("apikey = \" key-1 \\n\";\n", NULL, &c, &err), 0);
	free(err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_STRING_EQUAL(saba_conf_apikey(c), "key-1");
	saba_conf_free(c);
}

/* apikey_file: one line, a regular file only root or the agent may
 * write; readable by others is worth a warning. */
static void test_apikey_file_checks(void)
{
	char text[sizeof(key_path) + 64], *err;
	struct saba_conf *c = NULL;

	snprintf(text, sizeof(text), "apikey_file = \"%s\";\n", key_path);
	CU_ASSERT_EQUAL_FATAL(write_file(key_path, "file-key\nsecond-line\n"), 0);
	CU_ASSERT_EQUAL(load(text, NULL, &c, &err), 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "more than one line"));
	CU_ASSERT_PTR_NULL(strstr(err, "second-line"));
	free(err);

	CU_ASSERT_EQUAL_FATAL(write_file(key_path, "file-key\n"), 0);
	CU_ASSERT_EQUAL(chmod(key_path, 0622), 0);
	CU_ASSERT_EQUAL(load(text, NULL, &c, &err), 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "writable by group or others"));
	free(err);

	CU_ASSERT_EQUAL(chmod(key_path, 0644), 0);
	CU_ASSERT_EQUAL(load(text, NULL, &c, &err), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "warning"));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "readable by group or others"));
	free(err);
	saba_conf_free(c);

	CU_ASSERT_EQUAL(chmod(key_path, 0600), 0);
	CU_ASSERT_EQUAL(load(text, NULL, &c, &err), 0);
	CU_ASSERT_STRING_EQUAL(err, "");
	free(err);
	saba_conf_free(c);

	/* a FIFO never blocks: refused at once */
	unlink(key_path);
	CU_ASSERT_EQUAL_FATAL(mkfifo(key_path, 0600), 0);
	CU_ASSERT_EQUAL(load(text, NULL, &c, &err), 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "not a regular file"));
	free(err);
	unlink(key_path);
}

/* The config itself: only root or the agent may write it. */
static void test_config_writable_by_others(void)
{
	struct saba_conf *c = NULL;
	char *err;

	CU_ASSERT_EQUAL(load("interval = 60;\n", NULL, &c, &err), 0);
	free(err);
	saba_conf_free(c);
	CU_ASSERT_EQUAL(chmod(conf_path, 0666), 0);
	capture_begin();
	CU_ASSERT_EQUAL(saba_conf_load(conf_path, NULL, &c), 1);
	err = capture_end();
	CU_ASSERT_PTR_NULL(c);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, conf_path));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "writable by group or others"));
	free(err);
	CU_ASSERT_EQUAL(chmod(conf_path, 0644), 0);
}

/* root = "" named no directory, and the id file code read before it. */
static void test_empty_directories(void)
{
	struct saba_conf_overrides ov = {.root = ""};
	struct saba_conf *c = NULL;
	char *err, where[sizeof(conf_path) + 16];

	CU_ASSERT_EQUAL(load("interval = 60;\nroot = \"\";\nplugin_dir = \"\";\n", NULL, &c, &err),
			2);
	CU_ASSERT_PTR_NULL(c);
	snprintf(where, sizeof(where), "%s:2:", conf_path);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, where));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "root must name a directory"));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "plugin_dir must name a directory"));
	free(err);
	CU_ASSERT_EQUAL(load("interval = 60;\n", &ov, &c, &err), 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "--root"));
	free(err);
}

/* libconfig wraps a plain integer past 32 bits: refused before parsing. */
static void test_integers_past_32_bits(void)
{
	struct saba_conf *c = NULL;
	char *err, where[sizeof(conf_path) + 16];

	CU_ASSERT_EQUAL(load("# 4294967357 in a comment\nname = \"x 4294967357\";\n"
			     "interval = 4294967357;\n",
			     NULL, &c, &err),
			1);
	CU_ASSERT_PTR_NULL(c);
	snprintf(where, sizeof(where), "%s:3:", conf_path);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, where));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "4294967357 does not fit in 32 bits"));
	free(err);
	/* the edges of int32, hex too */
	CU_ASSERT_EQUAL(
		load("a = 2147483648;\nb = -2147483649;\nc = 0x80000000;\n", NULL, &c, &err), 3);
	free(err);
	/* what fits, 64-bit and floats are libconfig's own */
	CU_ASSERT_EQUAL(
		load("interval = 60;\nplugins = { p = { a = 2147483647; b = -2147483648; "
		     "c = 0x7fffffff; d = 4294967357L; e = 1.5e300; f = 4294967357.0; }; };\n"
		     "display_name = \"disk2\";\n",
		     NULL, &c, &err),
		0);
	CU_ASSERT_STRING_EQUAL(err, "");
	free(err);
	saba_conf_free(c);
}

/* A config above the size cap is not parsed at all (libconfig's scanner
 * is quadratic in a line's length). */
static void test_size_cap(void)
{
	size_t n = 2 * 1024 * 1024;
	char *big = malloc(n + 64), *err;
	struct saba_conf *c = NULL;

	CU_ASSERT_PTR_NOT_NULL_FATAL(big);
	strcpy(big, "display_name = \"");
	memset(big + strlen(big), 'x', n);
	strcpy(big + 16 + n, "\";\n");
	CU_ASSERT_EQUAL(load(big, NULL, &c, &err), 1);
	CU_ASSERT_PTR_NULL(c);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "larger than"));
	free(err);
	free(big);
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

/* Roles from the file get the -role check: invalid ones dropped, named. */
static void test_roles_validated(void)
{
	struct saba_conf *c = NULL;
	char *err;

	CU_ASSERT_EQUAL(load("roles = [ \"Web:app\", \"Web:bad role\", \"_x:y\", \"db:main\" ];",
			     NULL, &c, &err),
			0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_EQUAL(c->nroles, 2);
	CU_ASSERT_STRING_EQUAL(c->roles[0], "Web:app");
	CU_ASSERT_STRING_EQUAL(c->roles[1], "db:main");
	CU_ASSERT_PTR_NOT_NULL(strstr(err, ":1: error: role \"Web:bad role\" dropped"));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "role \"_x:y\" dropped"));
	free(err);
	saba_conf_free(c);
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
	UNIT_TEST(test_full_config),	    UNIT_TEST(test_defaults),
	UNIT_TEST(test_problems),	    UNIT_TEST(test_problems_all_counted),
	UNIT_TEST(test_missing_file),	    UNIT_TEST(test_apikey_file),
	UNIT_TEST(test_apikey_env),	    UNIT_TEST(test_overrides),
	UNIT_TEST(test_instances),	    UNIT_TEST(test_role),
	UNIT_TEST(test_libconfig_only),	    UNIT_TEST(test_apikey_control_characters),
	UNIT_TEST(test_apikey_file_checks), UNIT_TEST(test_config_writable_by_others),
	UNIT_TEST(test_empty_directories),  UNIT_TEST(test_integers_past_32_bits),
	UNIT_TEST(test_size_cap),	    UNIT_TEST(test_roles_validated),
};

int main(void)
{
	return unit_run_suite("config", tests, sizeof(tests) / sizeof(tests[0]), suite_init,
			      suite_cleanup);
}
