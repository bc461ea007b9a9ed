/*
 * fuzz_cpu: two snapshots of <procfs>/stat through the cpu plugin's
 * collect() (a delta plugin: the second one reports), then
 * <procfs>/cpuinfo through host_spec() (meta.cpu).
 * Input: stat, "%%", stat, "%%", cpuinfo.
 */
#include "plugins/cpu/cpu.c"

#include <jansson.h>

#include <saba/plugin-test.h>
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct saba_plugin *p = saba_plugin_entry();
	struct fuzz_part part[3] = {{"", 0}, {"", 0}, {"", 0}};
	struct saba_test_host *fh;
	const char *spec;
	void *inst;
	int rc;

	fuzz_split(data, size, part, 3);
	fh = fuzz_host("procfs = \"%s/proc\";", fuzz_dir());
	inst = fuzz_create(fh, p);
	fuzz_delta(fh, p, inst, "proc/stat", part, "cpu.");

	fuzz_write("proc/cpuinfo", &part[2]);
	rc = saba_test_host_spec(fh, p, inst);
	fuzz_host_check(fh, 1);
	spec = saba_test_spec(fh, "meta.cpu");
	if ((rc == SABA_OK) != (spec != NULL))
		fuzz_fail("host_spec() returned %d, meta.cpu %s", rc, spec ? spec : "unset");
	if (spec != NULL) {
		/* one object of strings per logical CPU */
		json_t *doc = json_loads(spec, 0, NULL), *cpu, *v;
		const char *key;
		size_t i;

		if (!json_is_array(doc) || json_array_size(doc) == 0)
			fuzz_fail("meta.cpu is not a non-empty array: %s", spec);
		json_array_foreach(doc, i, cpu)
		{
			if (!json_is_object(cpu))
				fuzz_fail("meta.cpu[%zu] is not an object", i);
			json_object_foreach(cpu, key, v)
			{
				if (!json_is_string(v))
					fuzz_fail("meta.cpu[%zu].%s is not a string", i, key);
			}
		}
		json_decref(doc);
	}
	p->destroy(inst);
	saba_test_host_free(fh);
	return 0;
}
