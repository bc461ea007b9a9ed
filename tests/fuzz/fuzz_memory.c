/*
 * fuzz_memory: <procfs>/meminfo through the memory plugin's collect() and
 * host_spec() (meta.memory).  Input: the file.
 */
#include "plugins/memory/memory.c"

#include <jansson.h>

#include <saba/plugin-test.h>
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct fuzz_part file = {(const char *)data, size};
	const struct saba_plugin *p = saba_plugin_entry();
	struct saba_test_host *fh;
	double total, used;
	const char *spec;
	void *inst;
	int rc;

	fuzz_write("proc/meminfo", &file);
	fh = fuzz_host("procfs = \"%s/proc\";", fuzz_dir());
	inst = fuzz_create(fh, p);
	rc = saba_test_collect(fh, p, inst);
	fuzz_host_check(fh, 1);
	if (rc != SABA_OK && saba_test_nvalues(fh) != 0)
		fuzz_fail("collect() failed but emitted %zu values", saba_test_nvalues(fh));
	if (rc == SABA_OK) {
		if (!saba_test_value(fh, "memory.total", &total) ||
		    !saba_test_value(fh, "memory.used", &used))
			fuzz_fail("collect() succeeded without memory.total and memory.used");
		if (!(used >= 0 && used <= total))
			fuzz_fail("memory.used %g is not within 0..memory.total %g", used, total);
	}

	rc = saba_test_host_spec(fh, p, inst);
	fuzz_host_check(fh, 1);
	spec = saba_test_spec(fh, "meta.memory");
	if ((rc == SABA_OK) != (spec != NULL))
		fuzz_fail("host_spec() returned %d, meta.memory %s", rc, spec ? spec : "unset");
	if (spec != NULL) {
		/* an object of strings: the meminfo lines upstream reports */
		json_t *doc = json_loads(spec, 0, NULL), *v;
		const char *key;

		if (!json_is_object(doc))
			fuzz_fail("meta.memory is not an object: %s", spec);
		json_object_foreach(doc, key, v)
		{
			if (!json_is_string(v))
				fuzz_fail("meta.memory.%s is not a string", key);
		}
		json_decref(doc);
	}
	p->destroy(inst);
	saba_test_host_free(fh);
	return 0;
}
