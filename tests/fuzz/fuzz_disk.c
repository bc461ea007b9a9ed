/*
 * fuzz_disk: two snapshots of <procfs>/diskstats through the disk plugin's
 * collect() (a delta plugin: the second one reports), then host_spec()
 * (meta.block_device) over a sysfs with one device whose model and size
 * come from the input.
 * Input: diskstats, "%%", diskstats, "%%", model, "%%", size.
 */
#include "plugins/disk/disk.c"

#include <jansson.h>

#include <saba/plugin-test.h>
#include "fuzz.h"

/* Every name disk.<dev>.{reads,writes}.delta. */
static void fuzz_disk_names(struct saba_test_host *fh)
{
	for (size_t i = 0; i < saba_test_nvalues(fh); i++) {
		const char *name = saba_test_value_at(fh, i, NULL);
		size_t n = strlen(name);

		if (!((n > 17 && strcmp(name + n - 12, ".reads.delta") == 0) ||
		      (n > 18 && strcmp(name + n - 13, ".writes.delta") == 0)))
			fuzz_fail("unexpected metric name %s", name);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct saba_plugin *p = saba_plugin_entry();
	struct fuzz_part part[4] = {{"", 0}, {"", 0}, {"", 0}, {"", 0}};
	struct saba_test_host *fh;
	const char *spec;
	void *inst;
	int rc;

	fuzz_split(data, size, part, 4);
	fuzz_write("sys/block/sda/device/model", &part[2]);
	fuzz_write("sys/block/sda/size", &part[3]);
	fh = fuzz_host("procfs = \"%s/proc\"; sysfs = \"%s/sys\"; ignore = \"^loop\";", fuzz_dir(),
		       fuzz_dir());
	inst = fuzz_create(fh, p);
	fuzz_delta(fh, p, inst, "proc/diskstats", part, "disk.");
	fuzz_disk_names(fh);

	rc = saba_test_host_spec(fh, p, inst);
	fuzz_host_check(fh, 1);
	spec = saba_test_spec(fh, "meta.block_device");
	if (rc != SABA_OK || spec == NULL) {
		fuzz_fail("host_spec() returned %d, meta.block_device %s", rc,
			  spec ? spec : "unset");
	} else {
		json_t *doc = json_loads(spec, 0, NULL);
		json_t *sda = json_object_get(doc, "sda");

		if (!json_is_string(json_object_get(sda, "model")) ||
		    !json_is_string(json_object_get(sda, "size")))
			fuzz_fail("meta.block_device.sda lacks its model or size: %s", spec);
		json_decref(doc);
	}
	p->destroy(inst);
	saba_test_host_free(fh);
	return 0;
}
