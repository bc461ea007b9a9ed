/*
 * saba_plugconf_int_range(), driven through the fake host: a probe plugin
 * compiled into the test reads one setting in create() with the range and
 * default the test picks.
 */
#include <saba/plugin-test.h>

#include "lib/plugconf.h"
#include "unit.h"

/* What the probe reads, and what it got. */
static int probe_def, probe_min, probe_max, probe_out, probe_rc;

static const struct saba_config_key probe_keys[] = {
	{"n", SABA_CFG_INT, "the setting under test"},
	{NULL, 0, NULL},
};

static int probe_create(const struct saba_host *host, saba_ctx *ctx, void **instance)
{
	probe_out = -12345; /* untouched on failure */
	probe_rc = saba_plugconf_int_range(host, ctx, "n", probe_def, probe_min, probe_max,
					   &probe_out);
	*instance = NULL;
	return probe_rc;
}

static const struct saba_plugin probe_plugin = {
	SABA_PLUGIN_HEADER,	  .name = "probe",	     .version = "1",
	.description = "reads n", .config_keys = probe_keys, .create = probe_create,
};

static const struct saba_plugin *probe_entry(void)
{
	return &probe_plugin;
}

/* Create the probe with config cfg and range def, min..max; returns the
 * fake host (the caller frees it) and the create() result in *rc. */
static struct saba_test_host *run(const char *cfg, int def, int min, int max, int *rc)
{
	struct saba_test_host *th = saba_test_host_new(cfg);
	const struct saba_plugin *p;
	void *dl, *inst = NULL;

	CU_ASSERT_PTR_NOT_NULL_FATAL(th);
	saba_test_set_echo(th, 0);
	p = saba_test_load_entry(probe_entry, &dl);
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	probe_def = def;
	probe_min = min;
	probe_max = max;
	*rc = saba_test_create(th, p, &inst);
	CU_ASSERT_EQUAL(*rc, probe_rc);
	CU_ASSERT_EQUAL(saba_test_misuse(th), 0);
	saba_test_unload(dl);
	return th;
}

static void test_absent_gives_default(void)
{
	int rc;
	struct saba_test_host *th = run(NULL, 7, 1, 60, &rc);

	CU_ASSERT_EQUAL(rc, SABA_OK);
	CU_ASSERT_EQUAL(probe_out, 7);
	CU_ASSERT_EQUAL(saba_test_nconfig_errors(th), 0);
	saba_test_host_free(th);
}

static void test_value_in_range(void)
{
	int rc;
	struct saba_test_host *th = run("n = 1;", 7, 1, 60, &rc);

	CU_ASSERT_EQUAL(rc, SABA_OK);
	CU_ASSERT_EQUAL(probe_out, 1);
	saba_test_host_free(th);
	th = run("n = 60;", 7, 1, 60, &rc);
	CU_ASSERT_EQUAL(rc, SABA_OK);
	CU_ASSERT_EQUAL(probe_out, 60);
	CU_ASSERT_EQUAL(saba_test_nconfig_errors(th), 0);
	saba_test_host_free(th);
	/* a 64-bit literal that fits */
	th = run("n = 86400L;", 0, 0, 365 * 86400, &rc);
	CU_ASSERT_EQUAL(rc, SABA_OK);
	CU_ASSERT_EQUAL(probe_out, 86400);
	saba_test_host_free(th);
}

/* Below, above, and far beyond int: an error naming the key and the range. */
static void test_out_of_range(void)
{
	static const struct {
		const char *cfg, *msg;
	} cases[] = {
		{"n = 0;", "must be between 1 and 60, not 0"},
		{"n = 61;", "must be between 1 and 60, not 61"},
		{"n = -5;", "must be between 1 and 60, not -5"},
		{"n = 4294967297L;", "must be between 1 and 60, not 4294967297"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *key = NULL;
		int rc;
		struct saba_test_host *th = run(cases[i].cfg, 7, 1, 60, &rc);

		CU_ASSERT_EQUAL(rc, SABA_INVALID);
		CU_ASSERT_EQUAL(probe_out, -12345);
		CU_ASSERT_EQUAL_FATAL(saba_test_nconfig_errors(th), 1);
		CU_ASSERT_STRING_EQUAL(saba_test_config_error_at(th, 0, &key), cases[i].msg);
		CU_ASSERT_STRING_EQUAL(key, "n");
		saba_test_host_free(th);
	}
}

/* A wrong type: the host reports it (once), the helper only fails. */
static void test_wrong_type(void)
{
	int rc;
	struct saba_test_host *th = run("n = \"5\";", 7, 1, 60, &rc);

	CU_ASSERT_EQUAL(rc, SABA_INVALID);
	CU_ASSERT_EQUAL(probe_out, -12345);
	CU_ASSERT_EQUAL(saba_test_nconfig_errors(th), 0);
	CU_ASSERT_EQUAL(saba_test_log_count(th, SABA_LOG_ERR, "must be an integer"), 1);
	saba_test_host_free(th);
}

/* The default is checked too: a caller's bad default is not taken. */
static void test_default_out_of_range(void)
{
	int rc;
	struct saba_test_host *th = run(NULL, 0, 1, 60, &rc);

	CU_ASSERT_EQUAL(rc, SABA_INVALID);
	CU_ASSERT_EQUAL(probe_out, -12345);
	CU_ASSERT_EQUAL(saba_test_nconfig_errors(th), 1);
	saba_test_host_free(th);
}

static const struct unit_test tests[] = {
	UNIT_TEST(test_absent_gives_default), UNIT_TEST(test_value_in_range),
	UNIT_TEST(test_out_of_range),	      UNIT_TEST(test_wrong_type),
	UNIT_TEST(test_default_out_of_range),
};

int main(void)
{
	return UNIT_RUN("plugconf", tests);
}
