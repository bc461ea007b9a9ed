#include <stdio.h>
#include <string.h>

#include "retire_on.h"

/* The kind named v, or -1. */
static int saba_kind_named(const char *v)
{
	for (int k = 0; strcmp(saba_stop_kind_name(k), "invalid") != 0; k++)
		if (strcmp(saba_stop_kind_name(k), v) == 0)
			return k;
	return -1;
}

int saba_retire_on(const struct saba_host *host, saba_ctx *ctx, uint32_t *out)
{
	int n = host->config_count(ctx, "retire_on");

	if (n < 0) {
		host->config_error(ctx, "retire_on",
				   "has no value (the agent is older than plugin ABI 1.3)");
		return SABA_INVALID;
	}
	*out = 0;
	for (int i = 0; i < n; i++) {
		const char *v = NULL;
		int kind;

		if (host->config_element(ctx, "retire_on", i, NULL, &v) != SABA_OK || v == NULL ||
		    (kind = saba_kind_named(v)) < 0 || kind >= 32)
			return SABA_INVALID;
		*out |= 1u << kind;
	}
	return SABA_OK;
}

int saba_retire_on_stop(const struct saba_host *host, saba_ctx *ctx, int kind, const char *evidence,
			uint32_t retire_on)
{
	const char *name = saba_stop_kind_name(kind);
	struct saba_retire_request req;

	host->log(ctx, SABA_LOG_NOTICE, "stop classified as %s (%s)", name, evidence);
	if (kind == SABA_STOP_RESTART || kind == SABA_STOP_UNKNOWN || kind == SABA_STOP_SINGLE) {
		host->log(ctx, SABA_LOG_NOTICE, "not retiring: %s stops never retire", name);
		return kind;
	}
	if (kind < 0 || kind >= 32 || !(retire_on & (1u << kind))) {
		host->log(ctx, SABA_LOG_NOTICE, "not retiring: %s is not in retire_on", name);
		return kind;
	}
	/* The core logs the kind and who asked; the reason is the evidence. */
	req = (struct saba_retire_request){
		.struct_size = sizeof(req),
		.kind = kind,
		.reason = evidence,
	};
	host->retire(ctx, &req);
	return kind;
}
