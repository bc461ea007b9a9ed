/*
 * The retire routine's state machine, driven through an injected sender:
 * policy (kinds that never retire, cloud confirmation, the package
 * removal marker), once-only, the retire.timeout deadline, and what
 * happens to the id file.
 *
 * Environment: SABA_TEST_PLUGIN_DIR (the `trigger` test plugin).
 */
#define _GNU_SOURCE

#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "api.h"
#include "conf.h"
#include "idfile.h"
#include "instance.h"
#include "queue.h"
#include "retire.h"
#include "runtime.h"
#include "util.h"
#include "unit.h"

#define HOST_ID "4RetireMe"

static char tmpdir[] = "/tmp/saba-test-retire.XXXXXX";
static char root[sizeof(tmpdir) + 32];
static char conf_path[sizeof(tmpdir) + 32];
static char marker[sizeof(tmpdir) + 32];
static char plugdir[PATH_MAX];

/* ------------------------------------------------------------------ */
/* the fake sender                                                      */

struct sender {
	pthread_mutex_t lock;
	int calls;
	int script[8]; /* status of call i (enum saba_api_status)... */
	int nscript;
	int then; /* ...and of every later call */
	long sleep_ms;
	int dry_run; /* answer as the transport does under --dry-run */
};

static const long http_of[] = {
	[SABA_API_OK] = 200,
	[SABA_API_RETRY] = 503,
	[SABA_API_REFUSED] = 403,
	[SABA_API_NOT_FOUND] = 404,
};

static int fake_send(void *arg, struct saba_runtime *rt, const char *host_id, int64_t deadline_ms,
		     struct saba_api_result *r)
{
	struct sender *s = arg;
	int i;

	pthread_mutex_lock(&s->lock);
	i = s->calls++;
	pthread_mutex_unlock(&s->lock);
	if (s->sleep_ms > 0) {
		struct timespec ts = {s->sleep_ms / 1000, (s->sleep_ms % 1000) * 1000000};

		nanosleep(&ts, NULL);
	}
	r->status = i < s->nscript ? s->script[i] : s->then;
	r->http_status = s->dry_run ? 0 : http_of[r->status];
	r->dry_run = s->dry_run;
	r->retry_after = -1;
	r->json = NULL;
	snprintf(r->message, sizeof(r->message), "POST /api/v0/hosts/%s/retire: fake %ld", host_id,
		 r->http_status);
	return r->status;
}

static int calls(struct sender *s)
{
	int n;

	pthread_mutex_lock(&s->lock);
	n = s->calls;
	pthread_mutex_unlock(&s->lock);
	return n;
}

/* ------------------------------------------------------------------ */
/* fixture: a runtime as the agent builds it                            */

struct fx {
	struct saba_runtime rt;
	struct saba_instances set;
	struct sender snd;
};

/* retire_group: the retire = { ... } body; plugins: plugins = { ... } body
 * (may be NULL).  Registered with HOST_ID and an id file unless !registered. */
static int fx_setup(struct fx *f, const char *retire_group, const char *plugins, int registered)
{
	char text[PATH_MAX + 1024], err[512];
	FILE *fp;

	memset(f, 0, sizeof(*f));
	pthread_mutex_init(&f->snd.lock, NULL);
	f->snd.then = SABA_API_OK;
	saba_runtime_init(&f->rt);
	snprintf(text, sizeof(text),
		 "root = \"%s\";\nplugin_dir = \"%s\";\nretire = { %s };\nplugins = { %s };\n",
		 root, plugdir, retire_group, plugins != NULL ? plugins : "");
	fp = fopen(conf_path, "w");
	if (fp == NULL)
		return -1;
	fputs(text, fp);
	fclose(fp);
	if (saba_conf_load(conf_path, NULL, &f->rt.conf) != 0)
		return -1;
	if (plugins != NULL) {
		if (saba_instances_create(&f->rt, f->rt.conf, &f->set) != 0)
			return -1;
		f->rt.instances = &f->set;
	}
	f->rt.retire = saba_retire_new();
	saba_retire_set_sender(f->rt.retire, fake_send, &f->snd);
	saba_retire_set_removal_marker(f->rt.retire, marker);
	f->rt.queue = saba_queue_new(4);
	if (registered) {
		saba_runtime_set_host_id(&f->rt, HOST_ID);
		if (saba_idfile_write(root, HOST_ID, err, sizeof(err)) != 0) {
			fprintf(stderr, "%s\n", err);
			return -1;
		}
	}
	return 0;
}

static void fx_teardown(struct fx *f)
{
	char err[512];

	if (f->rt.instances != NULL)
		saba_instances_destroy(&f->set);
	saba_retire_free(f->rt.retire);
	saba_queue_free(f->rt.queue);
	saba_conf_free(f->rt.conf);
	saba_runtime_destroy(&f->rt);
	pthread_mutex_destroy(&f->snd.lock);
	saba_idfile_remove(root, err, sizeof(err));
}

static int retire(struct fx *f, int kind)
{
	struct saba_retire_request req = {
		.struct_size = sizeof(req),
		.kind = kind,
		.reason = "unit test",
	};

	return saba_retire_run(&f->rt, "unit test", &req);
}

/* 1 when the id file holds HOST_ID, 0 when absent. */
static int id_kept(void)
{
	char err[512], *id = NULL;
	int rc = saba_idfile_read(root, &id, err, sizeof(err));
	int kept = rc == 0 && strcmp(id, HOST_ID) == 0;

	free(id);
	return kept;
}

static int retired_flag(struct fx *f)
{
	int r;

	pthread_mutex_lock(&f->rt.lock);
	r = f->rt.retired;
	pthread_mutex_unlock(&f->rt.lock);
	return r;
}

#define SETUP(f, retire_group, plugins, registered)                                                \
	CU_ASSERT_EQUAL_FATAL(fx_setup((f), (retire_group), (plugins), (registered)), 0)

/* ------------------------------------------------------------------ */
/* outcomes of the API call                                             */

static void test_manual_done_once(void)
{
	struct saba_point p = {.name = "x", .value = 1, .time = 1};
	struct fx f;

	SETUP(&f, "timeout = 3;", NULL, 1);
	saba_queue_stage(f.rt.queue, &p, 1);
	saba_queue_seal(f.rt.queue, 1);
	CU_ASSERT_EQUAL(retire(&f, SABA_STOP_MANUAL), SABA_RETIRE_DONE);
	CU_ASSERT_EQUAL(calls(&f.snd), 1);
	CU_ASSERT(!id_kept());
	CU_ASSERT(retired_flag(&f));
	CU_ASSERT_EQUAL(saba_queue_length(f.rt.queue), 0); /* nothing left to post */
	/* final: the second request gets the same answer without a send */
	CU_ASSERT_EQUAL(retire(&f, SABA_STOP_MANUAL), SABA_RETIRE_DONE);
	CU_ASSERT_EQUAL(retire(&f, SABA_STOP_POWEROFF), SABA_RETIRE_DONE);
	CU_ASSERT_EQUAL(calls(&f.snd), 1);
	fx_teardown(&f);
}

/* --dry-run: the transport says nothing was sent; the routine says so too
 * and keeps the id file. */
static void test_dry_run_keeps_the_host(void)
{
	struct fx f;

	SETUP(&f, "timeout = 3;", NULL, 1);
	f.snd.dry_run = 1;
	CU_ASSERT_EQUAL(retire(&f, SABA_STOP_MANUAL), SABA_RETIRE_DRY_RUN);
	CU_ASSERT_EQUAL(calls(&f.snd), 1);
	CU_ASSERT(id_kept());
	CU_ASSERT(!retired_flag(&f));
	fx_teardown(&f);
}

static void test_never_retiring_kinds(void)
{
	struct saba_retire_request shortreq = {.struct_size = 4, .kind = SABA_STOP_MANUAL};
	struct fx f;

	SETUP(&f, "timeout = 3;", NULL, 1);
	CU_ASSERT_EQUAL(retire(&f, SABA_STOP_RESTART), SABA_RETIRE_DECLINED);
	CU_ASSERT_EQUAL(retire(&f, SABA_STOP_UNKNOWN), SABA_RETIRE_DECLINED);
	CU_ASSERT_EQUAL(retire(&f, 99), SABA_RETIRE_DECLINED);
	CU_ASSERT_EQUAL(retire(&f, -1), SABA_RETIRE_DECLINED);
	CU_ASSERT_EQUAL(saba_retire_run(&f.rt, "unit test", &shortreq), SABA_RETIRE_DECLINED);
	CU_ASSERT_EQUAL(saba_retire_run(&f.rt, "unit test", NULL), SABA_RETIRE_DECLINED);
	CU_ASSERT_EQUAL(calls(&f.snd), 0);
	CU_ASSERT(id_kept());
	CU_ASSERT(!retired_flag(&f));
	fx_teardown(&f);
}

static void test_not_found_is_done(void)
{
	struct fx f;

	SETUP(&f, "timeout = 3;", NULL, 1);
	f.snd.then = SABA_API_NOT_FOUND;
	CU_ASSERT_EQUAL(retire(&f, SABA_STOP_MANUAL), SABA_RETIRE_DONE);
	CU_ASSERT_EQUAL(calls(&f.snd), 1);
	CU_ASSERT(!id_kept());
	CU_ASSERT(retired_flag(&f));
	fx_teardown(&f);
}

static void test_refused_is_final_failure(void)
{
	struct fx f;

	SETUP(&f, "timeout = 3;", NULL, 1);
	f.snd.then = SABA_API_REFUSED;
	CU_ASSERT_EQUAL(retire(&f, SABA_STOP_MANUAL), SABA_RETIRE_FAILED);
	CU_ASSERT_EQUAL(calls(&f.snd), 1);
	CU_ASSERT(id_kept());
	CU_ASSERT(!retired_flag(&f));
	f.snd.then = SABA_API_OK; /* even a sender that would work now */
	CU_ASSERT_EQUAL(retire(&f, SABA_STOP_MANUAL), SABA_RETIRE_FAILED);
	CU_ASSERT_EQUAL(calls(&f.snd), 1);
	CU_ASSERT(id_kept());
	fx_teardown(&f);
}

static void test_retry_until_deadline(void)
{
	struct fx f;
	int64_t t0, took;

	SETUP(&f, "timeout = 3;", NULL, 1);
	f.snd.then = SABA_API_RETRY;
	t0 = saba_now_ms();
	CU_ASSERT_EQUAL(retire(&f, SABA_STOP_MANUAL), SABA_RETIRE_FAILED);
	took = saba_now_ms() - t0;
	fprintf(stderr, "gave up after %d calls in %lld ms\n", calls(&f.snd), (long long)took);
	CU_ASSERT(took <= 3000 + 1500);
	CU_ASSERT(calls(&f.snd) > 1);
	CU_ASSERT(id_kept());
	CU_ASSERT(!retired_flag(&f));
	fx_teardown(&f);
}

static void test_retry_then_ok(void)
{
	struct fx f;

	/* backoff ~1 s then ~2 s: needs more than the 3 s of the other tests */
	SETUP(&f, "timeout = 10;", NULL, 1);
	f.snd.script[0] = SABA_API_RETRY;
	f.snd.script[1] = SABA_API_RETRY;
	f.snd.nscript = 2;
	CU_ASSERT_EQUAL(retire(&f, SABA_STOP_MANUAL), SABA_RETIRE_DONE);
	CU_ASSERT_EQUAL(calls(&f.snd), 3);
	CU_ASSERT(!id_kept());
	fx_teardown(&f);
}

static void test_not_registered_not_final(void)
{
	struct fx f;
	char err[512];

	SETUP(&f, "timeout = 3;", NULL, 0);
	CU_ASSERT_EQUAL(retire(&f, SABA_STOP_MANUAL), SABA_RETIRE_FAILED);
	CU_ASSERT_EQUAL(calls(&f.snd), 0);
	/* registered later: the next request goes through */
	saba_runtime_set_host_id(&f.rt, HOST_ID);
	CU_ASSERT_EQUAL_FATAL(saba_idfile_write(root, HOST_ID, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(retire(&f, SABA_STOP_MANUAL), SABA_RETIRE_DONE);
	CU_ASSERT_EQUAL(calls(&f.snd), 1);
	CU_ASSERT(!id_kept());
	fx_teardown(&f);
}

/* ------------------------------------------------------------------ */
/* concurrency                                                          */

struct caller {
	struct fx *f;
	pthread_barrier_t *start;
	int result;
};

static void *caller_main(void *arg)
{
	struct caller *c = arg;

	pthread_barrier_wait(c->start);
	c->result = retire(c->f, SABA_STOP_MANUAL);
	return NULL;
}

static void test_concurrent_callers(void)
{
	struct caller c[4];
	pthread_t th[4];
	pthread_barrier_t start;
	struct fx f;

	SETUP(&f, "timeout = 3;", NULL, 1);
	f.snd.sleep_ms = 300;
	pthread_barrier_init(&start, NULL, 4);
	for (int i = 0; i < 4; i++) {
		c[i] = (struct caller){.f = &f, .start = &start, .result = -1};
		CU_ASSERT_EQUAL_FATAL(pthread_create(&th[i], NULL, caller_main, &c[i]), 0);
	}
	for (int i = 0; i < 4; i++)
		pthread_join(th[i], NULL);
	pthread_barrier_destroy(&start);
	CU_ASSERT_EQUAL(calls(&f.snd), 1);
	for (int i = 0; i < 4; i++)
		CU_ASSERT_EQUAL(c[i].result, SABA_RETIRE_DONE);
	CU_ASSERT(!id_kept());
	fx_teardown(&f);
}

/* ------------------------------------------------------------------ */
/* cloud confirmation                                                   */

#define TRIGGER(confirm) "t = { module = \"trigger\"; confirm = \"" confirm "\"; };"

static void test_confirm_no_declines(void)
{
	struct fx f;

	SETUP(&f, "timeout = 3;", TRIGGER("no"), 1);
	CU_ASSERT_EQUAL_FATAL(f.set.n, 1);
	CU_ASSERT_EQUAL(retire(&f, SABA_STOP_POWEROFF), SABA_RETIRE_DECLINED);
	CU_ASSERT_EQUAL(retire(&f, SABA_STOP_HALT), SABA_RETIRE_DECLINED);
	CU_ASSERT_EQUAL(calls(&f.snd), 0);
	CU_ASSERT(id_kept());
	CU_ASSERT(!retired_flag(&f));
	/* declined is not final: a termination notice still retires */
	CU_ASSERT_EQUAL(retire(&f, SABA_STOP_TERMINATE), SABA_RETIRE_DONE);
	CU_ASSERT_EQUAL(calls(&f.snd), 1);
	CU_ASSERT(!id_kept());
	fx_teardown(&f);
}

static void test_confirm_yes_retires(void)
{
	struct fx f;

	SETUP(&f, "timeout = 3;", TRIGGER("yes"), 1);
	CU_ASSERT_EQUAL(retire(&f, SABA_STOP_POWEROFF), SABA_RETIRE_DONE);
	CU_ASSERT_EQUAL(calls(&f.snd), 1);
	CU_ASSERT(!id_kept());
	fx_teardown(&f);
}

static void test_auto_without_cloud_retires(void)
{
	struct fx f;

	/* a plugin with no opinion (confirm = "none") does not block */
	SETUP(&f, "timeout = 3; confirm = \"auto\";", TRIGGER("none"), 1);
	CU_ASSERT_EQUAL(retire(&f, SABA_STOP_POWEROFF), SABA_RETIRE_DONE);
	CU_ASSERT_EQUAL(calls(&f.snd), 1);
	fx_teardown(&f);
}

static void test_confirm_always(void)
{
	struct fx f;

	SETUP(&f, "timeout = 3; confirm = \"always\";", TRIGGER("none"), 1);
	CU_ASSERT_EQUAL(retire(&f, SABA_STOP_POWEROFF), SABA_RETIRE_DECLINED);
	CU_ASSERT_EQUAL(retire(&f, SABA_STOP_SHUTDOWN), SABA_RETIRE_DECLINED);
	CU_ASSERT_EQUAL(calls(&f.snd), 0);
	CU_ASSERT(id_kept());
	/* the operator's word needs no cloud */
	CU_ASSERT_EQUAL(retire(&f, SABA_STOP_MANUAL), SABA_RETIRE_DONE);
	CU_ASSERT_EQUAL(calls(&f.snd), 1);
	fx_teardown(&f);

	/* with no plugins at all, too */
	SETUP(&f, "timeout = 3; confirm = \"always\";", NULL, 1);
	CU_ASSERT_EQUAL(retire(&f, SABA_STOP_POWEROFF), SABA_RETIRE_DECLINED);
	CU_ASSERT_EQUAL(calls(&f.snd), 0);
	fx_teardown(&f);
}

static void test_confirm_never(void)
{
	struct fx f;

	SETUP(&f, "timeout = 3; confirm = \"never\";", TRIGGER("no"), 1);
	CU_ASSERT_EQUAL(retire(&f, SABA_STOP_POWEROFF), SABA_RETIRE_DONE);
	CU_ASSERT_EQUAL(calls(&f.snd), 1);
	CU_ASSERT(!id_kept());
	fx_teardown(&f);
}

/* ------------------------------------------------------------------ */
/* the package removal marker                                          */

/* Create the marker, modified `ago` seconds before now (< 0: in the future). */
static int make_marker(long ago)
{
	struct timespec times[2];
	FILE *fp = fopen(marker, "w");

	if (fp == NULL)
		return -1;
	fclose(fp);
	/* time(), as the code does: it lags CLOCK_REALTIME by a few ms at a
	 * second's turn, which made 301 s ago read as 300 */
	times[0].tv_sec = time(NULL) - ago;
	times[0].tv_nsec = 0;
	times[1] = times[0];
	return utimensat(AT_FDCWD, marker, times, 0);
}

static void test_removal_marker_declines_os_kinds(void)
{
	static const int os_kinds[] = {SABA_STOP_STOP, SABA_STOP_POWEROFF, SABA_STOP_HALT,
				       SABA_STOP_REBOOT, SABA_STOP_SHUTDOWN};
	struct fx f;

	SETUP(&f, "timeout = 3; confirm = \"never\";", NULL, 1);
	CU_ASSERT_EQUAL_FATAL(make_marker(2), 0);
	for (size_t i = 0; i < sizeof(os_kinds) / sizeof(os_kinds[0]); i++)
		CU_ASSERT_EQUAL(retire(&f, os_kinds[i]), SABA_RETIRE_DECLINED);
	CU_ASSERT_EQUAL(calls(&f.snd), 0);
	CU_ASSERT(id_kept());
	/* a clock stepped back makes a marker from the future: still held */
	CU_ASSERT_EQUAL_FATAL(make_marker(-60), 0);
	CU_ASSERT_EQUAL(retire(&f, SABA_STOP_STOP), SABA_RETIRE_DECLINED);
	CU_ASSERT_EQUAL(calls(&f.snd), 0);
	/* declined is not final: once the removal is over, a stop retires */
	unlink(marker);
	CU_ASSERT_EQUAL(retire(&f, SABA_STOP_STOP), SABA_RETIRE_DONE);
	CU_ASSERT_EQUAL(calls(&f.snd), 1);
	CU_ASSERT(!id_kept());
	fx_teardown(&f);
}

static void test_removal_marker_spares_cloud_and_operator(void)
{
	struct fx f;

	SETUP(&f, "timeout = 3;", NULL, 1);
	CU_ASSERT_EQUAL_FATAL(make_marker(0), 0);
	CU_ASSERT_EQUAL(retire(&f, SABA_STOP_MANUAL), SABA_RETIRE_DONE);
	CU_ASSERT_EQUAL(calls(&f.snd), 1);
	fx_teardown(&f);

	SETUP(&f, "timeout = 3;", NULL, 1);
	CU_ASSERT_EQUAL(retire(&f, SABA_STOP_TERMINATE), SABA_RETIRE_DONE);
	CU_ASSERT_EQUAL(calls(&f.snd), 1);
	fx_teardown(&f);
	unlink(marker);
}

static void test_removal_marker_leftover_expires(void)
{
	struct fx f;

	SETUP(&f, "timeout = 3; confirm = \"never\";", NULL, 1);
	CU_ASSERT_EQUAL_FATAL(make_marker(301), 0);
	CU_ASSERT_EQUAL(retire(&f, SABA_STOP_POWEROFF), SABA_RETIRE_DONE);
	CU_ASSERT_EQUAL(calls(&f.snd), 1);
	fx_teardown(&f);
	unlink(marker);
}

/* ------------------------------------------------------------------ */

static int suite_init(void)
{
	if (mkdtemp(tmpdir) == NULL)
		return -1;
	unit_path(root, sizeof(root), tmpdir, "root");
	unit_path(conf_path, sizeof(conf_path), tmpdir, "saba.conf");
	unit_path(marker, sizeof(marker), tmpdir, "removing");
	unit_test_plugin_dir(plugdir, sizeof(plugdir));
	return 0;
}

static int suite_cleanup(void)
{
	unlink(conf_path);
	unlink(marker);
	rmdir(root);
	return rmdir(tmpdir);
}

static const struct unit_test tests[] = {
	UNIT_TEST(test_manual_done_once),
	UNIT_TEST(test_dry_run_keeps_the_host),
	UNIT_TEST(test_never_retiring_kinds),
	UNIT_TEST(test_not_found_is_done),
	UNIT_TEST(test_refused_is_final_failure),
	UNIT_TEST(test_retry_until_deadline),
	UNIT_TEST(test_retry_then_ok),
	UNIT_TEST(test_not_registered_not_final),
	UNIT_TEST(test_concurrent_callers),
	UNIT_TEST(test_confirm_no_declines),
	UNIT_TEST(test_confirm_yes_retires),
	UNIT_TEST(test_auto_without_cloud_retires),
	UNIT_TEST(test_confirm_always),
	UNIT_TEST(test_confirm_never),
	UNIT_TEST(test_removal_marker_declines_os_kinds),
	UNIT_TEST(test_removal_marker_spares_cloud_and_operator),
	UNIT_TEST(test_removal_marker_leftover_expires),
};

int main(void)
{
	return unit_run_suite("retire", tests, sizeof(tests) / sizeof(tests[0]), suite_init,
			      suite_cleanup);
}
