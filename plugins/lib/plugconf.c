#include "plugconf.h"

int saba_plugconf_int_range(const struct saba_host *host, saba_ctx *ctx, const char *key, int def,
			    int min, int max, int *out)
{
	long long v = def;
	int rc = host->config_int(ctx, key, &v);

	if (rc != SABA_OK && rc != SABA_NOTFOUND)
		return SABA_INVALID;
	if (v < min || v > max) {
		host->config_error(ctx, key, "must be between %d and %d, not %lld", min, max, v);
		return SABA_INVALID;
	}
	*out = (int)v;
	return SABA_OK;
}
