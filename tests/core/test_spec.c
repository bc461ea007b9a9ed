/*
 * The host spec (core/spec.c): saba_spec_build from the config, and
 * saba_spec_kernel from uname and os-release.
 */
#include "config.h" /* PACKAGE_VERSION */

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <jansson.h>

#include "conf.h"
#include "spec.h"
#include "unit.h"

static char tmpdir[] = "/tmp/saba-test-spec.XXXXXX";
static char conf_path[sizeof(tmpdir) + 32];
static char osr_path[sizeof(tmpdir) + 32];

static int write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (f == NULL)
		return -1;
	fputs(text, f);
	return fclose(f) == 0 ? 0 : -1;
}

static struct saba_conf *load_conf(const char *text)
{
	struct saba_conf *c = NULL;

	if (write_file(conf_path, text) != 0 || saba_conf_load(conf_path, NULL, &c) != 0)
		return NULL;
	return c;
}

static int suite_init(void)
{
	if (mkdtemp(tmpdir) == NULL)
		return -1;
	unit_path(conf_path, sizeof(conf_path), tmpdir, "saba.conf");
	unit_path(osr_path, sizeof(osr_path), tmpdir, "os-release");
	return 0;
}

static int suite_cleanup(void)
{
	unlink(conf_path);
	unlink(osr_path);
	return rmdir(tmpdir);
}

/* ------------------------------------------------------------------ */
/* host spec                                                            */

static void test_spec(void)
{
	struct saba_conf *c = load_conf("display_name = \"web 1\";\n"
					"roles = [ \"shop:web\", \"shop:db\" ];\n");
	json_t *spec, *meta, *kernel, *ifs, *roles, *checks, *e;
	char host[256] = "";
	struct utsname u;
	const char *agent;
	size_t i;

	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	spec = saba_spec_build(c, NULL);
	CU_ASSERT_FATAL(json_is_object(spec));

	gethostname(host, sizeof(host) - 1);
	CU_ASSERT(json_is_string(json_object_get(spec, "name")));
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(spec, "name")), host);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(spec, "displayName")), "web 1");
	CU_ASSERT_PTR_NULL(json_object_get(spec, "customIdentifier"));

	meta = json_object_get(spec, "meta");
	CU_ASSERT_FATAL(json_is_object(meta));
	agent = json_string_value(json_object_get(meta, "agent-name"));
	CU_ASSERT_PTR_NOT_NULL_FATAL(agent);
	CU_ASSERT_EQUAL(strncmp(agent, "saba-agent/", 11), 0);
	CU_ASSERT_STRING_EQUAL(agent + 11, PACKAGE_VERSION);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(meta, "agent-version")),
			       PACKAGE_VERSION);
	kernel = json_object_get(meta, "kernel");
	CU_ASSERT_FATAL(json_is_object(kernel));
	CU_ASSERT_EQUAL_FATAL(uname(&u), 0);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(kernel, "name")), u.sysname);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(kernel, "release")), u.release);
	CU_ASSERT(json_is_string(json_object_get(kernel, "os")));

	ifs = json_object_get(spec, "interfaces");
	CU_ASSERT_FATAL(json_is_array(ifs));
	json_array_foreach(ifs, i, e)
	{
		CU_ASSERT(json_is_string(json_object_get(e, "name")));
		CU_ASSERT(json_is_array(json_object_get(e, "ipv4Addresses")));
		CU_ASSERT(json_is_array(json_object_get(e, "ipv6Addresses")));
	}

	roles = json_object_get(spec, "roleFullnames");
	CU_ASSERT_FATAL(json_is_array(roles));
	CU_ASSERT_EQUAL_FATAL(json_array_size(roles), 2);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_array_get(roles, 0)), "shop:web");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_array_get(roles, 1)), "shop:db");
	checks = json_object_get(spec, "checks");
	CU_ASSERT(json_is_array(checks));
	CU_ASSERT_EQUAL(json_array_size(checks), 0);
	json_decref(spec);
	saba_conf_free(c);
}

static void test_spec_no_display_name(void)
{
	const char *texts[] = {"interval = 60;\n", "display_name = \"\";\n"};

	for (size_t t = 0; t < 2; t++) {
		struct saba_conf *c = load_conf(texts[t]);
		json_t *spec, *roles;

		CU_ASSERT_PTR_NOT_NULL_FATAL(c);
		spec = saba_spec_build(c, NULL);
		CU_ASSERT_PTR_NULL(json_object_get(spec, "displayName"));
		CU_ASSERT_PTR_NULL(json_object_get(spec, "customIdentifier"));
		roles = json_object_get(spec, "roleFullnames");
		CU_ASSERT(json_is_array(roles));
		CU_ASSERT_EQUAL(json_array_size(roles), 0);
		json_decref(spec);
		saba_conf_free(c);
	}
}

static void test_kernel_os_release(void)
{
	json_t *k;

	CU_ASSERT_EQUAL_FATAL(write_file(osr_path,
					 "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\n"
					 "NAME=\"Debian GNU/Linux\"\n"
					 "VERSION_ID=\"12\"\n"
					 "ID_LIKE=notthis\n"
					 "ID=debian\n"),
			      0);
	k = saba_spec_kernel(osr_path);
	CU_ASSERT_FATAL(json_is_object(k));
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(k, "platform_name")), "Debian");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(k, "platform_version")), "12");
	CU_ASSERT(json_is_string(json_object_get(k, "name")));
	json_decref(k);

	/* an unknown id passes through; single quotes are stripped */
	CU_ASSERT_EQUAL_FATAL(write_file(osr_path, "ID=myos\nVERSION_ID='3.1'\n"), 0);
	k = saba_spec_kernel(osr_path);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(k, "platform_name")), "myos");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(k, "platform_version")), "3.1");
	json_decref(k);

	/* no os-release: uname only */
	unlink(osr_path);
	k = saba_spec_kernel(osr_path);
	CU_ASSERT(json_is_object(k));
	CU_ASSERT(json_is_string(json_object_get(k, "release")));
	CU_ASSERT_PTR_NULL(json_object_get(k, "platform_name"));
	CU_ASSERT_PTR_NULL(json_object_get(k, "platform_version"));
	json_decref(k);
}

static const struct unit_test tests[] = {
	UNIT_TEST(test_spec),
	UNIT_TEST(test_spec_no_display_name),
	UNIT_TEST(test_kernel_os_release),
};

int main(void)
{
	return unit_run_suite("spec", tests, sizeof(tests) / sizeof(tests[0]), suite_init,
			      suite_cleanup);
}
