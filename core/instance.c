#include "config.h"

#include <stdio.h>
#include <pthread.h>
#include <time.h>
#include <stdlib.h>
#include <string.h>

#include "host_api.h"
#include "collector.h"
#include "crash.h"
#include "instance.h"
#include "log.h"
#include "util.h"

/* Unknown keys, wrong types and values the plugin's settings do not allow
 * are errors with FILE:LINE, and so is a required setting left out, before
 * the plugin sees its config. */
static int saba_check_schema(struct saba_ctx *ctx)
{
	const config_setting_t *g = ctx->ic->setting;
	const struct saba_settings *set = &ctx->mod->settings;
	int i, n = config_setting_length(g), problems = 0;
	char msg[1024];

	for (i = 0; i < n; i++) {
		config_setting_t *s = config_setting_get_elem(g, (unsigned)i);
		const char *key = config_setting_name(s);
		const struct saba_setting *k;

		if (strcmp(key, "module") == 0)
			continue;
		k = saba_settings_find(set, key);
		if (k == NULL && ctx->ic->implicit) {
			/* An identity-only setting this cloud plugin does not have. */
			config_setting_remove_elem(ctx->ic->setting, (unsigned)i--);
			n--;
			continue;
		}
		if (k == NULL) {
			saba_conf_problem(ctx->conf->file, (int)config_setting_source_line(s),
					  "unknown setting \"%s\" for plugin %s (module %s)", key,
					  ctx->ic->name, ctx->mod->name);
			problems++;
		} else if (saba_settings_check(k, s, msg, sizeof(msg)) != 0) {
			saba_conf_problem(ctx->conf->file, (int)config_setting_source_line(s),
					  "plugin %s: %s", ctx->ic->name, msg);
			problems++;
		}
	}
	for (const struct saba_setting *k = set->v; k->name != NULL; k++)
		if ((k->flags & SABA_SETTING_REQUIRED) &&
		    config_setting_get_member(g, k->name) == NULL) {
			saba_conf_problem(ctx->conf->file, ctx->ic->line,
					  "plugin %s: \"%s\" must be set (%s)", ctx->ic->name,
					  k->name,
					  k->description != NULL ? k->description : "required");
			problems++;
		}
	return problems;
}

static struct saba_module *saba_find_module(struct saba_instances *set, const char *name)
{
	for (int i = 0; i < set->n; i++)
		if (strcmp(set->v[i]->mod->name, name) == 0)
			return set->v[i]->mod;
	return NULL;
}

static void saba_ctx_free(struct saba_ctx *ctx)
{
	free(ctx->buf);
	free(ctx->label);
	free(ctx);
}

/* One instance: find or load its module, check the schema, create. */
static int saba_instance_create(struct saba_runtime *rt, struct saba_conf *conf,
				struct saba_instances *set, const struct saba_instance_conf *ic)
{
	struct saba_module *mod = saba_find_module(set, ic->module);
	struct saba_ctx *ctx = NULL;
	char err[1024];
	int problems = 0, rc;

	if (mod != NULL) {
		mod->refs++;
	} else {
		mod = saba_module_open(conf->plugin_dir, ic->module, err, sizeof(err));
		if (mod == NULL && ic->optional) {
			/* e.g. ec2.so installed without its libexpat */
			saba_warn("plugin %s: %s; cloud_platform \"auto\" goes on without it",
				  ic->name, err);
			return 0;
		}
		if (mod == NULL) {
			saba_conf_problem(conf->file, ic->line, "plugin %s: %s", ic->name, err);
			return 1;
		}
	}
	ctx = saba_calloc(1, sizeof(*ctx));
	ctx->rt = rt;
	ctx->conf = conf;
	ctx->mod = mod;
	ctx->ic = ic;
	ctx->label = strcmp(ic->name, ic->module) == 0
			     ? saba_asprintf("%s", ic->name)
			     : saba_asprintf("%s/%s", ic->module, ic->name);

	problems = saba_check_schema(ctx);
	if (problems > 0)
		goto fail;
	if (mod->desc.create != NULL) {
		struct saba_crash_frame cf;

		saba_crash_install();
		saba_crash_enter(&cf, ctx->label, "create");
		rc = mod->desc.create(saba_host_table(), ctx, &ctx->state);
		saba_crash_leave(&cf);
		if (rc != SABA_OK) {
			if (ctx->config_problems == 0)
				saba_conf_problem(conf->file, ic->line,
						  "plugin %s: could not be created (error %d)",
						  ic->name, rc);
			problems = ctx->config_problems > 0 ? ctx->config_problems : 1;
			ctx->state = NULL;
			goto fail;
		}
	}
	set->v[set->n++] = ctx;
	return 0;
fail:
	saba_module_close(mod);
	saba_ctx_free(ctx);
	return problems;
}

int saba_instances_create(struct saba_runtime *rt, struct saba_conf *conf,
			  struct saba_instances *out)
{
	int i, problems = 0;

	out->v = saba_calloc((size_t)conf->ninstances + 1, sizeof(*out->v));
	out->n = 0;
	for (i = 0; i < conf->ninstances; i++)
		problems += saba_instance_create(rt, conf, out, &conf->instances[i]);
	if (problems > 0)
		saba_instances_destroy(out);
	return problems;
}

void saba_instances_destroy(struct saba_instances *set)
{
	int i;

	saba_collector_release(set);
	for (i = set->n - 1; i >= 0; i--) {
		struct saba_ctx *ctx = set->v[i];

		if (ctx->abandoned) {
			/* A shutdown hook or collect() still runs in it. */
			saba_warn("%s: still busy in a plugin hook; not destroying it", ctx->label);
			continue;
		}
		if (ctx->mod->desc.destroy != NULL && ctx->state != NULL) {
			struct saba_crash_frame cf;

			saba_crash_enter(&cf, ctx->label, "destroy");
			ctx->mod->desc.destroy(ctx->state);
			saba_crash_leave(&cf);
		}
		saba_module_close(ctx->mod);
		saba_ctx_free(ctx);
	}
	free(set->v);
	set->v = NULL;
	set->n = 0;
}

/* Merge src into dst recursively: objects merge, arrays concatenate (the
 * "checks" of several check instances), anything else replaces. */
static void saba_json_merge(json_t *dst, json_t *src)
{
	const char *key;
	json_t *v;

	json_object_foreach(src, key, v)
	{
		json_t *d = json_object_get(dst, key);

		if (json_is_object(d) && json_is_object(v))
			saba_json_merge(d, v);
		else if (json_is_array(d) && json_is_array(v))
			json_array_extend(d, v);
		else
			json_object_set(dst, key, v);
	}
}

void saba_instances_spec(struct saba_instances *set, json_t *spec)
{
	for (int i = 0; i < set->n; i++) {
		struct saba_ctx *ctx = set->v[i];
		struct saba_crash_frame cf;
		int rc;

		if (ctx->mod->desc.host_spec == NULL)
			continue;
		ctx->spec = json_object();
		saba_crash_enter(&cf, ctx->label, "host_spec");
		rc = ctx->mod->desc.host_spec(ctx->state);
		saba_crash_leave(&cf);
		if (rc != SABA_OK)
			saba_warn("%s: could not contribute to the host spec", ctx->label);
		saba_json_merge(spec, ctx->spec);
		json_decref(ctx->spec);
		ctx->spec = NULL;
	}
}

void saba_instances_start(struct saba_instances *set)
{
	for (int i = 0; i < set->n; i++) {
		struct saba_ctx *ctx = set->v[i];
		struct saba_crash_frame cf;
		int rc;

		if (ctx->mod->desc.start == NULL)
			continue;
		saba_crash_enter(&cf, ctx->label, "start");
		rc = ctx->mod->desc.start(ctx->state);
		saba_crash_leave(&cf);
		if (rc == SABA_OK)
			ctx->started = 1;
		else
			saba_err("%s: could not start its background work", ctx->label);
	}
}

void saba_instances_stop(struct saba_instances *set)
{
	for (int i = set->n - 1; i >= 0; i--) {
		struct saba_ctx *ctx = set->v[i];

		if (ctx->started && ctx->mod->desc.stop != NULL) {
			struct saba_crash_frame cf;

			saba_crash_enter(&cf, ctx->label, "stop");
			ctx->mod->desc.stop(ctx->state);
			saba_crash_leave(&cf);
		}
		ctx->started = 0;
	}
}
