/*
 * The fleet sweeper: the streaming host list reader (first suite), then the
 * decisions, sweep by sweep, with a small fake host table (Mackerel host
 * list and retire_host) of its own and the real fake EC2
 * (tests/plugins/ec2/fakeec2.js, signatures checked with aws4).  Without node the
 * second suite cannot run: SKIP after the first passed.
 *
 * Environment: SABA_SRCDIR (tests/plugins/ec2/).
 */
#define _GNU_SOURCE

#include <jansson.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <saba/plugin.h>

#include "ec2/hostlist.h"
#include "ec2/sweep.h"
#include "lib/clock.h"
#include "unit.h"
#include "fakeec2.h"

static struct fakeec2 fake;

/* ------------------------------------------------------------------ */
/* the fake host table                                                  */

#define MAX_HOSTS 600

struct mhost {
	char id[32];
	char ci[64]; /* "" : none */
	int retired;
};

static struct {
	pthread_mutex_t lock;
	struct mhost hosts[MAX_HOSTS];
	int n;
	long list_status; /* 0: 200 with the table */
	const char *list_body;
	int lists;
	char last_path[256];
	int retire_result;
	int retires;
	char retired_ids[MAX_HOSTS][32];
	char reasons[MAX_HOSTS][256];
	char log[64 * 1024];
} mk = {.lock = PTHREAD_MUTEX_INITIALIZER};

static void mk_reset(void)
{
	pthread_mutex_lock(&mk.lock);
	mk.n = 0;
	mk.list_status = 0;
	mk.list_body = NULL;
	mk.lists = 0;
	mk.retire_result = SABA_RETIRE_DONE;
	mk.retires = 0;
	mk.log[0] = '\0';
	pthread_mutex_unlock(&mk.lock);
}

static void mk_add(const char *id, const char *instance)
{
	struct mhost *h = &mk.hosts[mk.n++];

	snprintf(h->id, sizeof(h->id), "%s", id);
	if (instance != NULL && strchr(instance, '.') == NULL)
		snprintf(h->ci, sizeof(h->ci), "%s.ec2.amazonaws.com", instance);
	else
		snprintf(h->ci, sizeof(h->ci), "%s", instance != NULL ? instance : "");
	h->retired = 0;
}

static int mk_retired(const char *id)
{
	int n = 0;

	pthread_mutex_lock(&mk.lock);
	for (int i = 0; i < mk.retires; i++)
		n += strcmp(mk.retired_ids[i], id) == 0;
	pthread_mutex_unlock(&mk.lock);
	return n;
}

static const char *mk_reason(const char *id)
{
	for (int i = 0; i < mk.retires; i++) {
		if (strcmp(mk.retired_ids[i], id) == 0)
			return mk.reasons[i];
	}
	return "";
}

static void fh_log(saba_ctx *ctx, int level, const char *fmt, ...)
{
	char line[2048];
	va_list ap;

	(void)ctx;
	(void)level;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	pthread_mutex_lock(&mk.lock);
	if (strlen(mk.log) + strlen(line) + 2 < sizeof(mk.log)) {
		strcat(mk.log, line);
		strcat(mk.log, "\n");
	}
	pthread_mutex_unlock(&mk.lock);
}

static long fh_api_request(saba_ctx *ctx, const char *method, const char *path, const char *body,
			   int (*sink)(void *arg, const char *data, size_t len), void *sink_arg,
			   char *err, size_t err_len)
{
	json_t *doc = json_object(), *list = json_array();
	char *text;
	long status;

	(void)ctx;
	(void)body;
	pthread_mutex_lock(&mk.lock);
	mk.lists++;
	snprintf(mk.last_path, sizeof(mk.last_path), "%s %s", method, path);
	status = mk.list_status;
	if (status < 0)
		snprintf(err, err_len, "connection refused");
	for (int i = 0; i < mk.n; i++) {
		json_t *h = json_pack("{s:s, s:s, s:b, s:s, s:{s:s}}", "id", mk.hosts[i].id, "name",
				      "web", "isRetired", mk.hosts[i].retired, "status", "working",
				      "meta", "agent-version", "0.1");

		json_object_set_new(h, "customIdentifier",
				    mk.hosts[i].ci[0] ? json_string(mk.hosts[i].ci) : json_null());
		json_array_append_new(list, h);
	}
	pthread_mutex_unlock(&mk.lock);
	json_object_set_new(doc, "hosts", list);
	text = json_dumps(doc, JSON_COMPACT);
	json_decref(doc);
	if (status == 0) {
		const char *b = mk.list_body != NULL ? mk.list_body : text;
		size_t half = strlen(b) / 2;

		/* in two pieces, as the ABI allows; a sink that stops the
		 * reading makes it -1, as the agent's transport does */
		if (sink(sink_arg, b, half) != 0 ||
		    sink(sink_arg, b + half, strlen(b) - half) != 0) {
			snprintf(err, err_len, "Failed writing received data to disk/application");
			status = -1;
		} else {
			status = 200;
		}
	} else if (status > 0) {
		sink(sink_arg, "{\"error\":{\"message\":\"fake\"}}", 28);
	}
	free(text);
	return status;
}

static int fh_retire_host(saba_ctx *ctx, const char *host_id, const struct saba_retire_request *req)
{
	int r;

	(void)ctx;
	pthread_mutex_lock(&mk.lock);
	if (mk.retires < MAX_HOSTS) {
		snprintf(mk.retired_ids[mk.retires], 32, "%s", host_id);
		snprintf(mk.reasons[mk.retires], 256, "%d %s", req->kind, req->reason);
		mk.retires++;
	}
	r = mk.retire_result;
	/* a retired host leaves the list */
	for (int i = 0; r == SABA_RETIRE_DONE && i < mk.n; i++) {
		if (strcmp(mk.hosts[i].id, host_id) == 0)
			mk.hosts[i].retired = 1;
	}
	pthread_mutex_unlock(&mk.lock);
	return r;
}

static const struct saba_host fake_host = {
	.abi_major = SABA_PLUGIN_ABI_MAJOR,
	.abi_minor = SABA_PLUGIN_ABI_MINOR,
	.struct_size = sizeof(struct saba_host),
	.log = fh_log,
	.api_request = fh_api_request,
	.retire_host = fh_retire_host,
};

/* ------------------------------------------------------------------ */
/* helpers                                                              */

static const char *const two_regions[] = {"eu-west-1", "us-east-1"};

static size_t new_sweep_max_hosts; /* 0: the sweeper's own limit */

static struct saba_sweep *new_sweep(int nregions, int grace_s, long timeout_ms)
{
	struct saba_sweep_config cfg = {
		.host = &fake_host,
		.ctx = NULL,
		.regions = two_regions,
		.nregions = nregions,
		.interval_s = 1,
		.absent_grace_s = grace_s,
		.ec2_endpoint = fake.url,
		.timeout_ms = timeout_ms,
		.max_hosts = new_sweep_max_hosts,
	};
	struct saba_sweep *s = saba_sweep_new(&cfg);

	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	return s;
}

static void ec2_reset(void)
{
	fakeec2_post(&fake, "/_fake/reset", "{}");
	fakeec2_post(&fake, "/_fake/credentials",
		     "{\"accessKeyId\":\"AKIASWEEPER\",\"secretAccessKey\":\"sweep/secret+1\"}");
	setenv("AWS_ACCESS_KEY_ID", "AKIASWEEPER", 1);
	setenv("AWS_SECRET_ACCESS_KEY", "sweep/secret+1", 1);
	mk_reset();
}

static void ec2_set(const char *region, const char *id, const char *state)
{
	char buf[256];

	snprintf(buf, sizeof(buf), "{\"region\":\"%s\",\"instances\":{\"%s\":\"%s\"}}", region, id,
		 state);
	CU_ASSERT_EQUAL(fakeec2_post(&fake, "/_fake/instances", buf), 200);
}

static void ec2_remove(const char *region, const char *id)
{
	char buf[256];

	snprintf(buf, sizeof(buf), "{\"region\":\"%s\",\"ids\":[\"%s\"]}", region, id);
	CU_ASSERT_EQUAL(fakeec2_post(&fake, "/_fake/remove", buf), 200);
}

static void ec2_faults(const char *region, const char *faults)
{
	char buf[512];

	snprintf(buf, sizeof(buf), "{\"region\":\"%s\",\"faults\":%s}", region, faults);
	CU_ASSERT_EQUAL(fakeec2_post(&fake, "/_fake/faults", buf), 200);
}

static long region_stat(const char *region, const char *key)
{
	char *body = NULL;
	json_t *j;
	long v;

	fakeec2_call(&fake, "/_fake/stats", NULL, &body);
	j = json_loads(body, 0, NULL);
	v = (long)json_integer_value(
		json_object_get(json_object_get(json_object_get(j, "regions"), region), key));
	json_decref(j);
	free(body);
	return v;
}

static void sweep(struct saba_sweep *s, struct saba_sweep_stats *st)
{
	CU_ASSERT_EQUAL(saba_sweep_round(s, st), 0);
}

#define I_RUN	"i-0000000000000a001"
#define I_STOP	"i-0000000000000a002"
#define I_TERM	"i-0000000000000a003"
#define I_SHUT	"i-0000000000000a004"
#define I_STPG	"i-0000000000000a005"
#define I_PEND	"i-0000000000000a006"
#define I_GONE	"i-0000000000000a007"
#define I_OTHER "i-0000000000000b001"

/* ------------------------------------------------------------------ */
/* tests                                                                */

static void test_states(void)
{
	struct saba_sweep *s;
	struct saba_sweep_stats st;

	ec2_reset();
	mk_add("hRun", I_RUN);
	mk_add("hStop", I_STOP);
	mk_add("hTerm", I_TERM);
	mk_add("hShut", I_SHUT);
	mk_add("hStopping", I_STPG);
	mk_add("hPending", I_PEND);
	ec2_set("eu-west-1", I_RUN, "running");
	ec2_set("eu-west-1", I_STOP, "stopped");
	ec2_set("eu-west-1", I_TERM, "terminated");
	ec2_set("eu-west-1", I_SHUT, "shutting-down");
	ec2_set("eu-west-1", I_STPG, "stopping");
	ec2_set("eu-west-1", I_PEND, "pending");
	s = new_sweep(1, 7200, 5000);
	sweep(s, &st);
	CU_ASSERT_STRING_EQUAL(mk.last_path, "GET /api/v0/hosts?status=working&status=standby"
					     "&status=maintenance&status=poweroff");
	CU_ASSERT_EQUAL(mk.retires, 2);
	CU_ASSERT_EQUAL(mk_retired("hTerm"), 1);
	CU_ASSERT_EQUAL(mk_retired("hShut"), 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(mk_reason("hTerm"), "eu-west-1"));
	CU_ASSERT_PTR_NOT_NULL(strstr(mk_reason("hTerm"), I_TERM " as terminated"));
	CU_ASSERT_EQUAL(atoi(mk_reason("hTerm")), SABA_STOP_TERMINATE);
	CU_ASSERT_EQUAL(st.ec2, 6);
	CU_ASSERT_EQUAL(st.live, 4);
	CU_ASSERT_EQUAL(st.dead, 2);
	CU_ASSERT_EQUAL(st.retired, 2);
	CU_ASSERT_EQUAL(st.requests, 1);
	/* one log line for the sweep, with its counts */
	CU_ASSERT_PTR_NOT_NULL(strstr(mk.log, "sweep: 6 hosts listed, 6 on EC2"));
	CU_ASSERT_PTR_NOT_NULL(strstr(mk.log, "retired 2, failed 0"));
	/* the next sweep: the retired hosts left the list; nothing more */
	sweep(s, &st);
	CU_ASSERT_EQUAL(mk.retires, 2);
	CU_ASSERT_EQUAL(st.ec2, 4);
	saba_sweep_free(s);
}

/* A state code whose name disagrees is doubt, and doubt never retires: the
 * sweeper asks what the own-host confirmation asks (name and code). */
static void test_state_name_and_code_agree(void)
{
	struct saba_sweep *s;
	struct saba_sweep_stats st;
	char buf[512];

	ec2_reset();
	mk_add("hCodeOnly", I_RUN);
	mk_add("hNameOnly", I_STOP);
	mk_add("hBoth", I_TERM);
	snprintf(buf, sizeof(buf),
		 "{\"region\":\"eu-west-1\",\"instances\":{"
		 "\"%s\":{\"state\":\"running\",\"code\":48},"
		 "\"%s\":{\"state\":\"terminated\",\"code\":16},"
		 "\"%s\":{\"state\":\"terminated\",\"code\":304}}}",
		 I_RUN, I_STOP, I_TERM);
	CU_ASSERT_EQUAL(fakeec2_post(&fake, "/_fake/instances", buf), 200);
	s = new_sweep(1, 7200, 5000);
	sweep(s, &st);
	CU_ASSERT_EQUAL(mk_retired("hCodeOnly"), 0);
	CU_ASSERT_EQUAL(mk_retired("hNameOnly"), 0);
	/* the code's high byte is EC2's own: 304 & 0xFF is 48 */
	CU_ASSERT_EQUAL(mk_retired("hBoth"), 1);
	CU_ASSERT_EQUAL(mk.retires, 1);
	CU_ASSERT_EQUAL(st.dead, 1);
	CU_ASSERT_EQUAL(st.live, 2);
	saba_sweep_free(s);
}

/* Only "<instance-id>.ec2.amazonaws.com" counts; ids go into URLs. */
static void test_which_hosts(void)
{
	struct saba_sweep *s;
	struct saba_sweep_stats st;

	ec2_reset();
	mk_add("hDup1", I_TERM);
	mk_add("hDup2", I_TERM); /* two hosts of one instance: both go */
	mk_add("hNone", NULL);
	mk_add("hGce", "1234567890.gce.cloud.google.com");
	mk_add("hBadId", "i-XYZ.ec2.amazonaws.com");
	mk_add("hShort", "i-123.ec2.amazonaws.com");
	mk_add("h/../x", I_SHUT);
	mk_add("hOld", "i-0000a003.ec2.amazonaws.com"); /* 8-digit ids exist */
	mk.hosts[mk.n - 1].retired = 1;			/* listed, but retired */
	ec2_set("eu-west-1", I_TERM, "terminated");
	ec2_set("eu-west-1", I_SHUT, "terminated");
	s = new_sweep(1, 7200, 5000);
	sweep(s, &st);
	CU_ASSERT_EQUAL(mk.retires, 2);
	CU_ASSERT_EQUAL(mk_retired("hDup1"), 1);
	CU_ASSERT_EQUAL(mk_retired("hDup2"), 1);
	CU_ASSERT_EQUAL(st.listed, 8);
	CU_ASSERT_EQUAL(st.ec2, 2);
	CU_ASSERT_EQUAL(st.invalid, 3);
	CU_ASSERT_EQUAL(region_stat("eu-west-1", "idsQueried"), 1); /* one value for both */
	saba_sweep_free(s);
}

/* Absent instances go only after absent_grace and 2 sweeps, and only when
 * this sweeper saw them listed before. */
static void test_absent_grace(void)
{
	struct saba_sweep *s;
	struct saba_sweep_stats st;
	struct timespec ts = {1, 200000000};

	ec2_reset();
	mk_add("hGone", I_GONE);
	mk_add("hNever", I_OTHER); /* never listed by EC2 */
	ec2_set("eu-west-1", I_GONE, "running");
	s = new_sweep(1, 1, 5000);
	sweep(s, &st);
	CU_ASSERT_EQUAL(st.live, 1);
	CU_ASSERT_EQUAL(st.never_seen, 1);
	ec2_remove("eu-west-1", I_GONE);
	sweep(s, &st);
	CU_ASSERT_EQUAL(st.absent_wait, 1);
	sweep(s, &st); /* two sweeps, but not yet a second */
	CU_ASSERT_EQUAL(st.absent_wait, 1);
	CU_ASSERT_EQUAL(mk.retires, 0);
	nanosleep(&ts, NULL);
	sweep(s, &st);
	CU_ASSERT_EQUAL(st.absent_gone, 1);
	CU_ASSERT_EQUAL(mk.retires, 1);
	CU_ASSERT_EQUAL(mk_retired("hGone"), 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(mk_reason("hGone"), "absent"));
	CU_ASSERT_PTR_NOT_NULL(strstr(mk_reason("hGone"), "last listed as running"));
	CU_ASSERT_EQUAL(st.never_seen, 1);
	CU_ASSERT_EQUAL(mk_retired("hNever"), 0);
	saba_sweep_free(s);
}

/* With absent_grace 0 it still takes two clean sweeps. */
static void test_absent_two_sweeps(void)
{
	struct saba_sweep *s;
	struct saba_sweep_stats st;

	ec2_reset();
	mk_add("hGone", I_GONE);
	ec2_set("eu-west-1", I_GONE, "stopped");
	s = new_sweep(1, 0, 5000);
	sweep(s, &st);
	ec2_remove("eu-west-1", I_GONE);
	sweep(s, &st);
	CU_ASSERT_EQUAL(st.absent_wait, 1);
	CU_ASSERT_EQUAL(mk.retires, 0);
	/* listed again in between: the count starts over */
	ec2_set("eu-west-1", I_GONE, "stopped");
	sweep(s, &st);
	ec2_remove("eu-west-1", I_GONE);
	sweep(s, &st);
	CU_ASSERT_EQUAL(mk.retires, 0);
	sweep(s, &st);
	CU_ASSERT_EQUAL(mk.retires, 1);
	saba_sweep_free(s);
}

/* A region with an error retires nothing, and a sweep with any region
 * error does not count absences. */
static void test_region_error(void)
{
	struct saba_sweep *s;
	struct saba_sweep_stats st;

	ec2_reset();
	mk_add("hTermA", "i-00000000000000aa1");
	mk_add("hTermB", "i-00000000000000bb1");
	mk_add("hGoneA", "i-00000000000000aa2");
	ec2_set("eu-west-1", "i-00000000000000aa1", "terminated");
	ec2_set("eu-west-1", "i-00000000000000aa2", "running");
	ec2_set("us-east-1", "i-00000000000000bb1", "running");
	s = new_sweep(2, 0, 5000);
	sweep(s, &st);
	CU_ASSERT_EQUAL(mk.retires, 1); /* hTermA */
	CU_ASSERT_EQUAL(st.regions_ok, 2);
	/* The instance in us-east-1 is asked for there only from now on. */
	fakeec2_post(&fake, "/_fake/stats/reset", "{}");
	ec2_set("us-east-1", "i-00000000000000bb1", "terminated");
	ec2_remove("eu-west-1", "i-00000000000000aa2");
	ec2_faults("us-east-1", "[{\"error\":\"AuthFailure\"}]");
	sweep(s, &st);
	CU_ASSERT_EQUAL(st.regions_ok, 1);
	CU_ASSERT_EQUAL(st.held, 0); /* us-east-1 answered nothing at all */
	CU_ASSERT_EQUAL(st.unknown, 2);
	CU_ASSERT_EQUAL(mk_retired("hTermB"), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(mk.log, "region us-east-1: DescribeInstances failed: "
					      "AuthFailure"));
	CU_ASSERT_EQUAL(region_stat("eu-west-1", "idsQueried"), 1);
	sweep(s, &st);
	sweep(s, &st);
	CU_ASSERT_EQUAL(mk_retired("hGoneA"), 0); /* failed sweeps do not count */
	ec2_faults("us-east-1", "[]");
	sweep(s, &st); /* clean: first absence of hGoneA, hTermB dead */
	CU_ASSERT_EQUAL(mk_retired("hTermB"), 1);
	CU_ASSERT_EQUAL(mk_retired("hGoneA"), 0);
	CU_ASSERT_EQUAL(st.absent_wait, 1);
	sweep(s, &st);
	CU_ASSERT_EQUAL(mk_retired("hGoneA"), 1);
	saba_sweep_free(s);
}

/* A dead instance in a region whose later batch fails is held. */
static void test_region_partial_failure_holds(void)
{
	struct saba_sweep *s;
	struct saba_sweep_stats st;
	char buf[64 * 1024], id[32], host[32];
	size_t len = 0;

	ec2_reset();
	len += (size_t)snprintf(buf + len, sizeof(buf) - len,
				"{\"region\":\"eu-west-1\",\"instances\":{");
	for (int i = 0; i < 450; i++) {
		snprintf(id, sizeof(id), "i-%017x", 0x100 + i);
		snprintf(host, sizeof(host), "h%05d", i);
		mk_add(host, id);
		len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%s\"%s\":\"%s\"",
					i ? "," : "", id, i == 0 ? "terminated" : "running");
	}
	snprintf(buf + len, sizeof(buf) - len, "}}");
	CU_ASSERT_EQUAL(fakeec2_post(&fake, "/_fake/instances", buf), 200);
	/* batch 1 answers (with the terminated one), batch 2 fails */
	ec2_faults("eu-west-1", "[{\"error\":\"delay\",\"count\":1},"
				"{\"error\":\"UnauthorizedOperation\",\"count\":1}]");
	s = new_sweep(1, 0, 5000);
	sweep(s, &st);
	CU_ASSERT_EQUAL(st.held, 1);
	CU_ASSERT_EQUAL(mk.retires, 0);
	CU_ASSERT_EQUAL(st.regions_ok, 0);
	/* next sweep answers: batches of at most 200 values */
	fakeec2_post(&fake, "/_fake/stats/reset", "{}");
	sweep(s, &st);
	CU_ASSERT_EQUAL(mk.retires, 1);
	CU_ASSERT_EQUAL(mk_retired("h00000"), 1);
	CU_ASSERT_EQUAL(region_stat("eu-west-1", "requests"), 3);
	CU_ASSERT_EQUAL(region_stat("eu-west-1", "maxIds"), 200);
	CU_ASSERT_EQUAL(region_stat("eu-west-1", "idsQueried"), 450);
	saba_sweep_free(s);
}

static void test_throttling_retried(void)
{
	struct saba_sweep *s;
	struct saba_sweep_stats st;

	ec2_reset();
	mk_add("hTerm", I_TERM);
	ec2_set("eu-west-1", I_TERM, "terminated");
	ec2_faults("eu-west-1", "[{\"error\":\"RequestLimitExceeded\",\"count\":3}]");
	s = new_sweep(1, 0, 5000);
	sweep(s, &st);
	CU_ASSERT_EQUAL(mk_retired("hTerm"), 1);
	CU_ASSERT_EQUAL(st.requests, 4);
	saba_sweep_free(s);
}

static void test_hang_and_bad_answers(void)
{
	static const char *const faults[] = {"[{\"error\":\"hang\"}]", "[{\"error\":\"garbage\"}]",
					     "[{\"error\":\"truncated\"}]",
					     "[{\"error\":\"InternalError\"}]"};
	struct saba_sweep_stats st;

	for (size_t i = 0; i < sizeof(faults) / sizeof(faults[0]); i++) {
		struct saba_sweep *s;
		int64_t t0;

		ec2_reset();
		mk_add("hTerm", I_TERM);
		ec2_set("eu-west-1", I_TERM, "terminated");
		ec2_faults("eu-west-1", faults[i]);
		s = new_sweep(1, 0, 800);
		t0 = saba_clock_ms();
		sweep(s, &st);
		CU_ASSERT(saba_clock_ms() - t0 < 10000);
		CU_ASSERT_EQUAL(mk.retires, 0);
		CU_ASSERT_EQUAL(st.regions_ok, 0);
		fakeec2_post(&fake, "/_fake/release", "{}");
		saba_sweep_free(s);
	}
}

static void test_list_failures(void)
{
	struct saba_sweep *s;
	struct saba_sweep_stats st;
	static const long statuses[] = {500, 403, -1, 0};

	for (size_t i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++) {
		ec2_reset();
		mk_add("hTerm", I_TERM);
		ec2_set("eu-west-1", I_TERM, "terminated");
		mk.list_status = statuses[i];
		if (statuses[i] == 0)
			mk.list_body = "{\"hosts\": [ {\"id\": \"hTerm\", "; /* cut short */
		s = new_sweep(1, 0, 5000);
		sweep(s, &st);
		CU_ASSERT_EQUAL(st.list_failed, 1);
		CU_ASSERT_EQUAL(mk.retires, 0);
		CU_ASSERT_EQUAL(region_stat("eu-west-1", "requests"), 0);
		CU_ASSERT_PTR_NOT_NULL(strstr(mk.log, "cannot list the Mackerel hosts"));
		saba_sweep_free(s);
	}
}

/* More EC2 hosts than a sweep takes: that is the error logged, not the
 * transport's note that the reading stopped; nothing retires. */
static void test_too_many_hosts(void)
{
	struct saba_sweep *s;
	struct saba_sweep_stats st;

	ec2_reset();
	mk_add("hRun", I_RUN);
	mk_add("hStop", I_STOP);
	mk_add("hTerm", I_TERM);
	mk_add("hShut", I_SHUT);
	ec2_set("eu-west-1", I_TERM, "terminated");
	new_sweep_max_hosts = 3;
	s = new_sweep(1, 0, 5000);
	new_sweep_max_hosts = 0;
	sweep(s, &st);
	CU_ASSERT_EQUAL(st.list_failed, 1);
	CU_ASSERT_EQUAL(mk.retires, 0);
	CU_ASSERT_PTR_NOT_NULL(
		strstr(mk.log, "cannot list the Mackerel hosts: more than 3 EC2 hosts"));
	CU_ASSERT_PTR_NULL(strstr(mk.log, "Failed writing"));
	saba_sweep_free(s);
}

/* A failed retire is tried again next sweep. */
static void test_retire_failure_retried(void)
{
	struct saba_sweep *s;
	struct saba_sweep_stats st;

	ec2_reset();
	mk_add("hTerm", I_TERM);
	ec2_set("eu-west-1", I_TERM, "terminated");
	mk.retire_result = SABA_RETIRE_FAILED;
	s = new_sweep(1, 0, 5000);
	sweep(s, &st);
	CU_ASSERT_EQUAL(st.retire_failed, 1);
	mk.retire_result = SABA_RETIRE_DONE;
	sweep(s, &st);
	CU_ASSERT_EQUAL(st.retired, 1);
	CU_ASSERT_EQUAL(mk_retired("hTerm"), 2);
	sweep(s, &st);
	CU_ASSERT_EQUAL(mk_retired("hTerm"), 2);
	saba_sweep_free(s);
}

/* The thread sweeps at once, then every interval, and stops promptly even
 * with a request hanging. */
static void test_thread_and_stop(void)
{
	struct saba_sweep *s;
	struct timespec ts = {0, 50000000};
	int64_t t0;

	ec2_reset();
	mk_add("hTerm", I_TERM);
	ec2_set("eu-west-1", I_TERM, "terminated");
	s = new_sweep(1, 0, 30000);
	CU_ASSERT_EQUAL(saba_sweep_start(s), SABA_OK);
	for (int i = 0; i < 100 && mk_retired("hTerm") == 0; i++)
		nanosleep(&ts, NULL);
	CU_ASSERT_EQUAL(mk_retired("hTerm"), 1);
	for (int i = 0; i < 60 && mk.lists < 2; i++)
		nanosleep(&ts, NULL);
	CU_ASSERT(mk.lists >= 2); /* interval 1 s */
	pthread_mutex_lock(&mk.lock);
	mk_add("hRun", I_RUN);
	pthread_mutex_unlock(&mk.lock);
	ec2_faults("eu-west-1", "[{\"error\":\"hang\"}]");
	for (int i = 0; i < 60 && region_stat("eu-west-1", "faults") == 0; i++)
		nanosleep(&ts, NULL);
	CU_ASSERT(region_stat("eu-west-1", "faults") >= 1);
	t0 = saba_clock_ms();
	saba_sweep_stop(s);
	CU_ASSERT(saba_clock_ms() - t0 < 2000);
	fakeec2_post(&fake, "/_fake/release", "{}");
	saba_sweep_free(s);
}

static void test_config_refused(void)
{
	struct saba_sweep_config cfg = {
		.host = &fake_host,
		.regions = two_regions,
		.nregions = 1,
		.interval_s = 1,
		.absent_grace_s = 0,
		.timeout_ms = 1000,
	};
	static const char *const bad_region[] = {"EU West"};
	struct saba_sweep_config c;
	struct saba_host old = fake_host;

	mk_reset();
	c = cfg;
	c.nregions = 0;
	CU_ASSERT_PTR_NULL(saba_sweep_new(&c));
	c = cfg;
	c.interval_s = 0;
	CU_ASSERT_PTR_NULL(saba_sweep_new(&c));
	c = cfg;
	c.regions = bad_region;
	CU_ASSERT_PTR_NULL(saba_sweep_new(&c));
	CU_ASSERT_PTR_NOT_NULL(strstr(mk.log, "EU West"));
	/* an ABI 1.1 agent: its table ends before api_request */
	old.abi_minor = 1;
	old.struct_size = offsetof(struct saba_host, api_request);
	c = cfg;
	c.host = &old;
	CU_ASSERT_PTR_NULL(saba_sweep_new(&c));
	CU_ASSERT_PTR_NOT_NULL(strstr(mk.log, "ABI 1.2"));
}

/* ------------------------------------------------------------------ */
/* the host list reader                                                 */

struct got {
	int n;
	char ids[16][32];
};

static int on_host(void *arg, json_t *h)
{
	struct got *g = arg;
	const char *id = json_string_value(json_object_get(h, "id"));

	if (g->n < 16)
		snprintf(g->ids[g->n], 32, "%s", id != NULL ? id : "?");
	g->n++;
	return 0;
}

/* Feed doc in pieces of step bytes; returns the finish() result. */
static int read_list(const char *doc, size_t step, struct got *g)
{
	struct saba_hostlist *l = saba_hostlist_new(on_host, g);
	size_t n = strlen(doc);
	int rc = 0;

	memset(g, 0, sizeof(*g));
	for (size_t i = 0; i < n && rc == 0; i += step)
		rc = saba_hostlist_feed(l, doc + i, i + step <= n ? step : n - i);
	if (rc == 0)
		rc = saba_hostlist_finish(l);
	saba_hostlist_free(l);
	return rc;
}

static const char list_doc[] =
	" {\"count\": 12345, \"note\": \"a } ] , string\", \"nested\": {\"hosts\": [1]},\n"
	"  \"hosts\": [ {\"id\": \"h1\", \"meta\": {\"cpu\": [{\"a\": \"]}\"}]}},\n"
	"  {\"id\": \"h2\", \"customIdentifier\": null, \"isRetired\": false},"
	"{\"id\":\"h3\",\"x\":-1.5e3} ], \"tail\": true } \n";

static void test_hostlist_pieces(void)
{
	static const size_t steps[] = {1, 2, 3, 7, 64, 100000};
	struct got g;

	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		CU_ASSERT_EQUAL(read_list(list_doc, steps[i], &g), 0);
		CU_ASSERT_EQUAL(g.n, 3);
		CU_ASSERT_STRING_EQUAL(g.ids[0], "h1");
		CU_ASSERT_STRING_EQUAL(g.ids[2], "h3");
	}
	CU_ASSERT_EQUAL(read_list("{\"hosts\":[]}", 1, &g), 0);
	CU_ASSERT_EQUAL(g.n, 0);
}

static void test_hostlist_broken(void)
{
	static const char *const bad[] = {
		"",
		"[]",
		"{}",				      /* no hosts */
		"{\"hosts\": {}}",		      /* not an array */
		"{\"hosts\": [{\"id\": \"h1\"}",      /* truncated */
		"{\"hosts\": [{\"id\": \"h1\"},]}",   /* trailing comma */
		"{\"hosts\": [{\"id\": \"h1\"}] } x", /* data after the end */
		"{\"hosts\": [{\"id\": \"h1\"}], \"hosts\": []}",
		"{\"hosts\" [] }",
		"{\"hosts\": [{\"id\": \"h1\" \"x\": 1}]}",
		"{\"hosts\": [{\"id\": \"h1\"}], \"n\": 12",
	};
	struct got g;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		for (size_t step = 1; step <= 64; step *= 4) {
			struct saba_hostlist *l;
			int rc = read_list(bad[i], step, &g);

			if (rc != -1)
				fprintf(stderr, "\n  accepted bad list %zu (step %zu): %s\n", i,
					step, bad[i]);
			CU_ASSERT_EQUAL(rc, -1);
			l = saba_hostlist_new(on_host, &g);
			saba_hostlist_feed(l, bad[i], strlen(bad[i]));
			CU_ASSERT(saba_hostlist_finish(l) == -1 &&
				  saba_hostlist_error(l)[0] != '\0');
			saba_hostlist_free(l);
		}
	}
}

static const struct unit_test offline_tests[] = {
	UNIT_TEST(test_hostlist_pieces),
	UNIT_TEST(test_hostlist_broken),
};

static const struct unit_test tests[] = {
	UNIT_TEST(test_states),
	UNIT_TEST(test_state_name_and_code_agree),
	UNIT_TEST(test_which_hosts),
	UNIT_TEST(test_absent_grace),
	UNIT_TEST(test_absent_two_sweeps),
	UNIT_TEST(test_region_error),
	UNIT_TEST(test_region_partial_failure_holds),
	UNIT_TEST(test_throttling_retried),
	UNIT_TEST(test_hang_and_bad_answers),
	UNIT_TEST(test_list_failures),
	UNIT_TEST(test_too_many_hosts),
	UNIT_TEST(test_retire_failure_retried),
	UNIT_TEST(test_thread_and_stop),
	UNIT_TEST(test_config_refused),
};

int main(void)
{
	unsetenv("AWS_SESSION_TOKEN");
	unsetenv("AWS_ENDPOINT_URL_EC2");
	return FAKEEC2_MAIN(&fake, "ec2 sweeper host list", offline_tests, "ec2 sweeper", tests);
}
