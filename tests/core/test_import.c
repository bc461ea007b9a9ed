/*
 * `saba-agent import`: the TOML tree toml++ hands over (through the module,
 * SABA_TOML_MODULE) and the merge of documents as mackerel-agent decodes
 * them.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "import.h"
#include "import_map.h"
#include "unit.h"

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

/* The key as the header will carry it: blanks around trimmed, a control
 * character inside (which saba-agent's loader refuses) not carried over
 * but reported, so what import writes always loads. */
static void test_apikey_as_the_header_carries_it(void)
{
	char *out;
	int lost = -1;

	out = saba_import_string("m.conf", "apikey = \"  abc \"\n", 18, &lost);
	CU_ASSERT_PTR_NOT_NULL_FATAL(out);
	CU_ASSERT_EQUAL(lost, 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "apikey = \"abc\";"));
	free(out);
	out = saba_import_string("m.conf", "apikey = \"ab\tc\"\n", 16, &lost);
	CU_ASSERT_PTR_NOT_NULL_FATAL(out);
	CU_ASSERT_EQUAL(lost, 1);
	CU_ASSERT_PTR_NULL(strstr(out, "apikey ="));
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "control character"));
	free(out);
}

static const struct unit_test tests[] = {
	UNIT_TEST(test_toml_tree),
	UNIT_TEST(test_merge_as_upstream),
	UNIT_TEST(test_apikey_as_the_header_carries_it),
};

int main(void)
{
	return UNIT_RUN("import", tests);
}
