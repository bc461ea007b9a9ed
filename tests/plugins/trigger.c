/*
 * Test plugin "trigger": a shutdown trigger whose classification comes
 * from its config, to drive the agent's retire path deterministically.
 *
 * Config:
 *   kind = "unknown";          what shutdown() reports: poweroff, halt,
 *                              reboot, kexec, restart, stop, single,
 *                              shutdown, terminate, manual or unknown
 *   retire_on = ["poweroff"];  kinds for which shutdown() calls retire()
 *                              (restart and unknown never do)
 *   confirm = "none";          confirm_retire(): "yes", "no", or "none"
 *                              (not applicable)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <saba/plugin.h>

enum saba_trigger_confirm {
	SABA_TRIGGER_CONFIRM_NONE,
	SABA_TRIGGER_CONFIRM_YES,
	SABA_TRIGGER_CONFIRM_NO,
};

struct saba_trigger {
	const struct saba_host *host;
	saba_ctx *ctx;
	int kind;	    /* enum saba_stop_kind */
	uint32_t retire_on; /* bit per enum saba_stop_kind */
	int confirm;	    /* enum saba_trigger_confirm */
};

static const struct saba_config_key saba_trigger_keys[] = {
	{"kind", SABA_CFG_STRING, "stop kind shutdown() reports (default \"unknown\")"},
	{"retire_on", SABA_CFG_STRING_LIST, "kinds that retire the host (default [\"poweroff\"])"},
	{"confirm", SABA_CFG_STRING, "confirm_retire() answer: yes, no or none (default none)"},
	{NULL, 0, NULL},
};

/* clang-format off */
static const char *const saba_trigger_kinds[] = {
	[SABA_STOP_UNKNOWN] = "unknown",
	[SABA_STOP_POWEROFF] = "poweroff",
	[SABA_STOP_HALT] = "halt",
	[SABA_STOP_REBOOT] = "reboot",
	[SABA_STOP_KEXEC] = "kexec",
	[SABA_STOP_RESTART] = "restart",
	[SABA_STOP_STOP] = "stop",
	[SABA_STOP_SINGLE] = "single",
	[SABA_STOP_SHUTDOWN] = "shutdown",
	[SABA_STOP_TERMINATE] = "terminate",
	[SABA_STOP_MANUAL] = "manual",
};
/* clang-format on */

#define SABA_TRIGGER_NKINDS ((int)(sizeof(saba_trigger_kinds) / sizeof(saba_trigger_kinds[0])))

static int saba_trigger_kind(const char *name)
{
	for (int i = 0; i < SABA_TRIGGER_NKINDS; i++) {
		if (strcmp(name, saba_trigger_kinds[i]) == 0)
			return i;
	}
	return -1;
}

static const char *saba_trigger_result(int rc)
{
	switch (rc) {
	case SABA_RETIRE_DONE:
		return "done";
	case SABA_RETIRE_DECLINED:
		return "declined";
	case SABA_RETIRE_FAILED:
		return "failed";
	case SABA_RETIRE_DRY_RUN:
		return "dry run";
	default:
		return "?";
	}
}

/* retire_on: absent means ["poweroff"], [] means never. */
static int saba_trigger_retire_on(const struct saba_host *host, saba_ctx *ctx, uint32_t *mask)
{
	int n = host->config_count(ctx, "retire_on");

	if (n == SABA_NOTFOUND) {
		*mask = 1u << SABA_STOP_POWEROFF;
		return SABA_OK;
	}
	if (n < 0) {
		host->config_error(ctx, "retire_on", "must be a list of stop kinds");
		return SABA_INVALID;
	}
	*mask = 0;
	for (int i = 0; i < n; i++) {
		const char *v = NULL;
		int kind;

		if (host->config_element(ctx, "retire_on", i, NULL, &v) != SABA_OK || v == NULL) {
			host->config_error(ctx, "retire_on", "element %d must be a string", i);
			return SABA_INVALID;
		}
		kind = saba_trigger_kind(v);
		if (kind < 0) {
			host->config_error(ctx, "retire_on", "unknown stop kind \"%s\"", v);
			return SABA_INVALID;
		}
		*mask |= 1u << kind;
	}
	return SABA_OK;
}

static int saba_trigger_create(const struct saba_host *host, saba_ctx *ctx, void **instance)
{
	struct saba_trigger *t = NULL;
	const char *kind = "unknown", *confirm = "none";
	int rc;

	t = calloc(1, sizeof(*t));
	if (t == NULL) {
		host->log(ctx, SABA_LOG_ERR, "out of memory");
		rc = SABA_ERROR;
		goto out;
	}
	t->host = host;
	t->ctx = ctx;

	rc = host->config_string(ctx, "kind", &kind);
	if (rc != SABA_OK && rc != SABA_NOTFOUND) {
		host->config_error(ctx, "kind", "must be a string");
		rc = SABA_INVALID;
		goto out;
	}
	t->kind = saba_trigger_kind(kind);
	if (t->kind < 0) {
		host->config_error(ctx, "kind", "unknown stop kind \"%s\"", kind);
		rc = SABA_INVALID;
		goto out;
	}

	rc = saba_trigger_retire_on(host, ctx, &t->retire_on);
	if (rc != SABA_OK)
		goto out;

	rc = host->config_string(ctx, "confirm", &confirm);
	if (rc != SABA_OK && rc != SABA_NOTFOUND) {
		host->config_error(ctx, "confirm", "must be \"yes\", \"no\" or \"none\"");
		rc = SABA_INVALID;
		goto out;
	}
	if (strcmp(confirm, "none") == 0) {
		t->confirm = SABA_TRIGGER_CONFIRM_NONE;
	} else if (strcmp(confirm, "yes") == 0) {
		t->confirm = SABA_TRIGGER_CONFIRM_YES;
	} else if (strcmp(confirm, "no") == 0) {
		t->confirm = SABA_TRIGGER_CONFIRM_NO;
	} else {
		host->config_error(ctx, "confirm",
				   "must be \"yes\", \"no\" or \"none\", not \"%s\"", confirm);
		rc = SABA_INVALID;
		goto out;
	}

	*instance = t;
	t = NULL;
	rc = SABA_OK;
out:
	free(t);
	return rc;
}

static void saba_trigger_destroy(void *instance)
{
	free(instance);
}

static int saba_trigger_shutdown(void *instance)
{
	struct saba_trigger *t = instance;
	const char *name = saba_trigger_kinds[t->kind];
	struct saba_retire_request req;
	char reason[64];
	int rc;

	t->host->log(t->ctx, SABA_LOG_NOTICE, "stop classified as %s (budget %d s)", name,
		     t->host->shutdown_budget(t->ctx));
	/* the same hard rule as real triggers: doubt never retires */
	if (t->kind == SABA_STOP_RESTART || t->kind == SABA_STOP_UNKNOWN) {
		t->host->log(t->ctx, SABA_LOG_NOTICE, "not retiring: %s never retires", name);
		return t->kind;
	}
	if (!(t->retire_on & (1u << t->kind))) {
		t->host->log(t->ctx, SABA_LOG_NOTICE, "not retiring: %s is not in retire_on", name);
		return t->kind;
	}
	snprintf(reason, sizeof(reason), "test trigger: kind=%s", name);
	req = (struct saba_retire_request){
		.struct_size = sizeof(req),
		.kind = t->kind,
		.reason = reason,
	};
	rc = t->host->retire(t->ctx, &req);
	t->host->log(t->ctx, SABA_LOG_NOTICE, "retire returned %d (%s)", rc,
		     saba_trigger_result(rc));
	return t->kind;
}

static int saba_trigger_confirm_retire(void *instance, const struct saba_retire_request *req,
				       char *evidence, size_t evidence_len)
{
	struct saba_trigger *t = instance;
	const char *answer;
	int rc;

	switch (t->confirm) {
	case SABA_TRIGGER_CONFIRM_YES:
		answer = "yes";
		rc = SABA_CONFIRM_YES;
		break;
	case SABA_TRIGGER_CONFIRM_NO:
		answer = "no";
		rc = SABA_CONFIRM_NO;
		break;
	default:
		return SABA_CONFIRM_NOT_APPLICABLE;
	}
	if (evidence != NULL && evidence_len > 0)
		snprintf(evidence, evidence_len, "test confirm=%s", answer);
	t->host->log(t->ctx, SABA_LOG_NOTICE, "confirm_retire(kind=%d): %s", req ? req->kind : -1,
		     answer);
	return rc;
}

static const struct saba_plugin saba_trigger_plugin = {
	SABA_PLUGIN_HEADER,
	.name = "trigger",
	.version = "1.0",
	.description = "test plugin: shutdown trigger with a configured classification",
	.config_keys = saba_trigger_keys,
	.create = saba_trigger_create,
	.destroy = saba_trigger_destroy,
	.shutdown = saba_trigger_shutdown,
	.confirm_retire = saba_trigger_confirm_retire,
};

SABA_PLUGIN_EXPORT const struct saba_plugin *saba_plugin_entry(void)
{
	return &saba_trigger_plugin;
}
