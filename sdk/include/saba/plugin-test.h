/*
 * libsaba-plugin-test: unit-test a saba-agent plugin without the agent.
 *
 * A struct saba_test_host stands in for the agent: it hands the plugin a
 * struct saba_host table, holds one instance's configuration (libconfig
 * text, the syntax of an instance block of saba-agent.conf without the
 * braces) and records everything the plugin does through the table:
 * emitted values, log lines, config_error() calls, spec_set() keys,
 * retire() requests, keepalives (as debug log lines) and, ABI 1.1,
 * emit_ex() values with their time and customIdentifier, graph_defs()
 * and report_check(); ABI 1.2, api_request() (answered from canned
 * answers the test queues) and retire_host() requests.
 *
 *	#include <saba/plugin-test.h>
 *
 *	void *dl, *inst;
 *	const struct saba_plugin *p = saba_test_load("./my_plugin.so", &dl);
 *	struct saba_test_host *th = saba_test_host_new("name = \"custom.x\";");
 *	double v;
 *
 *	saba_test_create(th, p, &inst);          // SABA_OK?
 *	saba_test_collect(th, p, inst);
 *	saba_test_value(th, "custom.x", &v);     // 1 when emitted
 *	saba_test_misuse(th);                    // 0: the plugin kept the rules
 *	saba_test_destroy(th, p, inst);
 *	saba_test_host_free(th);
 *	saba_test_unload(dl);
 *
 *	cc test.c $(pkg-config --cflags --libs saba-plugin-test)
 *
 * The fake is strict where the agent is: it rejects config keys the
 * plugin's schema lacks, checks config types, drops NaN and infinite values
 * with a warning, accepts emit() only inside saba_test_collect(), spec_set()
 * only inside saba_test_host_spec(), config lookups only inside
 * saba_test_create(), api_request() never on the thread running collect(),
 * and checks metric names, spec paths and JSON texts.  A broken call is
 * logged and counted by saba_test_misuse().  retire() and retire_host()
 * apply the agent's fixed rules (see the setters) before the scripted
 * result.
 *
 * Threads: the host functions are thread-safe, as the agent's are.  The
 * counters (saba_test_n*() and saba_test_log_count()) may be polled while
 * a plugin thread runs; the other queries return pointers into the
 * records, valid until saba_test_clear() or saba_test_host_free(), and
 * must not race with a plugin still calling the host.
 *
 * Independent of the test framework: plain C, CUnit, cmocka, TAP all do.
 */
#ifndef SABA_PLUGIN_TEST_H
#define SABA_PLUGIN_TEST_H

#include <stddef.h>
#include <stdint.h>

#include <saba/plugin.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define SABA_TEST_API __attribute__((visibility("default")))
#else
#define SABA_TEST_API
#endif

/* One fake host, driving one plugin instance at a time. */
struct saba_test_host;

/* --- the fake host --- */

/* A fake host with the instance config config (libconfig text; NULL:
 * empty).  NULL on a syntax error, printed to stderr with its line. */
SABA_TEST_API struct saba_test_host *saba_test_host_new(const char *config);
SABA_TEST_API void saba_test_host_free(struct saba_test_host *th);
/* Replace the instance config, for the next saba_test_create(); 0, or -1
 * on a syntax error (printed; the old config stays). */
SABA_TEST_API int saba_test_set_config(struct saba_test_host *th, const char *config);

/* The table and handle the plugin gets in create(), to call a plugin's
 * functions directly. */
SABA_TEST_API const struct saba_host *saba_test_host_table(struct saba_test_host *th);
SABA_TEST_API saba_ctx *saba_test_ctx(struct saba_test_host *th);

/* --- what the host answers (defaults in brackets; strings are copied) --- */

/* host_id(); NULL: not registered yet, as during the agent's create() [NULL] */
SABA_TEST_API void saba_test_set_host_id(struct saba_test_host *th, const char *host_id);
/* instance_name() ["test"] */
SABA_TEST_API void saba_test_set_instance_name(struct saba_test_host *th, const char *name);
/* dry_run() [0]; also makes api_request() send nothing and retire() and
 * retire_host() answer SABA_RETIRE_DRY_RUN, as the agent does. */
SABA_TEST_API void saba_test_set_dry_run(struct saba_test_host *th, int dry_run);
/* shutdown_budget(), seconds [0] */
SABA_TEST_API void saba_test_set_shutdown_budget(struct saba_test_host *th, int seconds);
/* Copy each log line to stderr as it is logged [1]. */
SABA_TEST_API void saba_test_set_echo(struct saba_test_host *th, int echo);
/* Pretend to be an agent of an older ABI minor: the table's abi_minor and
 * struct_size say so and later members are NULL, to test a plugin's
 * SABA_HOST_HAS checks.  0, or -1 when minor is not 0 ..
 * SABA_PLUGIN_ABI_MINOR. */
SABA_TEST_API int saba_test_set_abi_minor(struct saba_test_host *th, int minor);

/*
 * retire(): the result for a request the agent would act on (enum
 * saba_retire_result) [SABA_RETIRE_DONE].  Before it, as the agent: a
 * request with a short struct_size is declined (and is misuse); RESTART,
 * UNKNOWN and out-of-range kinds are declined; without a host id the
 * result is SABA_RETIRE_FAILED; under dry-run SABA_RETIRE_DRY_RUN.  Once
 * a result other than DECLINED or "not registered" came, later calls get
 * that result again.
 */
SABA_TEST_API void saba_test_set_retire_result(struct saba_test_host *th, int result);
/*
 * retire_host() (ABI 1.2): the result for a request the agent would send
 * [SABA_RETIRE_DONE] (the agent counts a 404 as done).  Before it, as the
 * agent: a short struct_size or no host id is declined (and is misuse), a
 * kind other than SABA_STOP_TERMINATE or the host's own id
 * (saba_test_set_host_id()) is declined; under dry-run
 * SABA_RETIRE_DRY_RUN.
 */
SABA_TEST_API void saba_test_set_retire_host_result(struct saba_test_host *th, int result);

/*
 * api_request() (ABI 1.2): queue a canned answer.  A request takes the
 * first unused answer whose method and path (with its query) are equal to
 * its own; NULL matches any.  Each answer is used once, so queue one per
 * expected request: a sequence (500, then 200) is scripted by order.
 * status is the HTTP status returned, body the response (NULL: none) fed
 * to the sink; status -1 is "no answer" with body as the error text.  A
 * request without an answer gets -1 and "no canned answer" in err.
 */
SABA_TEST_API void saba_test_api_answer(struct saba_test_host *th, const char *method,
					const char *path, long status, const char *body);
/* Feed response bodies to the sink in pieces of at most bytes (0: the
 * whole body at once [0]), to test a sink that must join pieces. */
SABA_TEST_API void saba_test_set_api_chunk(struct saba_test_host *th, size_t bytes);

/* --- driving a plugin --- */

/* Load a module (dlopen RTLD_NOW|RTLD_LOCAL) and call its entry, or call
 * entry (a plugin compiled into the test).  The descriptor is checked and
 * copied as the agent does: same abi_major, struct_size covering name, a
 * shorter (older) descriptor reads as NULL members.  Returns the copy and
 * *handle, or NULL after printing why. */
SABA_TEST_API const struct saba_plugin *saba_test_load(const char *path, void **handle);
SABA_TEST_API const struct saba_plugin *saba_test_load_entry(saba_plugin_entry_fn entry,
							     void **handle);
/* Free the copy and dlclose, unless SABA_NO_DLCLOSE is set (keeps the
 * plugin's frames named in valgrind and sanitizer reports). */
SABA_TEST_API void saba_test_unload(void *handle);

/* Check the config against the plugin's settings as the agent does before
 * create(): keys not in them, wrong types, values out of range or not
 * allowed, required ones missing, each reported as a config error (with
 * its key); 0 when all is well.  Absent keys then read as their defaults. */
SABA_TEST_API int saba_test_check_keys(struct saba_test_host *th, const struct saba_plugin *plugin);
/* saba_test_check_keys(), then plugin->create().  Returns create()'s
 * result (SABA_INVALID on unknown keys, without calling create()). */
SABA_TEST_API int saba_test_create(struct saba_test_host *th, const struct saba_plugin *plugin,
				   void **instance);
/* Forget the previous round's values, then plugin->collect();
 * SABA_NOTFOUND when the plugin has none. */
SABA_TEST_API int saba_test_collect(struct saba_test_host *th, const struct saba_plugin *plugin,
				    void *instance);
/* plugin->host_spec(); SABA_NOTFOUND when it has none. */
SABA_TEST_API int saba_test_host_spec(struct saba_test_host *th, const struct saba_plugin *plugin,
				      void *instance);
/* plugin->destroy(), when both are there. */
SABA_TEST_API void saba_test_destroy(struct saba_test_host *th, const struct saba_plugin *plugin,
				     void *instance);
/* start(), stop(), shutdown() and confirm_retire() have no rules for the
 * fake to enforce: call them through the descriptor. */

/* --- what the plugin did --- */

/* Values of the last collect: their number; the last value emitted under
 * name (1 and *value, or 0); the i-th name and *value. */
SABA_TEST_API size_t saba_test_nvalues(struct saba_test_host *th);
SABA_TEST_API int saba_test_value(struct saba_test_host *th, const char *name, double *value);
SABA_TEST_API const char *saba_test_value_at(struct saba_test_host *th, size_t i, double *value);
/* Like saba_test_value(), with the emit_ex() time (0: the tick, or plain
 * emit()) and customIdentifier (NULL: this host).  Pointers may be NULL. */
SABA_TEST_API int saba_test_value_ex(struct saba_test_host *th, const char *name, double *value,
				     int64_t *time, const char **custom_identifier);
/* Values dropped for being NaN or infinite. */
SABA_TEST_API size_t saba_test_ndropped(struct saba_test_host *th);

/* spec_set(): the JSON text last set for path (NULL: none); how many
 * paths were set. */
SABA_TEST_API const char *saba_test_spec(struct saba_test_host *th, const char *path);
SABA_TEST_API size_t saba_test_nspecs(struct saba_test_host *th);

/* Log lines: their number; the i-th (without prefix) and its *level
 * (enum saba_log_level; may be NULL); how many at max_level or more
 * severe contain needle (NULL: any). */
SABA_TEST_API size_t saba_test_nlogs(struct saba_test_host *th);
SABA_TEST_API const char *saba_test_log_at(struct saba_test_host *th, size_t i, int *level);
SABA_TEST_API size_t saba_test_log_count(struct saba_test_host *th, int max_level,
					 const char *needle);

/* config_error() calls (and unknown keys): their number; the i-th
 * message and its *key (NULL for none). */
SABA_TEST_API size_t saba_test_nconfig_errors(struct saba_test_host *th);
SABA_TEST_API const char *saba_test_config_error_at(struct saba_test_host *th, size_t i,
						    const char **key);

/* retire() requests with a valid struct_size: their number; the i-th
 * one's kind (enum saba_stop_kind; -1: none), *reason ("" for NULL) and
 * the *result it got.  Pointers may be NULL. */
SABA_TEST_API size_t saba_test_nretires(struct saba_test_host *th);
SABA_TEST_API int saba_test_retire_at(struct saba_test_host *th, size_t i, const char **reason,
				      int *result);

/* graph_defs() calls: their number and the i-th JSON text. */
SABA_TEST_API size_t saba_test_ngraph_defs(struct saba_test_host *th);
SABA_TEST_API const char *saba_test_graph_defs_at(struct saba_test_host *th, size_t i);

/* report_check() calls: their number, and a copy of the i-th (strings
 * owned by the fake host); 1 when it exists. */
SABA_TEST_API size_t saba_test_nchecks(struct saba_test_host *th);
SABA_TEST_API int saba_test_check_at(struct saba_test_host *th, size_t i,
				     struct saba_check_report *out);

/* api_request() calls that were "sent" (not under dry-run, not invalid):
 * their number; the i-th one's path, *method, *body (NULL: none) and the
 * *status it got.  Pointers may be NULL. */
SABA_TEST_API size_t saba_test_napi_requests(struct saba_test_host *th);
SABA_TEST_API const char *saba_test_api_request_at(struct saba_test_host *th, size_t i,
						   const char **method, const char **body,
						   long *status);

/* retire_host() requests with a valid struct_size and a host id: their
 * number; the i-th one's host id, *kind, *reason ("" for NULL) and the *result it
 * got.  Pointers may be NULL. */
SABA_TEST_API size_t saba_test_nretire_hosts(struct saba_test_host *th);
SABA_TEST_API const char *saba_test_retire_host_at(struct saba_test_host *th, size_t i, int *kind,
						   const char **reason, int *result);

/* Host API misuse: emit() outside collect, a bad name or JSON, a config
 * lookup outside create, ... (each also logged at SABA_LOG_ERR). */
SABA_TEST_API size_t saba_test_misuse(struct saba_test_host *th);

/* Forget everything recorded (values, logs, errors, specs, retires, graph
 * definitions, checks, API requests, the misuse count) and the retire
 * state; keeps the config, the settings and unused canned answers. */
SABA_TEST_API void saba_test_clear(struct saba_test_host *th);

#ifdef __cplusplus
}
#endif

#endif /* SABA_PLUGIN_TEST_H */
