/*
 * fuzz_conf: a config file through saba_conf_load(), as every start and
 * `saba-agent configtest` read it, then every plugin instance's settings
 * through the host API's config functions, as plugins read them.
 * Input: the file.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "fuzz.h"
#include "host_api.h"
#include "instance.h"
#include "log.h"

/* What a loaded config promises the rest of the agent. */
static void fuzz_conf_valid(const struct saba_conf *c)
{
	if (c->interval < 1 || c->interval > 3600 || c->retire_timeout < 1 ||
	    c->retire_timeout > 600 || c->http_timeout < 1 || c->http_timeout > 300 ||
	    c->queue_max_age < 60 || c->queue_max_age > 7 * 24 * 3600 || c->shutdown_timeout < 1 ||
	    c->shutdown_timeout > 300)
		fuzz_fail("a setting out of its range was accepted");
	if (c->apibase == NULL || c->root == NULL || c->plugin_dir == NULL ||
	    (strncmp(c->apibase, "https://", 8) != 0 && strncmp(c->apibase, "http://", 7) != 0))
		fuzz_fail("apibase, root or plugin_dir missing or wrong");
	for (int i = 0; i < c->nroles; i++) {
		const char *colon = strchr(c->roles[i], ':');

		if (colon == NULL || colon == c->roles[i] || colon[1] == '\0')
			fuzz_fail("role \"%s\" accepted", c->roles[i]);
	}
	for (int i = 0; i < c->ninstances; i++) {
		const char *m = c->instances[i].module;

		if (*m == '\0' || strspn(m, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
					    "0123456789_-") != strlen(m))
			fuzz_fail("module name \"%s\" accepted", m);
	}
}

/* Every setting of an instance, read every way a plugin may read it. */
static void fuzz_conf_instance(struct saba_conf *c, struct saba_instance_conf *ic)
{
	const struct saba_host *host = saba_host_table();
	struct saba_ctx ctx;
	int n = config_setting_length(ic->setting);

	memset(&ctx, 0, sizeof(ctx));
	ctx.conf = c;
	ctx.ic = ic;
	ctx.label = ic->name;
	for (int i = 0; i < n; i++) {
		const char *key = config_setting_name(config_setting_get_elem(ic->setting, i));
		const char *s = NULL, *name = NULL, *value = NULL;
		long long ll;
		double d;
		int b, count;

		if (host->config_string(&ctx, key, &s) == SABA_OK && s == NULL)
			fuzz_fail("config_string(%s) returned no string", key);
		host->config_int(&ctx, key, &ll);
		host->config_float(&ctx, key, &d);
		host->config_bool(&ctx, key, &b);
		count = host->config_count(&ctx, key);
		for (int k = -1; k <= count; k++) {
			int rc = host->config_element(&ctx, key, k, &name, &value);

			if (rc == SABA_OK && (k < 0 || k >= count || value == NULL))
				fuzz_fail("config_element(%s, %d) of %d answered", key, k, count);
		}
	}
	host->config_error(&ctx, "module", "checked by %s", "fuzz");
	host->config_error(&ctx, NULL, "checked");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct fuzz_part file = {(const char *)data, size};
	struct saba_conf *c = NULL;
	char path[600];
	int problems;

	saba_log_init(SABA_LOG_DEBUG);
	fuzz_write("saba-agent.conf", &file);
	snprintf(path, sizeof(path), "%s/saba-agent.conf", fuzz_dir());
	problems = saba_conf_load(path, NULL, &c);
	if ((problems == 0) != (c != NULL))
		fuzz_fail("%d problems, config %s", problems, c != NULL ? "loaded" : "not loaded");
	if (c == NULL)
		return 0;
	fuzz_conf_valid(c);
	for (int i = 0; i < c->ninstances; i++)
		fuzz_conf_instance(c, &c->instances[i]);
	saba_conf_apikey(c);
	saba_conf_free(c);
	return 0;
}
