/*
 * fuzz_interface: two snapshots of <procfs>/net/dev through the interface
 * plugin's collect() (a delta plugin: the second one reports).
 * Input: net/dev, "%%", net/dev.
 */
#include "plugins/interface/interface.c"

#include <saba/plugin-test.h>
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct saba_plugin *p = saba_plugin_entry();
	struct fuzz_part part[2] = {{"", 0}, {"", 0}};
	struct saba_test_host *fh;
	void *inst;

	fuzz_split(data, size, part, 2);
	fh = fuzz_host("procfs = \"%s/proc\"; ignore = \"^docker\";", fuzz_dir());
	inst = fuzz_create(fh, p);
	fuzz_delta(fh, p, inst, "proc/net/dev", part, "interface.");
	/* lo and veth* are never reported */
	for (size_t i = 0; i < saba_test_nvalues(fh); i++) {
		const char *name = saba_test_value_at(fh, i, NULL);

		if (strncmp(name, "interface.lo.", 13) == 0 ||
		    strncmp(name, "interface.veth", 14) == 0)
			fuzz_fail("%s reported", name);
	}
	p->destroy(inst);
	saba_test_host_free(fh);
	return 0;
}
