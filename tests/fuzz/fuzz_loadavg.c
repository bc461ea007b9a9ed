/*
 * fuzz_loadavg: <procfs>/loadavg through the loadavg plugin's collect().
 * Input: the file.
 *
 * The plugin's source is compiled into the harness (as in every plugin
 * target): one plugin per program, its entry point called directly.
 */
#include "plugins/loadavg/loadavg.c"

#include <saba/plugin-test.h>
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct fuzz_part file = {(const char *)data, size};
	const struct saba_plugin *p = saba_plugin_entry();
	struct saba_test_host *fh;
	void *inst;
	int rc;

	fuzz_write("proc/loadavg", &file);
	fh = fuzz_host("procfs = \"%s/proc\";", fuzz_dir());
	inst = fuzz_create(fh, p);
	rc = saba_test_collect(fh, p, inst);
	fuzz_host_check(fh, 1);
	/* all three averages or nothing, never a negative one */
	if (rc == SABA_OK ? saba_test_nvalues(fh) != 3 : saba_test_nvalues(fh) != 0)
		fuzz_fail("collect() returned %d with %zu values", rc, saba_test_nvalues(fh));
	for (size_t i = 0; i < saba_test_nvalues(fh); i++) {
		double v;
		const char *name = saba_test_value_at(fh, i, &v);

		if (!(v >= 0))
			fuzz_fail("%s = %g", name, v);
	}
	p->destroy(inst);
	saba_test_host_free(fh);
	return 0;
}
