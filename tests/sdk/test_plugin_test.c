/*
 * libsaba-plugin-test itself: what the plugin tests do not reach.  Loading
 * from an entry function and the agent's descriptor rules, an older
 * agent's table, the retire rules, and the ABI 1.2 fakes (api_request's
 * canned answers, retire_host's rules), driven by a small plugin defined
 * here and by calling the host table directly.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <saba/plugin-test.h>

#include "unit.h"

/* --- a plugin compiled into the test --- */

struct probe {
	const struct saba_host *host;
	saba_ctx *ctx;
	int api_in_collect; /* call api_request() from collect()'s own thread */
	int api_in_thread;  /* ... from a thread collect() starts and joins */
	long status;	    /* what the last such call returned */
};

static const struct saba_config_key probe_keys[] = {
	{"api_in_collect", SABA_CFG_BOOL, ""},
	{"api_in_thread", SABA_CFG_BOOL, ""},
	{NULL, 0, NULL},
};

static int probe_create(const struct saba_host *host, saba_ctx *ctx, void **instance)
{
	static struct probe p; /* one instance at a time in this test */

	memset(&p, 0, sizeof(p));
	p.host = host;
	p.ctx = ctx;
	if (host->config_bool(ctx, "api_in_collect", &p.api_in_collect) == SABA_INVALID ||
	    host->config_bool(ctx, "api_in_thread", &p.api_in_thread) == SABA_INVALID)
		return SABA_INVALID;
	*instance = &p;
	return SABA_OK;
}

static void probe_destroy(void *instance)
{
	(void)instance;
}

static void *probe_thread(void *arg)
{
	struct probe *p = arg;

	p->status = p->host->api_request(p->ctx, "GET", "/api/v0/org", NULL, NULL, NULL, NULL, 0);
	return NULL;
}

static int probe_collect(void *instance)
{
	struct probe *p = instance;
	pthread_t t;

	if (p->api_in_collect)
		p->status = p->host->api_request(p->ctx, "GET", "/api/v0/org", NULL, NULL, NULL,
						 NULL, 0);
	if (p->api_in_thread) {
		pthread_create(&t, NULL, probe_thread, p);
		pthread_join(t, NULL);
	}
	return p->host->emit(p->ctx, "custom.probe.value", 1.5);
}

static const struct saba_plugin probe_plugin = {
	SABA_PLUGIN_HEADER,	.name = "probe",	  .config_keys = probe_keys,
	.create = probe_create, .destroy = probe_destroy, .collect = probe_collect,
};

static const struct saba_plugin *probe_entry(void)
{
	return &probe_plugin;
}

/* A descriptor that ends before collect, as an older, shorter one. */
static const struct saba_plugin short_plugin = {
	.abi_major = SABA_PLUGIN_ABI_MAJOR,
	.abi_minor = 0,
	.struct_size = offsetof(struct saba_plugin, collect),
	.name = "short",
	.collect = probe_collect, /* past struct_size: must read as NULL */
};

static const struct saba_plugin *short_entry(void)
{
	return &short_plugin;
}

static const struct saba_plugin bad_major_plugin = {
	.abi_major = SABA_PLUGIN_ABI_MAJOR + 1,
	.struct_size = sizeof(struct saba_plugin),
	.name = "bad_major",
};

static const struct saba_plugin *bad_major_entry(void)
{
	return &bad_major_plugin;
}

/* --- loading and driving --- */

static void test_load_entry(void)
{
	const struct saba_plugin *p;
	struct saba_test_host *th;
	void *dl, *inst;
	double v = 0;

	p = saba_test_load_entry(probe_entry, &dl);
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	CU_ASSERT_PTR_NOT_EQUAL(p, &probe_plugin); /* a copy, as the agent keeps */
	th = saba_test_host_new(NULL);
	CU_ASSERT_EQUAL_FATAL(saba_test_create(th, p, &inst), SABA_OK);
	CU_ASSERT_EQUAL(saba_test_collect(th, p, inst), SABA_OK);
	CU_ASSERT_TRUE(saba_test_value(th, "custom.probe.value", &v));
	CU_ASSERT_DOUBLE_EQUAL(v, 1.5, 1e-9);
	CU_ASSERT_EQUAL(saba_test_nvalues(th), 1);
	CU_ASSERT_EQUAL(saba_test_host_spec(th, p, inst), SABA_NOTFOUND);
	CU_ASSERT_EQUAL(saba_test_misuse(th), 0);
	saba_test_destroy(th, p, inst);
	saba_test_host_free(th);
	saba_test_unload(dl);
}

static void test_load_rules(void)
{
	const struct saba_plugin *p;
	void *dl;

	p = saba_test_load_entry(short_entry, &dl);
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	CU_ASSERT_STRING_EQUAL(p->name, "short");
	CU_ASSERT_PTR_NULL(p->collect);
	saba_test_unload(dl);

	p = saba_test_load_entry(bad_major_entry, &dl);
	CU_ASSERT_PTR_NULL(p);
	CU_ASSERT_PTR_NULL(dl);
	CU_ASSERT_PTR_NULL(saba_test_load("/nonexistent/plugin.so", &dl));
	CU_ASSERT_PTR_NULL(dl);
}

static void test_config(void)
{
	struct saba_test_host *th = saba_test_host_new("bogus = 1;");
	const struct saba_plugin *p;
	const char *key = NULL;
	void *dl, *inst;
	int b = 0;

	p = saba_test_load_entry(probe_entry, &dl);
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	CU_ASSERT_PTR_NOT_NULL_FATAL(th);
	CU_ASSERT_PTR_NULL(saba_test_host_new("x = ;"));
	/* unknown keys are refused before create, with the key */
	CU_ASSERT_EQUAL(saba_test_create(th, p, &inst), SABA_INVALID);
	CU_ASSERT_EQUAL(saba_test_nconfig_errors(th), 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(saba_test_config_error_at(th, 0, &key), "unknown key"));
	CU_ASSERT_STRING_EQUAL(key, "bogus");
	/* a bad replacement keeps the old config */
	CU_ASSERT_EQUAL(saba_test_set_config(th, "api_in_collect = "), -1);
	CU_ASSERT_EQUAL(saba_test_set_config(th, "api_in_collect = \"yes\";"), 0);
	CU_ASSERT_EQUAL(saba_test_create(th, p, &inst), SABA_INVALID); /* wrong type */
	CU_ASSERT_EQUAL(saba_test_log_count(th, SABA_LOG_ERR, "must be true or false"), 1);
	CU_ASSERT_EQUAL(saba_test_set_config(th, "module = \"probe\"; api_in_collect = false;"), 0);
	saba_test_clear(th);
	CU_ASSERT_EQUAL(saba_test_create(th, p, &inst), SABA_OK);
	CU_ASSERT_EQUAL(saba_test_nconfig_errors(th), 0);
	/* config lookups outside create() are misuse */
	saba_test_host_table(th)->config_bool(saba_test_ctx(th), "api_in_collect", &b);
	CU_ASSERT_EQUAL(saba_test_misuse(th), 1);
	saba_test_destroy(th, p, inst);
	saba_test_host_free(th);
	saba_test_unload(dl);
}

static void test_abi_minor(void)
{
	struct saba_test_host *th = saba_test_host_new(NULL);
	const struct saba_host *h = saba_test_host_table(th);

	CU_ASSERT_EQUAL(h->abi_minor, SABA_PLUGIN_ABI_MINOR);
	CU_ASSERT_EQUAL(h->struct_size, sizeof(struct saba_host));
	CU_ASSERT_EQUAL(saba_test_set_abi_minor(th, 0), 0);
	CU_ASSERT_EQUAL(h->abi_minor, 0);
	CU_ASSERT_EQUAL(h->struct_size, offsetof(struct saba_host, emit_ex));
	CU_ASSERT_PTR_NULL(h->emit_ex);
	CU_ASSERT_PTR_NULL(h->graph_defs);
	CU_ASSERT_PTR_NULL(h->api_request);
	CU_ASSERT_PTR_NOT_NULL(h->dry_run);
	CU_ASSERT_EQUAL(saba_test_set_abi_minor(th, 1), 0);
	CU_ASSERT_EQUAL(h->struct_size, offsetof(struct saba_host, api_request));
	CU_ASSERT_PTR_NOT_NULL(h->report_check);
	CU_ASSERT_PTR_NULL(h->retire_host);
	CU_ASSERT_EQUAL(saba_test_set_abi_minor(th, SABA_PLUGIN_ABI_MINOR + 1), -1);
	CU_ASSERT_EQUAL(saba_test_set_abi_minor(th, -1), -1);
	CU_ASSERT_EQUAL(h->abi_minor, 1);
	CU_ASSERT_EQUAL(saba_test_set_abi_minor(th, SABA_PLUGIN_ABI_MINOR), 0);
	CU_ASSERT_PTR_NOT_NULL(h->retire_host);
	saba_test_host_free(th);
}

/* --- retire() --- */

static int retire(struct saba_test_host *th, int kind, const char *reason)
{
	struct saba_retire_request req = {sizeof(req), kind, reason};

	return saba_test_host_table(th)->retire(saba_test_ctx(th), &req);
}

static void test_retire(void)
{
	struct saba_test_host *th = saba_test_host_new(NULL);
	struct saba_retire_request shortreq = {4, SABA_STOP_TERMINATE, "x"};
	const char *reason = NULL;
	int result = -1;

	saba_test_set_echo(th, 0);
	/* before registration, and never for a restart or unknown stop */
	CU_ASSERT_EQUAL(retire(th, SABA_STOP_TERMINATE, "gone"), SABA_RETIRE_FAILED);
	saba_test_set_host_id(th, "h-1");
	CU_ASSERT_EQUAL(retire(th, SABA_STOP_RESTART, NULL), SABA_RETIRE_DECLINED);
	CU_ASSERT_EQUAL(retire(th, SABA_STOP_UNKNOWN, NULL), SABA_RETIRE_DECLINED);
	CU_ASSERT_EQUAL(retire(th, 99, NULL), SABA_RETIRE_DECLINED);
	CU_ASSERT_EQUAL(saba_test_host_table(th)->retire(saba_test_ctx(th), &shortreq),
			SABA_RETIRE_DECLINED);
	CU_ASSERT_EQUAL(saba_test_misuse(th), 1);
	/* a scripted failure is final: later calls get it again */
	saba_test_set_retire_result(th, SABA_RETIRE_FAILED);
	CU_ASSERT_EQUAL(retire(th, SABA_STOP_POWEROFF, "off"), SABA_RETIRE_FAILED);
	saba_test_set_retire_result(th, SABA_RETIRE_DONE);
	CU_ASSERT_EQUAL(retire(th, SABA_STOP_TERMINATE, "again"), SABA_RETIRE_FAILED);
	CU_ASSERT_EQUAL(saba_test_nretires(th), 6);
	CU_ASSERT_EQUAL(saba_test_retire_at(th, 0, &reason, &result), SABA_STOP_TERMINATE);
	CU_ASSERT_STRING_EQUAL(reason, "gone");
	CU_ASSERT_EQUAL(result, SABA_RETIRE_FAILED);
	CU_ASSERT_EQUAL(saba_test_retire_at(th, 2, &reason, NULL), SABA_STOP_UNKNOWN);
	CU_ASSERT_STRING_EQUAL(reason, "");
	CU_ASSERT_EQUAL(saba_test_retire_at(th, 6, NULL, NULL), -1);
	/* clear starts a new process, as it were */
	saba_test_clear(th);
	CU_ASSERT_EQUAL(retire(th, SABA_STOP_TERMINATE, "new"), SABA_RETIRE_DONE);
	saba_test_clear(th);
	saba_test_set_dry_run(th, 1);
	CU_ASSERT_EQUAL(retire(th, SABA_STOP_TERMINATE, "dry"), SABA_RETIRE_DRY_RUN);
	saba_test_host_free(th);
}

/* --- ABI 1.2 --- */

static int retire_host(struct saba_test_host *th, const char *id, int kind)
{
	struct saba_retire_request req = {sizeof(req), kind, "machine terminated"};

	return saba_test_host_table(th)->retire_host(saba_test_ctx(th), id, &req);
}

static void test_retire_host(void)
{
	struct saba_test_host *th = saba_test_host_new(NULL);
	const char *reason = NULL;
	int kind = -1, result = -1;

	saba_test_set_echo(th, 0);
	saba_test_set_host_id(th, "own");
	CU_ASSERT_EQUAL(retire_host(th, "other", SABA_STOP_TERMINATE), SABA_RETIRE_DONE);
	CU_ASSERT_EQUAL(retire_host(th, "own", SABA_STOP_TERMINATE), SABA_RETIRE_DECLINED);
	CU_ASSERT_EQUAL(retire_host(th, "other", SABA_STOP_POWEROFF), SABA_RETIRE_DECLINED);
	saba_test_set_retire_host_result(th, SABA_RETIRE_FAILED);
	CU_ASSERT_EQUAL(retire_host(th, "third", SABA_STOP_TERMINATE), SABA_RETIRE_FAILED);
	saba_test_set_dry_run(th, 1);
	CU_ASSERT_EQUAL(retire_host(th, "fourth", SABA_STOP_TERMINATE), SABA_RETIRE_DRY_RUN);
	CU_ASSERT_EQUAL(saba_test_misuse(th), 0);
	/* invalid requests: misuse, declined, not recorded */
	CU_ASSERT_EQUAL(retire_host(th, "", SABA_STOP_TERMINATE), SABA_RETIRE_DECLINED);
	CU_ASSERT_EQUAL(saba_test_host_table(th)->retire_host(saba_test_ctx(th), "x", NULL),
			SABA_RETIRE_DECLINED);
	CU_ASSERT_EQUAL(saba_test_misuse(th), 2);
	CU_ASSERT_EQUAL(saba_test_nretire_hosts(th), 5);
	CU_ASSERT_STRING_EQUAL(saba_test_retire_host_at(th, 1, &kind, &reason, &result), "own");
	CU_ASSERT_EQUAL(kind, SABA_STOP_TERMINATE);
	CU_ASSERT_STRING_EQUAL(reason, "machine terminated");
	CU_ASSERT_EQUAL(result, SABA_RETIRE_DECLINED);
	CU_ASSERT_STRING_EQUAL(saba_test_retire_host_at(th, 3, NULL, NULL, &result), "third");
	CU_ASSERT_EQUAL(result, SABA_RETIRE_FAILED);
	CU_ASSERT_PTR_NULL(saba_test_retire_host_at(th, 5, NULL, NULL, NULL));
	/* retire_host() never touches retire()'s state */
	CU_ASSERT_EQUAL(saba_test_nretires(th), 0);
	saba_test_host_free(th);
}

/* A sink that joins the pieces and can stop after some. */
struct sink {
	char buf[256];
	size_t len;
	int pieces, stop_after;
};

static int sink_fn(void *arg, const char *data, size_t len)
{
	struct sink *s = arg;

	if (s->len + len < sizeof(s->buf)) {
		memcpy(s->buf + s->len, data, len);
		s->len += len;
		s->buf[s->len] = '\0';
	}
	s->pieces++;
	return s->stop_after != 0 && s->pieces >= s->stop_after;
}

static long request(struct saba_test_host *th, const char *method, const char *path,
		    const char *body, struct sink *s, char *err, size_t err_len)
{
	return saba_test_host_table(th)->api_request(saba_test_ctx(th), method, path, body,
						     s ? sink_fn : NULL, s, err, err_len);
}

static void test_api_request(void)
{
	const char *hosts = "{\"hosts\":[{\"id\":\"abc\"}]}";
	struct saba_test_host *th = saba_test_host_new(NULL);
	struct sink s = {{0}, 0, 0, 0};
	const char *method = NULL, *body = NULL;
	char err[128];
	long status = 0;

	saba_test_set_echo(th, 0);
	/* a sequence for one path, by order; NULL path matches any */
	saba_test_api_answer(th, "GET", "/api/v0/hosts?status=working", 503, "busy");
	saba_test_api_answer(th, "GET", "/api/v0/hosts?status=working", 200, hosts);
	saba_test_api_answer(th, "POST", NULL, 404, NULL);
	saba_test_api_answer(th, NULL, "/down", -1, "connection refused");
	saba_test_set_api_chunk(th, 5);

	CU_ASSERT_EQUAL(
		request(th, "GET", "/api/v0/hosts?status=working", NULL, NULL, err, sizeof(err)),
		503);
	CU_ASSERT_STRING_EQUAL(err, "");
	CU_ASSERT_EQUAL(
		request(th, "GET", "/api/v0/hosts?status=working", NULL, &s, err, sizeof(err)),
		200);
	CU_ASSERT_STRING_EQUAL(s.buf, hosts); /* joined from pieces of 5 */
	CU_ASSERT_EQUAL(s.pieces, (int)((strlen(hosts) + 4) / 5));
	/* used up: no answer is left for it */
	CU_ASSERT_EQUAL(
		request(th, "GET", "/api/v0/hosts?status=working", NULL, NULL, err, sizeof(err)),
		-1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "no canned answer"));
	CU_ASSERT_EQUAL(request(th, "POST", "/api/v0/hosts/abc/retire", "{}", NULL, err, 0), 404);
	CU_ASSERT_EQUAL(request(th, "PUT", "/down", "[1]", NULL, err, sizeof(err)), -1);
	CU_ASSERT_STRING_EQUAL(err, "connection refused");
	CU_ASSERT_EQUAL(saba_test_napi_requests(th), 5);
	CU_ASSERT_STRING_EQUAL(saba_test_api_request_at(th, 3, &method, &body, &status),
			       "/api/v0/hosts/abc/retire");
	CU_ASSERT_STRING_EQUAL(method, "POST");
	CU_ASSERT_STRING_EQUAL(body, "{}");
	CU_ASSERT_EQUAL(status, 404);
	CU_ASSERT_PTR_NOT_NULL(saba_test_api_request_at(th, 0, NULL, &body, NULL));
	CU_ASSERT_PTR_NULL(body);
	CU_ASSERT_PTR_NULL(saba_test_api_request_at(th, 5, NULL, NULL, NULL));
	CU_ASSERT_EQUAL(saba_test_misuse(th), 0);

	/* a sink that stops reading gets no more pieces */
	saba_test_api_answer(th, "GET", "/again", 200, hosts);
	memset(&s, 0, sizeof(s));
	s.stop_after = 1;
	CU_ASSERT_EQUAL(request(th, "GET", "/again", NULL, &s, err, sizeof(err)), 200);
	CU_ASSERT_EQUAL(s.pieces, 1);
	CU_ASSERT_EQUAL(s.len, 5);

	/* outside the contract: misuse, not sent */
	CU_ASSERT_EQUAL(request(th, "DELETE", "/x", NULL, NULL, err, sizeof(err)), -1);
	CU_ASSERT_EQUAL(request(th, "GET", "x", NULL, NULL, err, sizeof(err)), -1);
	CU_ASSERT_EQUAL(request(th, "POST", "/x", "{not json", NULL, err, sizeof(err)), -1);
	CU_ASSERT_EQUAL(saba_test_misuse(th), 3);
	CU_ASSERT_EQUAL(saba_test_napi_requests(th), 6);

	/* dry-run: nothing sent, the answer stays queued */
	saba_test_api_answer(th, "GET", "/later", 200, "{}");
	saba_test_set_dry_run(th, 1);
	CU_ASSERT_EQUAL(request(th, "GET", "/later", NULL, NULL, err, sizeof(err)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "dry-run"));
	CU_ASSERT_EQUAL(saba_test_napi_requests(th), 6);
	saba_test_set_dry_run(th, 0);
	CU_ASSERT_EQUAL(request(th, "GET", "/later", NULL, NULL, err, sizeof(err)), 200);
	saba_test_host_free(th);
}

/* api_request() from collect()'s thread is misuse; from a thread of the
 * plugin's own, even while collect() runs, it is not. */
static void test_api_request_threads(void)
{
	struct saba_test_host *th = saba_test_host_new("api_in_collect = true;");
	const struct saba_plugin *p;
	struct probe *inst;
	void *dl;

	saba_test_set_echo(th, 0);
	p = saba_test_load_entry(probe_entry, &dl);
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	saba_test_api_answer(th, NULL, NULL, 200, "{}");
	CU_ASSERT_EQUAL_FATAL(saba_test_create(th, p, (void **)&inst), SABA_OK);
	CU_ASSERT_EQUAL(saba_test_collect(th, p, inst), SABA_OK);
	CU_ASSERT_EQUAL(inst->status, -1);
	CU_ASSERT_EQUAL(saba_test_misuse(th), 1);
	CU_ASSERT_EQUAL(saba_test_log_count(th, SABA_LOG_ERR, "api_request() from collect()"), 1);
	saba_test_destroy(th, p, inst);

	saba_test_clear(th);
	CU_ASSERT_EQUAL(saba_test_set_config(th, "api_in_thread = true;"), 0);
	CU_ASSERT_EQUAL_FATAL(saba_test_create(th, p, (void **)&inst), SABA_OK);
	CU_ASSERT_EQUAL(saba_test_collect(th, p, inst), SABA_OK);
	CU_ASSERT_EQUAL(inst->status, 200);
	CU_ASSERT_EQUAL(saba_test_misuse(th), 0);
	CU_ASSERT_EQUAL(saba_test_napi_requests(th), 1);
	saba_test_destroy(th, p, inst);
	saba_test_host_free(th);
	saba_test_unload(dl);
}

static const struct unit_test tests[] = {
	UNIT_TEST(test_load_entry),  UNIT_TEST(test_load_rules),
	UNIT_TEST(test_config),	     UNIT_TEST(test_abi_minor),
	UNIT_TEST(test_retire),	     UNIT_TEST(test_retire_host),
	UNIT_TEST(test_api_request), UNIT_TEST(test_api_request_threads),
};

int main(void)
{
	return UNIT_RUN("plugin-test", tests);
}
