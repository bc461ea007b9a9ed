#include "plugconf.h"

int saba_plugconf_int(const struct saba_host *host, saba_ctx *ctx, const char *key, int *out)
{
	long long v;

	if (host->config_int(ctx, key, &v) != SABA_OK) {
		host->config_error(ctx, key,
				   "has no value (the agent is older than plugin ABI 1.3)");
		return SABA_INVALID;
	}
	*out = (int)v;
	return SABA_OK;
}
