/*
 * The pieces of `saba-agent import` and mackerel-agent's command line:
 * durations as config/duration.go reads them, the -role check, the
 * rendering of a config with comments, atomic writes that refuse to
 * replace, and the merge of TOML documents as mackerel-agent decodes them
 * (through the toml++ module, SABA_TOML_MODULE).
 */
#include "config.h"

#include <errno.h>
#include <libconfig.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "atomic.h"
#include "conf.h"
#include "conf_write.h"
#ifdef SABA_HAVE_TOML
#include "duration.h"
#include "import.h"
#include "import_map.h"
#endif
#include "unit.h"

#ifdef SABA_HAVE_TOML
static long long minutes_of(const char *text)
{
	char err[256];
	long long m = -12345;

	if (saba_duration_minutes(text, &m, err, sizeof(err)) != 0)
		return -1;
	return m;
}

static void test_duration(void)
{
	char err[256];
	long long m;

	CU_ASSERT_EQUAL(minutes_of("60"), 60);
	CU_ASSERT_EQUAL(minutes_of("+5"), 5);
	CU_ASSERT_EQUAL(minutes_of("0"), 0);
	CU_ASSERT_EQUAL(minutes_of("90m"), 90);
	CU_ASSERT_EQUAL(minutes_of("1h30m"), 90);
	CU_ASSERT_EQUAL(minutes_of("1.5h"), 90);
	CU_ASSERT_EQUAL(minutes_of("1h"), 60);
	CU_ASSERT_EQUAL(minutes_of("3600s"), 60);
	CU_ASSERT_EQUAL(minutes_of("60000ms"), 1);
	CU_ASSERT_EQUAL(minutes_of("2147483647"), 2147483647LL);
	/* Go's own syntax: µs and μs, fractions, several parts */
	CU_ASSERT_EQUAL(minutes_of("60000000\xc2\xb5s"), 1);
	CU_ASSERT_EQUAL(minutes_of("60000000\xce\xbcs"), 1);
	CU_ASSERT_EQUAL(minutes_of(".5h"), 30);
	CU_ASSERT_EQUAL(minutes_of("1h0m0s"), 60);
	/* refused as upstream refuses them */
	CU_ASSERT_EQUAL(minutes_of("-5"), -1);
	CU_ASSERT_EQUAL(minutes_of("-1h"), -1);
	CU_ASSERT_EQUAL(minutes_of("90s"), -1);
	CU_ASSERT_EQUAL(minutes_of("1.5m"), -1);
	CU_ASSERT_EQUAL(minutes_of("abc"), -1);
	CU_ASSERT_EQUAL(minutes_of(""), -1);
	CU_ASSERT_EQUAL(minutes_of("5 m"), -1);
	CU_ASSERT_EQUAL(minutes_of("3000000000"), -1); /* int32, then no unit */
	CU_ASSERT_EQUAL(minutes_of("40000000000m"), -1);
	CU_ASSERT_EQUAL(minutes_of("9999999999999999999h"), -1);
	CU_ASSERT_EQUAL(minutes_of("1d"), -1);
	CU_ASSERT_EQUAL(minutes_of("."), -1);
	CU_ASSERT_NOT_EQUAL(saba_duration_minutes("90s", &m, err, sizeof(err)), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "not multiple of 1m"));
}
#endif

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

static void test_render(void)
{
	struct saba_notes ns = {0};
	config_setting_t *root, *g, *e;
	char err[256], *text;
	config_t cfg, back;

	config_init(&cfg);
	root = config_root_setting(&cfg);
	saba_note(&ns, root, "first\nsecond");
	config_setting_set_string(config_setting_add(root, "apikey", CONFIG_TYPE_STRING), "k");
	g = config_setting_add(root, "plugins", CONFIG_TYPE_GROUP);
	config_setting_add(g, "loadavg", CONFIG_TYPE_GROUP);
	saba_note(&ns, g, "a note\x1b[31m with an escape\rand a CR");
	e = config_setting_add(g, "x", CONFIG_TYPE_GROUP);
	config_setting_set_string(config_setting_add(e, "command", CONFIG_TYPE_STRING),
				  "a \"quoted\" # not a comment\n");
	text = saba_conf_render(&cfg, &ns, "header", err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(text);
	CU_ASSERT_STRING_EQUAL(text, "# header\n"
				     "\n"
				     "# first\n"
				     "# second\n"
				     "apikey = \"k\";\n"
				     "plugins = {\n"
				     "  loadavg = {};\n"
				     "  # a note?[31m with an escape?and a CR\n"
				     "  x = {\n"
				     "    command = \"a \\\"quoted\\\" # not a comment\\n\";\n"
				     "  };\n"
				     "};\n");
	config_init(&back);
	CU_ASSERT_EQUAL(config_read_string(&back, text), CONFIG_TRUE);
	CU_ASSERT_STRING_EQUAL(config_setting_get_string(config_lookup(&back, "plugins.x.command")),
			       "a \"quoted\" # not a comment\n");
	config_destroy(&back);
	free(text);
	saba_notes_free(&ns);
	config_destroy(&cfg);
}

static void test_render_wraps(void)
{
	struct saba_notes ns = {0};
	char err[256], *text;
	config_t cfg;

	config_init(&cfg);
	saba_note(&ns, config_root_setting(&cfg),
		  "one two three four five six seven eight nine ten eleven twelve thirteen "
		  "fourteen fifteen sixteen");
	text = saba_conf_render(&cfg, &ns, NULL, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(text);
	CU_ASSERT_STRING_EQUAL(text, "# one two three four five six seven eight nine ten eleven "
				     "twelve thirteen\n# fourteen fifteen sixteen\n");
	free(text);
	saba_notes_free(&ns);
	config_destroy(&cfg);
}

static void test_atomic_no_replace(void)
{
	char dir[] = "/tmp/saba-test-import.XXXXXX", path[64], err[256], buf[16] = "";
	struct stat st;
	FILE *f;

	CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/out.conf", dir);
	CU_ASSERT_EQUAL(saba_atomic_write(path, "out.conf", "one", 3, 0600, 0, err, sizeof(err)),
			0);
	CU_ASSERT_EQUAL(stat(path, &st), 0);
	CU_ASSERT_EQUAL(st.st_mode & 0777, 0600);
	CU_ASSERT_EQUAL(saba_atomic_write(path, "out.conf", "two", 3, 0600, 0, err, sizeof(err)),
			-1);
	CU_ASSERT_EQUAL(errno, EEXIST);
	f = fopen(path, "r");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CU_ASSERT_PTR_NOT_NULL(fgets(buf, sizeof(buf), f));
	fclose(f);
	CU_ASSERT_STRING_EQUAL(buf, "one");
	CU_ASSERT_EQUAL(saba_atomic_write(path, "out.conf", "two", 3, 0600, 1, err, sizeof(err)),
			0);
	unlink(path);
	CU_ASSERT_EQUAL(rmdir(dir), 0); /* no temporary file left behind */
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

#ifdef SABA_HAVE_TOML
static struct saba_toml *parse(const char *text)
{
	const struct saba_toml_module *mod;
	struct saba_toml *doc = NULL;
	char err[256];
	int line;

	mod = saba_import_toml(err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(mod);
	CU_ASSERT_EQUAL(mod->parse(text, strlen(text), &doc, err, sizeof(err), &line), 0);
	return doc;
}

static void test_toml_tree(void)
{
	const struct saba_toml_module *mod;
	struct saba_toml *doc = parse("b = 1\na = \"x\"\n[t]\nz = [1, 2.5, true]\n");
	char err[256];
	int line = 0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(doc);
	CU_ASSERT_EQUAL_FATAL(doc->n, 3);
	/* document order, not toml++'s sorted order */
	CU_ASSERT_STRING_EQUAL(doc->kids[0]->key, "b");
	CU_ASSERT_STRING_EQUAL(doc->kids[1]->key, "a");
	CU_ASSERT_EQUAL(doc->kids[2]->line, 3);
	CU_ASSERT_EQUAL(doc->kids[2]->kids[0]->type, SABA_TOML_ARRAY);
	CU_ASSERT_EQUAL(doc->kids[2]->kids[0]->kids[1]->type, SABA_TOML_FLOAT);
	CU_ASSERT_EQUAL(doc->kids[2]->kids[0]->kids[2]->b, 1);
	saba_toml_free(doc);
	mod = saba_import_toml(err, sizeof(err));
	CU_ASSERT_NOT_EQUAL(mod->parse("a = 1\na = 2\n", 12, &doc, err, sizeof(err), &line), 0);
	CU_ASSERT_EQUAL(line, 2);
	CU_ASSERT_PTR_NULL(doc);
	/* a key of many parts is refused before toml++ recurses into it */
	CU_ASSERT_NOT_EQUAL(mod->parse("\na.b.c.d.e.f.g.h.i.j.k.l.m.n.o.p.q.r = 1", 38, &doc, err,
				       sizeof(err), &line),
			    0);
	CU_ASSERT_EQUAL(line, 2);
	/* but a string full of dots is not a key */
	doc = parse("a = \"................................\"\n");
	saba_toml_free(doc);
}

static void test_merge_as_upstream(void)
{
	struct saba_toml *main_doc = parse(
		"APIKEY = \"k\"\nroles = [\"x:y\"]\n[host_status]\non_start = \"working\"\n"
		"[plugin.metrics.a]\ncommand = \"one\"\n[plugin.checks.a]\ncommand = \"c\"\n");
	struct saba_toml *inc = parse("[host_status]\non_stop = \"poweroff\"\n"
				      "[plugin.metrics.a]\ncommand = \"two\"\nuser = \"u\"\n");
	struct saba_imp m = {0};

	saba_imp_merge(&m, main_doc, 1);
	saba_imp_merge(&m, inc, 0);
	CU_ASSERT_PTR_NOT_NULL(m.top[SABA_IMP_APIKEY]); /* field names: any case */
	CU_ASSERT_PTR_NOT_NULL(m.top[SABA_IMP_ROLES]);	/* kept: the include has none */
	CU_ASSERT_PTR_NOT_NULL(m.sub[SABA_IMP_HOST_STATUS][0]);
	CU_ASSERT_PTR_NOT_NULL(m.sub[SABA_IMP_HOST_STATUS][1]);
	CU_ASSERT_EQUAL_FATAL(m.nplugins, 2);
	/* the include's metric plugin "a" replaced the first whole; the check
	 * of the same name is another plugin */
	CU_ASSERT_EQUAL(m.plugins[0].kind, SABA_IMP_METRICS);
	CU_ASSERT_EQUAL(m.plugins[0].node->n, 2);
	CU_ASSERT_EQUAL(m.plugins[1].kind, SABA_IMP_CHECKS);
	CU_ASSERT_EQUAL(m.nfindings, 0);
	saba_imp_free(&m);
	saba_toml_free(main_doc);
	saba_toml_free(inc);
}
#endif

static const struct unit_test tests[] = {
	UNIT_TEST(test_role),
	UNIT_TEST(test_render),
	UNIT_TEST(test_render_wraps),
	UNIT_TEST(test_atomic_no_replace),
	UNIT_TEST(test_libconfig_only),
#ifdef SABA_HAVE_TOML
	UNIT_TEST(test_duration),
	UNIT_TEST(test_toml_tree),
	UNIT_TEST(test_merge_as_upstream),
#endif
};

int main(void)
{
	return UNIT_RUN("import", tests);
}
