/*
 * fuzz_filesystem: <procfs>/self/mounts through the filesystem plugin's
 * collect() and host_spec() (meta.filesystem), by device and by mount
 * point.  The mounts that pass its rules are statvfs'd: this machine's
 * real paths.  Input: the file.
 */
#include "plugins/filesystem/filesystem.c"

#include <jansson.h>

#include <saba/plugin-test.h>
#include "fuzz.h"

static void fuzz_fs_once(const struct saba_plugin *p, int use_mountpoint)
{
	struct saba_test_host *fh;
	const char *spec;
	void *inst;
	int rc;

	fh = fuzz_host("procfs = \"%s/proc\"; use_mountpoint = %s; ignore = \"^/dev/loop\";",
		       fuzz_dir(), use_mountpoint ? "true" : "false");
	inst = fuzz_create(fh, p);
	rc = saba_test_collect(fh, p, inst);
	fuzz_host_check(fh, 1);
	if (rc != SABA_OK)
		fuzz_fail("collect() failed on a readable mounts file");
	for (size_t i = 0; i < saba_test_nvalues(fh); i++) {
		double v;
		const char *name = saba_test_value_at(fh, i, &v);

		if (!(v >= 0) || strncmp(name, "filesystem.", 11) != 0)
			fuzz_fail("%s = %g", name, v);
	}
	rc = saba_test_host_spec(fh, p, inst);
	fuzz_host_check(fh, 1);
	spec = saba_test_spec(fh, "meta.filesystem");
	if (rc != SABA_OK || spec == NULL) {
		fuzz_fail("host_spec() returned %d, meta.filesystem %s", rc, spec ? spec : "unset");
	} else {
		json_t *doc = json_loads(spec, 0, NULL), *fs;
		const char *dev;

		if (!json_is_object(doc))
			fuzz_fail("meta.filesystem is not an object: %s", spec);
		json_object_foreach(doc, dev, fs)
		{
			if (!json_is_string(json_object_get(fs, "mount")) ||
			    !json_is_integer(json_object_get(fs, "kb_size")))
				fuzz_fail("meta.filesystem[\"%s\"] lacks mount or kb_size", dev);
		}
		json_decref(doc);
	}
	p->destroy(inst);
	saba_test_host_free(fh);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct fuzz_part file = {(const char *)data, size};
	const struct saba_plugin *p = saba_plugin_entry();

	fuzz_write("proc/self/mounts", &file);
	fuzz_fs_once(p, 0);
	fuzz_fs_once(p, 1);
	return 0;
}
