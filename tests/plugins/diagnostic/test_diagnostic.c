/*
 * The diagnostic plugin, loaded from its built module and driven through the
 * fake host: mackerel-agent's names, graphs posted once, values that are the
 * process's own.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plugtest.h"
#include "unit.h"

static const struct saba_plugin *diagnostic;
static void *diagnostic_dl;

static int suite_init(void)
{
	diagnostic = plugtest_load("diagnostic", &diagnostic_dl);
	return diagnostic != NULL ? 0 : -1;
}

static int suite_cleanup(void)
{
	saba_test_unload(diagnostic_dl);
	return 0;
}

static void test_values(void)
{
	struct saba_test_host *fh;
	void *inst = plugtest_create(diagnostic, &fh, "%s", "");

	CU_ASSERT_EQUAL(saba_test_collect(fh, diagnostic, inst), SABA_OK);
	CU_ASSERT_EQUAL(saba_test_nvalues(fh), 5);
	/* ASan and valgrind replace malloc, whose statistics are then 0 */
	CU_ASSERT(plugtest_value(fh, "custom.agent.memory.alloc") >= 0);
	CU_ASSERT_EQUAL(plugtest_value(fh, "custom.agent.memory.alloc"),
			plugtest_value(fh, "custom.agent.memory.heapAlloc"));
	CU_ASSERT(plugtest_value(fh, "custom.agent.memory.heapSys") >=
		  plugtest_value(fh, "custom.agent.memory.alloc"));
	/* this process's resident memory: more than a megabyte, less than a
	 * gigabyte */
	CU_ASSERT(plugtest_value(fh, "custom.agent.memory.sys") > 1 << 20);
	CU_ASSERT(plugtest_value(fh, "custom.agent.memory.sys") < 1 << 30);
	CU_ASSERT(plugtest_value(fh, "custom.agent.runtime.goroutine_num") >= 1);
	plugtest_destroy(diagnostic, fh, inst);
}

static void test_graphs_once(void)
{
	struct saba_test_host *fh;
	void *inst = plugtest_create(diagnostic, &fh, "%s", "");
	json_t *defs;
	json_error_t err;

	CU_ASSERT_EQUAL(saba_test_collect(fh, diagnostic, inst), SABA_OK);
	CU_ASSERT_EQUAL(saba_test_collect(fh, diagnostic, inst), SABA_OK);
	CU_ASSERT_EQUAL_FATAL(saba_test_ngraph_defs(fh), 1);
	defs = json_loads(saba_test_graph_defs_at(fh, 0), 0, &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(defs);
	CU_ASSERT_EQUAL(json_array_size(defs), 2);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(json_array_get(defs, 0), "name")),
			       "custom.agent.memory");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(json_array_get(defs, 0), "unit")),
			       "bytes");
	CU_ASSERT_EQUAL(json_array_size(json_object_get(json_array_get(defs, 0), "metrics")), 4);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(json_array_get(defs, 1), "unit")),
			       "integer");
	json_decref(defs);
	plugtest_destroy(diagnostic, fh, inst);
}

static void test_no_settings(void)
{
	/* the agent then refuses any key in its instance */
	CU_ASSERT_PTR_NULL(diagnostic->config_keys);
	CU_ASSERT_STRING_EQUAL(diagnostic->name, "diagnostic");
}

static const struct unit_test tests[] = {
	UNIT_TEST(test_values),
	UNIT_TEST(test_graphs_once),
	UNIT_TEST(test_no_settings),
};

int main(void)
{
	return unit_run_suite("diagnostic", tests, sizeof(tests) / sizeof(tests[0]), suite_init,
			      suite_cleanup);
}
