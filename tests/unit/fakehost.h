/*
 * fakehost: a stand-in for the agent's struct saba_host, to unit-test a
 * plugin without the agent.
 *
 * One fakehost drives one plugin instance: it owns the instance's
 * configuration (libconfig text, the same syntax as an instance block of
 * saba-agent.conf without the braces) and records everything the plugin does
 * through the host table: emitted values, spec_set() calls, log lines,
 * config_error() calls, retire requests and keepalives (as debug log
 * lines), and the ABI 1.1 calls: emit_ex() values with their time and
 * customIdentifier, graph_defs() and report_check().
 *
 *	struct fakehost *fh = fakehost_new("procfs = \"/tmp/proc\";");
 *	void *inst;
 *	fakehost_create(fh, plugin, &inst);
 *	fakehost_collect(fh, plugin, inst);
 *	fakehost_value(fh, "loadavg1", &v);
 *	plugin->destroy(inst);
 *	fakehost_free(fh);
 *
 * Like the agent, the fake drops NaN and infinite values with a warning,
 * only accepts emit() inside fakehost_collect() and spec_set() inside
 * fakehost_host_spec(), and checks metric names and spec JSON; a broken
 * call is logged and counted by fakehost_misuse().
 *
 * Host functions are thread-safe, the query functions are not meant to
 * race with a running callback.  Independent of the agent's core: it needs
 * only <saba/plugin.h>, libconfig, jansson and libdl.
 */
#ifndef SABA_TESTS_FAKEHOST_H
#define SABA_TESTS_FAKEHOST_H

#include <stddef.h>
#include <stdint.h>

#include <saba/plugin.h>

struct fakehost;

/* A fake host with the given instance config (NULL: empty).  NULL on a
 * syntax error, which is printed with its line number. */
struct fakehost *fakehost_new(const char *libconfig_text);
void fakehost_free(struct fakehost *fh);

const struct saba_host *fakehost_host(struct fakehost *fh);
saba_ctx *fakehost_ctx(struct fakehost *fh);

/* --- knobs --- */
/* What the host functions without config answer.  Set the fields
 * directly, while no callback runs; strings are not copied.  Defaults in
 * brackets. */
struct fakehost_knobs {
	const char *host_id;	   /* host_id(); NULL: not registered [NULL] */
	int retire_result;	   /* retire(), enum saba_retire_result [DONE] */
	int shutdown_budget;	   /* shutdown_budget(), seconds [0] */
	int dry_run;		   /* dry_run() [0] */
	const char *instance_name; /* instance_name() ["test"] */
	int echo;		   /* copy log lines to stderr [1] */
};
struct fakehost_knobs *fakehost_knobs(struct fakehost *fh);

/* --- driving a plugin --- */
/* Load a module (dlopen RTLD_NOW|RTLD_LOCAL) and call its entry.  Returns
 * the descriptor and *handle, or NULL after printing why.  The header is
 * checked as the agent does: same abi_major, struct_size covering name. */
const struct saba_plugin *fakehost_load(const char *path, void **handle);
/* dlclose, unless SABA_NO_DLCLOSE is set (valgrind symbolisation). */
void fakehost_unload(void *handle);

/* Config keys not in the plugin's schema, each reported as a config
 * error as the agent does; 0 when all keys are known. */
int fakehost_check_keys(struct fakehost *fh, const struct saba_plugin *plugin);
/* fakehost_check_keys() then plugin->create(); returns create's result
 * (SABA_INVALID on unknown keys, without calling create). */
int fakehost_create(struct fakehost *fh, const struct saba_plugin *plugin, void **instance);
/* Forget previously emitted values, then plugin->collect(instance). */
int fakehost_collect(struct fakehost *fh, const struct saba_plugin *plugin, void *instance);
/* plugin->host_spec(instance); SABA_NOTFOUND when it has none. */
int fakehost_host_spec(struct fakehost *fh, const struct saba_plugin *plugin, void *instance);

/* --- what the plugin did --- */
size_t fakehost_nvalues(struct fakehost *fh);
/* The last value emitted under name: 1 and *value, or 0. */
int fakehost_value(struct fakehost *fh, const char *name, double *value);
/* The i-th value of the last collect: its name and *value. */
const char *fakehost_value_at(struct fakehost *fh, size_t i, double *value);
/* Values dropped for being NaN or infinite. */
size_t fakehost_ndropped(struct fakehost *fh);

/* The JSON text last set for path, or NULL. */
const char *fakehost_spec(struct fakehost *fh, const char *path);
size_t fakehost_nspecs(struct fakehost *fh);

size_t fakehost_nlogs(struct fakehost *fh);
/* The i-th log line (without prefix) and its *level (may be NULL). */
const char *fakehost_log_at(struct fakehost *fh, size_t i, int *level);
/* Number of lines at max_level or more severe that contain needle. */
size_t fakehost_log_count(struct fakehost *fh, int max_level, const char *needle);

size_t fakehost_nconfig_errors(struct fakehost *fh);
/* The i-th config_error() message, and its *key (NULL for none). */
const char *fakehost_config_error_at(struct fakehost *fh, size_t i, const char **key);

size_t fakehost_nretires(struct fakehost *fh);
/* The i-th retire request: its kind, and *reason. */
int fakehost_retire_at(struct fakehost *fh, size_t i, const char **reason);

/* --- ABI 1.1 --- */
/* Like fakehost_value(), with the value's emit_ex() time (0: the tick
 * or plain emit()) and customIdentifier (NULL: this host). */
int fakehost_value_ex(struct fakehost *fh, const char *name, double *value, int64_t *time,
		      const char **custom_identifier);
/* graph_defs() calls: their number and the i-th JSON text. */
size_t fakehost_ngraph_defs(struct fakehost *fh);
const char *fakehost_graph_defs_at(struct fakehost *fh, size_t i);
/* report_check() calls (from any thread): their number, and a copy of
 * the i-th (strings owned by the fake host, valid until clear/free);
 * 1 when it exists. */
size_t fakehost_nchecks(struct fakehost *fh);
int fakehost_check_at(struct fakehost *fh, size_t i, struct saba_check_report *out);

/* Host API misuse: emit outside collect, bad names or JSON, ... */
size_t fakehost_misuse(struct fakehost *fh);

/* Forget everything recorded (values, specs, logs, errors, retires, graph
 * definitions, check reports). */
void fakehost_clear(struct fakehost *fh);

#endif /* SABA_TESTS_FAKEHOST_H */
