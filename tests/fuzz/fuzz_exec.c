/*
 * fuzz_exec: what a mackerel-agent metric plugin prints, through the exec
 * plugin's parsers: the meta run's "# mackerel-agent-plugin" header and
 * graph definitions JSON (saba_exec_graphs), and the "name value epoch"
 * lines of a normal run (saba_exec_parse), for two instances: a plain one,
 * and one with include/exclude patterns, the plugin's timestamps and a
 * customIdentifier.  The command itself is not run: the output stands in
 * for its stdout.
 * Input: the meta run's output, "%%", a normal run's output.
 */
#include "plugins/exec/exec.c"

#include <saba/plugin-test.h>
#include "fuzz.h"

/* The normal run's output, NUL-terminated like saba_cmd_run()'s. */
static char *fuzz_out;
static size_t fuzz_out_len;

/* collect() of the shim plugin: the parse of one run's output. */
static int fuzz_exec_collect(void *instance)
{
	saba_exec_parse(instance, fuzz_out, fuzz_out + fuzz_out_len);
	return SABA_OK;
}

static void fuzz_exec_once(const struct fuzz_part *meta, const struct fuzz_part *values,
			   const char *config, int timestamps)
{
	struct saba_plugin shim = *saba_plugin_entry();
	struct saba_test_host *fh = fuzz_host("%s", config);
	struct saba_exec *ex = fuzz_create(fh, &shim);
	char *text = fuzz_str(meta);
	time_t now = time(NULL);
	size_t lines = 1;

	/* graph definitions: one JSON array of custom.* graphs (the fake
	 * host checks it is an array) */
	saba_exec_graphs(ex, text);
	free(text);
	for (size_t i = 0; i < saba_test_ngraph_defs(fh); i++) {
		json_t *defs = json_loads(saba_test_graph_defs_at(fh, i), 0, NULL), *d;
		size_t k;

		json_array_foreach(defs, k, d)
		{
			const char *name = json_string_value(json_object_get(d, "name"));

			if (name == NULL || strncmp(name, "custom.", 7) != 0)
				fuzz_fail("graph definition %zu is not named custom.*", k);
		}
		json_decref(defs);
	}

	fuzz_out = fuzz_str(values);
	fuzz_out_len = values->len;
	for (size_t i = 0; i < values->len; i++)
		lines += values->data[i] == '\n';
	shim.collect = fuzz_exec_collect;
	saba_test_collect(fh, &shim, ex);
	/* NaN and infinities are for the agent to drop: not checked */
	fuzz_host_check(fh, 0);
	if (saba_test_nvalues(fh) > lines)
		fuzz_fail("%zu values from %zu lines", saba_test_nvalues(fh), lines);
	for (size_t i = 0; i < saba_test_nvalues(fh); i++) {
		const char *name = saba_test_value_at(fh, i, NULL), *ci = NULL;
		int64_t t = 0;

		if (strncmp(name, "custom.", 7) != 0)
			fuzz_fail("value %s is not custom.*", name);
		saba_test_value_ex(fh, name, NULL, &t, &ci);
		if (timestamps && (t < now - SABA_EXEC_SKEW - 1 || t > now + SABA_EXEC_SKEW + 1))
			fuzz_fail("%s has a time %lld not within 15 minutes of now", name,
				  (long long)t);
	}
	free(fuzz_out);
	fuzz_out = NULL;
	saba_exec_destroy(ex);
	saba_test_host_free(fh);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_part part[2] = {{"", 0}, {"", 0}};

	fuzz_split(data, size, part, 2);
	fuzz_exec_once(&part[0], &part[1], "command = \"true\";", 0);
	fuzz_exec_once(&part[0], &part[1],
		       "command = [\"true\"]; include_pattern = \"^[a-m]\"; "
		       "exclude_pattern = \"x$\"; use_plugin_timestamp = true; "
		       "custom_identifier = \"fuzz-ci\";",
		       1);
	return 0;
}
