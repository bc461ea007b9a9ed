/*
 * saba_plugconf_int(), driven through the fake host: a probe plugin
 * compiled into the test declares one integer setting (default 7, 1..60)
 * and reads it in create().
 */
#include <saba/plugin-test.h>

#include "lib/plugconf.h"
#include "unit.h"

/* What the probe got, and whether create() ran. */
static int probe_out, probe_rc, probe_created;

static const struct saba_setting probe_settings[] = {
	{.name = "n",
	 .type = SABA_CFG_INT,
	 .def = "7",
	 .min = 1,
	 .max = 60,
	 .description = "the setting under test"},
	{.name = NULL},
};

static int probe_create(const struct saba_host *host, saba_ctx *ctx, void **instance)
{
	probe_created = 1;
	probe_out = -12345; /* untouched on failure */
	probe_rc = saba_plugconf_int(host, ctx, "n", &probe_out);
	*instance = NULL;
	return probe_rc;
}

static const struct saba_plugin probe_plugin = {
	SABA_PLUGIN_HEADER,
	.name = "probe",
	.version = "1",
	.description = "reads n",
	.settings = probe_settings,
	.create = probe_create,
};

static const struct saba_plugin *probe_entry(void)
{
	return &probe_plugin;
}

/* Create the probe with config cfg in a host of ABI minor abi; returns the
 * fake host (the caller frees it) and the create() result in *rc. */
static struct saba_test_host *run(const char *cfg, int abi, int *rc)
{
	struct saba_test_host *th = saba_test_host_new(cfg);
	const struct saba_plugin *p;
	void *dl, *inst = NULL;

	CU_ASSERT_PTR_NOT_NULL_FATAL(th);
	saba_test_set_echo(th, 0);
	CU_ASSERT_EQUAL_FATAL(saba_test_set_abi_minor(th, abi), 0);
	p = saba_test_load_entry(probe_entry, &dl);
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	probe_created = 0;
	probe_out = -12345;
	*rc = saba_test_create(th, p, &inst);
	CU_ASSERT_EQUAL(saba_test_misuse(th), 0);
	saba_test_unload(dl);
	return th;
}

static void test_absent_gives_default(void)
{
	int rc;
	struct saba_test_host *th = run(NULL, SABA_PLUGIN_ABI_MINOR, &rc);

	CU_ASSERT_EQUAL(rc, SABA_OK);
	CU_ASSERT_EQUAL(probe_out, 7);
	CU_ASSERT_EQUAL(saba_test_nconfig_errors(th), 0);
	saba_test_host_free(th);
}

static void test_value(void)
{
	int rc;
	struct saba_test_host *th = run("n = 60;", SABA_PLUGIN_ABI_MINOR, &rc);

	CU_ASSERT_EQUAL(rc, SABA_OK);
	CU_ASSERT_EQUAL(probe_out, 60);
	CU_ASSERT_EQUAL(saba_test_nconfig_errors(th), 0);
	saba_test_host_free(th);
}

/* Out of range: refused before create() runs, one error naming key, value
 * and range. */
static void test_out_of_range(void)
{
	const char *key = NULL;
	int rc;
	struct saba_test_host *th = run("n = 4294967297L;", SABA_PLUGIN_ABI_MINOR, &rc);

	CU_ASSERT_EQUAL(rc, SABA_INVALID);
	CU_ASSERT_FALSE(probe_created);
	CU_ASSERT_EQUAL_FATAL(saba_test_nconfig_errors(th), 1);
	CU_ASSERT_STRING_EQUAL(saba_test_config_error_at(th, 0, &key),
			       "n = 4294967297 is out of range (allowed: 1 to 60)");
	CU_ASSERT_STRING_EQUAL(key, "n");
	saba_test_host_free(th);
}

/* An agent older than ABI 1.3 supplies no default: the helper says so. */
static void test_old_agent(void)
{
	const char *key = NULL;
	int rc;
	struct saba_test_host *th = run(NULL, 2, &rc);

	CU_ASSERT_EQUAL(rc, SABA_INVALID);
	CU_ASSERT_EQUAL(probe_out, -12345);
	CU_ASSERT_EQUAL_FATAL(saba_test_nconfig_errors(th), 1);
	saba_test_config_error_at(th, 0, &key);
	CU_ASSERT_STRING_EQUAL(key, "n");
	saba_test_host_free(th);
}

static const struct unit_test tests[] = {
	UNIT_TEST(test_absent_gives_default),
	UNIT_TEST(test_value),
	UNIT_TEST(test_out_of_range),
	UNIT_TEST(test_old_agent),
};

int main(void)
{
	return UNIT_RUN("plugconf", tests);
}
