/*
 * ec2: (placeholder: filled in by its issue's work)
 */
#include <saba/plugin.h>

static const struct saba_plugin saba_ec2_plugin = {
	SABA_PLUGIN_HEADER,
	.name = "ec2",
	.version = "0.1.0",
	.description = "EC2 identity, termination signals, retire confirmation, fleet sweeper",
};

SABA_PLUGIN_EXPORT const struct saba_plugin *saba_plugin_entry(void)
{
	return &saba_ec2_plugin;
}
