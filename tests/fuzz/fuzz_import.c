/*
 * fuzz_import: a mackerel-agent config (TOML) through `saba-agent import`:
 * toml++, the merge, the mapping and the rendering.  Whatever the input,
 * the result must be a config saba-agent's own loader accepts.
 * Input: the TOML file.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "fuzz.h"
#include "import.h"
#include "log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const clouds[] = {"plugins/ec2.so", "plugins/gce.so",
					     "plugins/azure.so"};
	struct fuzz_part file, none = {"", 0};
	struct saba_conf_overrides ov = {0};
	struct saba_conf *c = NULL;
	char path[600], dir[600], *out;
	int lost, problems;

	saba_log_init(SABA_LOG_ERR);
	snprintf(path, sizeof(path), "%s/mackerel-agent.conf", fuzz_dir());
	out = saba_import_string(path, (const char *)data, size, &lost);
	if (out == NULL)
		return 0;
	if (lost < 0)
		fuzz_fail("%d settings lost", lost);
	file.data = out;
	file.len = strlen(out);
	fuzz_write("saba-agent.conf", &file);
	snprintf(path, sizeof(path), "%s/saba-agent.conf", fuzz_dir());
	/* cloud_platform = "ec2" needs the plugin installed: the loader only
	 * looks for the file */
	for (size_t i = 0; i < sizeof(clouds) / sizeof(clouds[0]); i++)
		fuzz_write(clouds[i], &none);
	snprintf(dir, sizeof(dir), "%s/plugins", fuzz_dir());
	ov.plugin_dir = dir;
	problems = saba_conf_load(path, &ov, &c);
	if (problems != 0)
		fuzz_fail("saba-agent refuses what import wrote (%d problems):\n%s", problems, out);
	saba_conf_free(c);
	free(out);
	return 0;
}
