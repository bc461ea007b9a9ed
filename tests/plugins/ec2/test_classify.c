/*
 * The ec2 plugin's pure decisions (plugins/ec2/classify.c) over tables:
 * only positive evidence of termination retires; stop, hibernate, warm
 * pools, errors and malformed answers never do.  Also the DMI uuid check
 * (plugins/ec2/identity.c) over sysfs trees written here.
 */
#include <errno.h>
#include <sys/stat.h>

#include <saba/plugin.h>

#include "ec2/classify.h"
#include "lib/hostcheck.h"
#include "ec2/identity.h"
#include "unit.h"

struct imds_case {
	long status;
	const char *body;
	int want;
	const char *evidence; /* a part the evidence must contain */
};

static void test_spot_action(void)
{
	static const struct imds_case cases[] = {
		{200, "{\"action\": \"terminate\", \"time\": \"2017-09-18T08:22:00Z\"}",
		 SABA_EC2_TERMINATING, "2017-09-18T08:22:00Z"},
		{200, "{\"action\":\"terminate\"}", SABA_EC2_TERMINATING, "terminate"},
		{200, "{\"action\": \"stop\", \"time\": \"2017-09-18T08:22:00Z\"}", SABA_EC2_KEEP,
		 "stop"},
		{200, "{\"action\": \"hibernate\", \"time\": \"2017-09-18T08:22:00Z\"}",
		 SABA_EC2_KEEP, "hibernate"},
		{200, "{\"action\": \"Terminate\"}", SABA_EC2_KEEP, "Terminate"},
		{200, "{\"action\": \"terminate \"}", SABA_EC2_KEEP, "not a termination"},
		{200, "{\"action\": 1}", SABA_EC2_KEEP, "not an instance-action"},
		{200, "{\"Action\": \"terminate\"}", SABA_EC2_KEEP, "not an instance-action"},
		{200, "terminate", SABA_EC2_KEEP, "not an instance-action"},
		{200, "{\"action\": \"terminate\"} trailing", SABA_EC2_KEEP, "not an instance"},
		{200, "[\"terminate\"]", SABA_EC2_KEEP, "not an instance-action"},
		{200, "", SABA_EC2_KEEP, "not an instance-action"},
		{200, NULL, SABA_EC2_KEEP, "spot/instance-action"},
		{404, "{\"action\": \"terminate\"}", SABA_EC2_KEEP, "404"},
		{401, "{\"action\": \"terminate\"}", SABA_EC2_KEEP, "401"},
		{403, "{\"action\": \"terminate\"}", SABA_EC2_KEEP, "403"},
		{500, "{\"action\": \"terminate\"}", SABA_EC2_KEEP, "500"},
		{503, "{\"action\": \"terminate\"}", SABA_EC2_KEEP, "503"},
		{-1, "{\"action\": \"terminate\"}", SABA_EC2_KEEP, "no answer"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char ev[256] = "";
		int got = saba_ec2_spot_action(cases[i].status, cases[i].body, ev, sizeof(ev));

		if (got != cases[i].want || strstr(ev, cases[i].evidence) == NULL)
			fprintf(stderr, "case %zu: %ld %s -> %d \"%s\"\n", i, cases[i].status,
				cases[i].body ? cases[i].body : "(null)", got, ev);
		CU_ASSERT_EQUAL(got, cases[i].want);
		CU_ASSERT_PTR_NOT_NULL(strstr(ev, cases[i].evidence));
	}
}

static void test_lifecycle_state(void)
{
	static const struct imds_case cases[] = {
		{200, "Terminated", SABA_EC2_TERMINATING, "Terminated"},
		{200, "Terminated\n", SABA_EC2_TERMINATING, "Terminated"},
		{200, "Warmed:Terminated", SABA_EC2_KEEP, "Warmed:Terminated"},
		{200, "Warmed:Stopped", SABA_EC2_KEEP, "Warmed:Stopped"},
		{200, "Warmed:Running", SABA_EC2_KEEP, "Warmed:Running"},
		{200, "Warmed:Hibernated", SABA_EC2_KEEP, "Warmed:Hibernated"},
		{200, "InService", SABA_EC2_KEEP, "InService"},
		{200, "Standby", SABA_EC2_KEEP, "Standby"},
		{200, "Detached", SABA_EC2_KEEP, "Detached"},
		{200, "terminated", SABA_EC2_KEEP, "not a termination"},
		{200, " Terminated", SABA_EC2_KEEP, "not a termination"},
		{200, "Terminated2", SABA_EC2_KEEP, "not a termination"},
		{200, "Terminat", SABA_EC2_KEEP, "not a termination"},
		{200, "Terminated\nInService", SABA_EC2_KEEP, "not a termination"},
		{200, "", SABA_EC2_KEEP, "not a termination"},
		{404, "Terminated", SABA_EC2_KEEP, "404"},
		{401, "Terminated", SABA_EC2_KEEP, "401"},
		{403, "Terminated", SABA_EC2_KEEP, "403"},
		{500, "Terminated", SABA_EC2_KEEP, "500"},
		{-1, "Terminated", SABA_EC2_KEEP, "no answer"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char ev[256] = "";
		int got = saba_ec2_lifecycle_state(cases[i].status, cases[i].body, ev, sizeof(ev));

		if (got != cases[i].want || strstr(ev, cases[i].evidence) == NULL)
			fprintf(stderr, "case %zu: %ld %s -> %d \"%s\"\n", i, cases[i].status,
				cases[i].body, got, ev);
		CU_ASSERT_EQUAL(got, cases[i].want);
		CU_ASSERT_PTR_NOT_NULL(strstr(ev, cases[i].evidence));
	}
}

static void test_kind_needs_state(void)
{
	static const int yes[] = {SABA_STOP_POWEROFF, SABA_STOP_HALT, SABA_STOP_SHUTDOWN};
	static const int no[] = {SABA_STOP_UNKNOWN,
				 SABA_STOP_REBOOT,
				 SABA_STOP_KEXEC,
				 SABA_STOP_RESTART,
				 SABA_STOP_STOP,
				 SABA_STOP_SINGLE,
				 SABA_STOP_MANUAL,
				 SABA_STOP_TERMINATE,
				 -1,
				 99};

	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
		CU_ASSERT_TRUE(saba_ec2_kind_needs_state(yes[i]));
	for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++)
		CU_ASSERT_FALSE(saba_ec2_kind_needs_state(no[i]));
}

static void test_confirm_state(void)
{
	static const struct {
		int found;
		const char *name;
		int code, want;
		const char *evidence;
	} cases[] = {
		{1, "shutting-down", 32, SABA_CONFIRM_YES, "shutting-down (32)"},
		{1, "terminated", 48, SABA_CONFIRM_YES, "terminated (48)"},
		{1, "stopping", 64, SABA_CONFIRM_NO, "stopping (64), not being terminated"},
		{1, "stopped", 80, SABA_CONFIRM_NO, "stopped"},
		{1, "running", 16, SABA_CONFIRM_NO, "running"},
		{1, "pending", 0, SABA_CONFIRM_NO, "pending"},
		/* name and code must agree */
		{1, "terminated", 16, SABA_CONFIRM_NO, "not being terminated"},
		{1, "running", 48, SABA_CONFIRM_NO, "not being terminated"},
		{1, "shutting-down", 48, SABA_CONFIRM_NO, "not being terminated"},
		{1, "Terminated", 48, SABA_CONFIRM_NO, "not being terminated"},
		{1, NULL, 48, SABA_CONFIRM_NO, "(none)"},
		{1, "", 32, SABA_CONFIRM_NO, "not being terminated"},
		{1, "terminated", -1, SABA_CONFIRM_NO, "not being terminated"},
		{0, NULL, 0, SABA_CONFIRM_NO, "absent"},
		{0, "terminated", 48, SABA_CONFIRM_NO, "absent"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char ev[256] = "";
		int got = saba_ec2_confirm_state("i-0abc", "us-east-1", cases[i].found,
						 cases[i].name, cases[i].code, ev, sizeof(ev));

		if (got != cases[i].want || strstr(ev, cases[i].evidence) == NULL)
			fprintf(stderr, "case %zu -> %d \"%s\"\n", i, got, ev);
		CU_ASSERT_EQUAL(got, cases[i].want);
		CU_ASSERT_PTR_NOT_NULL(strstr(ev, cases[i].evidence));
		CU_ASSERT_PTR_NOT_NULL(strstr(ev, "i-0abc"));
		CU_ASSERT_PTR_NOT_NULL(strstr(ev, "us-east-1"));
	}
}

/* The one rule both the confirmation and the sweeper use. */
static void test_state_gone(void)
{
	static const struct {
		const char *name;
		int code, gone;
	} cases[] = {
		{"shutting-down", 32, 1}, {"terminated", 48, 1}, {"running", 16, 0},
		{"stopped", 80, 0},	  {"stopping", 64, 0},	 {"pending", 0, 0},
		{"running", 48, 0},	  {"terminated", 16, 0}, {"shutting-down", 48, 0},
		{"terminated", 32, 0},	  {NULL, 48, 0},	 {"Terminated", 48, 0},
		{"terminated", 304, 0}, /* callers pass code & 0xFF */
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		CU_ASSERT_EQUAL(saba_ec2_state_gone(cases[i].name, cases[i].code), cases[i].gone);
	CU_ASSERT_STRING_EQUAL(saba_ec2_state_name(48), "terminated");
	CU_ASSERT_STRING_EQUAL(saba_ec2_state_name(7), "unknown");
}

static void test_uuid(void)
{
	static const struct {
		const char *uuid;
		int want;
	} cases[] = {
		{"ec2e1916-9099-7caf-fd21-012345abcdef", 1},
		{"EC2E1916-9099-7CAF-FD21-012345ABCDEF", 1},
		/* the first field little-endian: 0xEC2AE145 */
		{"45E12AEC-DCD1-B213-94ED-012345ABCDEF", 1},
		{"45e12aec-dcd1-b213-94ed-012345abcdef", 1},
		{"2DF9E0EC-0000-0000-0000-000000000000", 0}, /* ece0f92d */
		{"4C4C4544-0042-5A10-8057-B2C04F4E4E32", 0}, /* a Dell */
		{"Ec2E1916-9099-7CAF-FD21-012345ABCDEF", 0},
		{"45E12AE-CDCD1-B213-94ED-012345ABCDEF", 0}, /* short first field */
		{"45E12AZC-DCD1-B213-94ED-012345ABCDEF", 0},
		{"ec", 0},
		{"", 0},
		{NULL, 0},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (saba_ec2_uuid_is_ec2(cases[i].uuid) != cases[i].want)
			fprintf(stderr, "uuid case %zu (%s)\n", i,
				cases[i].uuid ? cases[i].uuid : "(null)");
		CU_ASSERT_EQUAL(saba_ec2_uuid_is_ec2(cases[i].uuid), cases[i].want);
	}
}

static void test_custom_identifier(void)
{
	char buf[128], tiny[20];

	CU_ASSERT_EQUAL(saba_ec2_custom_identifier("i-0123456789abcdef0", buf, sizeof(buf)), 0);
	CU_ASSERT_STRING_EQUAL(buf, "i-0123456789abcdef0.ec2.amazonaws.com");
	CU_ASSERT_EQUAL(saba_ec2_custom_identifier("i-1234abcd", buf, sizeof(buf)), 0);
	CU_ASSERT_STRING_EQUAL(buf, "i-1234abcd.ec2.amazonaws.com");
	CU_ASSERT_EQUAL(saba_ec2_custom_identifier("i-", buf, sizeof(buf)), -1);
	CU_ASSERT_EQUAL(saba_ec2_custom_identifier("i-0123ABCD", buf, sizeof(buf)), -1);
	CU_ASSERT_EQUAL(saba_ec2_custom_identifier("i-0123 abc", buf, sizeof(buf)), -1);
	CU_ASSERT_EQUAL(saba_ec2_custom_identifier("i-0123\n", buf, sizeof(buf)), -1);
	CU_ASSERT_EQUAL(saba_ec2_custom_identifier("<html>i-0123</html>", buf, sizeof(buf)), -1);
	CU_ASSERT_EQUAL(saba_ec2_custom_identifier("0123456789abcdef0", buf, sizeof(buf)), -1);
	CU_ASSERT_EQUAL(
		saba_ec2_custom_identifier("i-0123456789abcdef0123456789abcdef0", buf, sizeof(buf)),
		-1);
	CU_ASSERT_EQUAL(saba_ec2_custom_identifier(NULL, buf, sizeof(buf)), -1);
	CU_ASSERT_EQUAL(saba_ec2_custom_identifier("i-0123456789abcdef0", tiny, sizeof(tiny)), -1);
}

static void test_host_matches(void)
{
	static const char *const ci = "i-0abc.ec2.amazonaws.com";
	static const struct {
		long status;
		const char *body;
		int want;
		const char *evidence;
	} cases[] = {
		{200,
		 "{\"host\": {\"id\": \"h1\", \"customIdentifier\": \"i-0abc.ec2.amazonaws.com\"}}",
		 1, "host h1 has customIdentifier i-0abc.ec2.amazonaws.com"},
		{200,
		 "{\"host\": {\"id\": \"h1\", \"customIdentifier\": \"i-0abc.ec2.amazonaws.com\", "
		 "\"isRetired\": false}}",
		 1, "h1"},
		{200,
		 "{\"host\": {\"id\": \"h1\", \"customIdentifier\": \"i-0abd.ec2.amazonaws.com\"}}",
		 0, "i-0abd.ec2.amazonaws.com, not i-0abc.ec2.amazonaws.com"},
		{200,
		 "{\"host\": {\"id\": \"h1\", \"customIdentifier\": \"I-0ABC.ec2.amazonaws.com\"}}",
		 0, "not i-0abc"},
		{200, "{\"host\": {\"id\": \"h1\", \"customIdentifier\": null}}", 0, "(none)"},
		{200, "{\"host\": {\"id\": \"h1\"}}", 0, "(none)"},
		{200, "{\"host\": {\"id\": \"h1\", \"customIdentifier\": \"\"}}", 0, "not i-0abc"},
		{200,
		 "{\"host\": {\"id\": \"h1\", \"customIdentifier\": \"i-0abc.ec2.amazonaws.com\", "
		 "\"isRetired\": true}}",
		 0, "already retired"},
		{200, "{\"hosts\": []}", 0, "no host object"},
		{200, "{\"host\": \"h1\"}", 0, "no host object"},
		{200, "not json", 0, "no host object"},
		{200, "", 0, "no host object"},
		{200, NULL, 0, "no host object"},
		{404, "{\"error\": {\"message\": \"Host Not Found.\"}}", 0, "HTTP 404"},
		{403, "{}", 0, "HTTP 403"},
		{500, "{}", 0, "HTTP 500"},
		{-1, NULL, 0, "did not answer"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char ev[256] = "";
		const char *b = cases[i].body;
		int got = saba_host_matches(cases[i].status, b, b ? strlen(b) : 0, ci, ev,
					    sizeof(ev));

		if (got != cases[i].want || strstr(ev, cases[i].evidence) == NULL)
			fprintf(stderr, "host case %zu -> %d \"%s\"\n", i, got, ev);
		CU_ASSERT_EQUAL(got, cases[i].want);
		CU_ASSERT_PTR_NOT_NULL(strstr(ev, cases[i].evidence));
	}
}

static void test_host_matches_uses_length(void)
{
	/* The sink's buffer need not end in NUL: only len bytes count. */
	static const char body[] = "{\"host\": {\"id\": \"h1\", \"customIdentifier\": "
				   "\"i-0abc.ec2.amazonaws.com\"}}GARBAGE";
	char ev[256];

	CU_ASSERT_EQUAL(saba_host_matches(200, body, strlen(body) - strlen("GARBAGE"),
					  "i-0abc.ec2.amazonaws.com", ev, sizeof(ev)),
			1);
	CU_ASSERT_EQUAL(saba_host_matches(200, body, strlen(body), "i-0abc.ec2.amazonaws.com", ev,
					  sizeof(ev)),
			0);
	CU_ASSERT_EQUAL(saba_host_matches(200, body, strlen(body) - strlen("GARBAGE"), NULL, ev,
					  sizeof(ev)),
			0);
}

static void test_valid_region(void)
{
	static const char *const good[] = {"us-east-1",	 "us-gov-west-1",  "ap-northeast-1",
					   "cn-north-1", "eu-isoe-west-1", "il-central-1"};
	static const char *const bad[] = {"",		"US-EAST-1",  "us-east",    "us--east-1",
					  "-us-east-1", "us_east_1",  "1us-east-1", "useast1",
					  "../x-1",	"us-east-1 ", NULL};

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		CU_ASSERT_TRUE(saba_ec2_valid_region(good[i]));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CU_ASSERT_FALSE(saba_ec2_valid_region(bad[i]));
}

/* ------------------------------------------------------------------ */
/* the DMI check over sysfs trees                                       */

static char dir[256];

static int make_dirs(void)
{
	snprintf(dir, sizeof(dir), "/tmp/saba-ec2-unit-XXXXXX");
	return mkdtemp(dir) != NULL ? 0 : -1;
}

static int remove_dirs(void)
{
	char cmd[300];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* <dir>/<tree>/<rel> with content (NULL: the file is not written). */
static void put(const char *tree, const char *rel, const char *content)
{
	char path[512], cmd[700];
	FILE *f;

	if (content == NULL)
		return;
	snprintf(path, sizeof(path), "%s/%s/%s", dir, tree, rel);
	snprintf(cmd, sizeof(cmd), "mkdir -p \"$(dirname '%s')\"", path);
	CU_ASSERT_FATAL(system(cmd) == 0);
	f = fopen(path, "w");
	CU_ASSERT_FATAL(f != NULL);
	fputs(content, f);
	fclose(f);
}

static void test_dmi(void)
{
	static const struct {
		const char *tree, *hypervisor, *product;
		int want;
		const char *evidence;
	} cases[] = {
		{"xen", "ec2e1916-9099-7caf-fd21-012345abcdef\n", NULL, SABA_EC2_DMI_YES,
		 "hypervisor/uuid is an EC2 uuid"},
		{"nitro", NULL, "EC2E1916-9099-7CAF-FD21-012345ABCDEF\n", SABA_EC2_DMI_YES,
		 "product_uuid is an EC2 uuid"},
		{"nitro-le", NULL, "45E12AEC-DCD1-B213-94ED-012345ABCDEF\n", SABA_EC2_DMI_YES,
		 "product_uuid is an EC2 uuid"},
		{"xen-other", "4c4c4544-0042-5a10-8057-b2c04f4e4e32\n",
		 "EC2E1916-9099-7CAF-FD21-012345ABCDEF\n", SABA_EC2_DMI_YES, "product_uuid"},
		{"dell", NULL, "4C4C4544-0042-5A10-8057-B2C04F4E4E32\n", SABA_EC2_DMI_NO,
		 "is not an EC2 uuid"},
		{"empty", NULL, "", SABA_EC2_DMI_UNKNOWN, "no DMI uuid readable"},
		{"none", NULL, NULL, SABA_EC2_DMI_UNKNOWN, "no DMI uuid readable"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char sysfs[400], ev[256] = "";
		int got;

		put(cases[i].tree, "hypervisor/uuid", cases[i].hypervisor);
		put(cases[i].tree, "devices/virtual/dmi/id/product_uuid", cases[i].product);
		snprintf(sysfs, sizeof(sysfs), "%s/%s", dir, cases[i].tree);
		got = saba_ec2_dmi_check(sysfs, ev, sizeof(ev));
		if (got != cases[i].want || strstr(ev, cases[i].evidence) == NULL)
			fprintf(stderr, "dmi case %s -> %d \"%s\"\n", cases[i].tree, got, ev);
		CU_ASSERT_EQUAL(got, cases[i].want);
		CU_ASSERT_PTR_NOT_NULL(strstr(ev, cases[i].evidence));
	}
}

static const struct unit_test tests[] = {
	UNIT_TEST(test_spot_action),
	UNIT_TEST(test_lifecycle_state),
	UNIT_TEST(test_kind_needs_state),
	UNIT_TEST(test_confirm_state),
	UNIT_TEST(test_state_gone),
	UNIT_TEST(test_uuid),
	UNIT_TEST(test_custom_identifier),
	UNIT_TEST(test_host_matches),
	UNIT_TEST(test_host_matches_uses_length),
	UNIT_TEST(test_valid_region),
	UNIT_TEST(test_dmi),
};

int main(void)
{
	return unit_run_suite("ec2_classify", tests, sizeof(tests) / sizeof(tests[0]), make_dirs,
			      remove_dirs);
}
