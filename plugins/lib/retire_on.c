#include <stdio.h>
#include <string.h>

#include "retire_on.h"

static const char *const saba_stop_names[] = {
	[SABA_STOP_UNKNOWN] = "unknown",   [SABA_STOP_POWEROFF] = "poweroff",
	[SABA_STOP_HALT] = "halt",	   [SABA_STOP_REBOOT] = "reboot",
	[SABA_STOP_KEXEC] = "kexec",	   [SABA_STOP_RESTART] = "restart",
	[SABA_STOP_STOP] = "stop",	   [SABA_STOP_SINGLE] = "single",
	[SABA_STOP_SHUTDOWN] = "shutdown", [SABA_STOP_TERMINATE] = "terminate",
	[SABA_STOP_MANUAL] = "manual",
};

#define SABA_NSTOPS (int)(sizeof(saba_stop_names) / sizeof(saba_stop_names[0]))

const char *saba_stop_name(int kind)
{
	return kind >= 0 && kind < SABA_NSTOPS ? saba_stop_names[kind] : "unknown";
}

/* The kind named v if allowed[] has it, else -1. */
static int saba_allowed_kind(const char *const *allowed, const char *v)
{
	for (; *allowed != NULL; allowed++) {
		if (strcmp(*allowed, v) != 0)
			continue;
		for (int k = 0; k < SABA_NSTOPS; k++)
			if (strcmp(saba_stop_names[k], v) == 0)
				return k;
	}
	return -1;
}

int saba_retire_on(const struct saba_host *host, saba_ctx *ctx, const char *const *allowed,
		   uint32_t def, uint32_t *out)
{
	int n = host->config_count(ctx, "retire_on");
	char names[128] = "";

	if (n == SABA_NOTFOUND) {
		*out = def;
		return SABA_OK;
	}
	if (n < 0) {
		host->config_error(ctx, "retire_on", "must be a list of stop kinds");
		return SABA_INVALID;
	}
	*out = 0;
	for (int i = 0; i < n; i++) {
		const char *v = NULL;
		int kind;

		if (host->config_element(ctx, "retire_on", i, NULL, &v) != SABA_OK || v == NULL) {
			host->config_error(ctx, "retire_on", "element %d must be a string", i);
			return SABA_INVALID;
		}
		kind = saba_allowed_kind(allowed, v);
		if (kind < 0) {
			for (const char *const *a = allowed; *a != NULL; a++)
				snprintf(names + strlen(names), sizeof(names) - strlen(names),
					 "%s%s", a == allowed ? "" : ", ", *a);
			host->config_error(ctx, "retire_on",
					   "\"%s\" is not one of %s (a restart and an unknown stop "
					   "never retire)",
					   v, names);
			return SABA_INVALID;
		}
		*out |= 1u << kind;
	}
	return SABA_OK;
}
