#include "config.h"

#include <stdio.h>
#include <pthread.h>
#include <time.h>
#include <stdlib.h>
#include <string.h>

#include "host_api.h"
#include "collector.h"
#include "crash.h"
#include "hook.h"
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

/* Each hook the main thread waits for runs through saba_hook_run(): its
 * arguments and result live in one of these, which a hook that outlives
 * its bound keeps (it is then never freed). */
struct saba_hook_args {
	struct saba_ctx *ctx;
	int rc;
	void *state; /* create()'s instance */
};

static void saba_create_hook(void *arg)
{
	struct saba_hook_args *a = arg;

	a->rc = a->ctx->mod->desc.create(saba_host_table(), a->ctx, &a->state);
}

static void saba_destroy_hook(void *arg)
{
	struct saba_hook_args *a = arg;

	a->ctx->mod->desc.destroy(a->ctx->state);
}

static void saba_start_hook(void *arg)
{
	struct saba_hook_args *a = arg;

	a->rc = a->ctx->mod->desc.start(a->ctx->state);
}

static void saba_stop_hook(void *arg)
{
	struct saba_hook_args *a = arg;

	a->ctx->mod->desc.stop(a->ctx->state);
}

static void saba_spec_hook(void *arg)
{
	struct saba_hook_args *a = arg;

	a->rc = a->ctx->mod->desc.host_spec(a->ctx->state);
}

static int saba_instance_give_up(void *arg)
{
	return saba_runtime_stopping(arg);
}

/* Run one hook of ctx, bounded; stop() and destroy() are not cut short by
 * a stop request, the others are.  0, or -1 when it did not return (ctx
 * is then abandoned: never destroyed, its module never unloaded). */
static int saba_instance_hook(struct saba_ctx *ctx, const char *hook, saba_hook_fn fn,
			      struct saba_hook_args **out)
{
	struct saba_hook_args *a = saba_calloc(1, sizeof(*a));
	int quick = fn == saba_stop_hook || fn == saba_destroy_hook;

	a->ctx = ctx;
	if (saba_hook_run(ctx->label, hook, fn, a,
			  quick ? SABA_HOOK_STOP_TIMEOUT_MS : SABA_HOOK_TIMEOUT_MS,
			  quick || ctx->rt == NULL ? NULL : saba_instance_give_up, ctx->rt) != 0) {
		ctx->abandoned = 1;
		ctx->mod->pinned = 1;
		*out = NULL;
		return -1; /* a stays with the hook */
	}
	*out = a;
	return 0;
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
		struct saba_hook_args *a;

		saba_crash_install();
		if (saba_instance_hook(ctx, "create", saba_create_hook, &a) != 0) {
			/* ctx, the module and the settings stay for the hook still
			 * running */
			saba_conf_ref(conf);
			saba_conf_problem(conf->file, ic->line,
					  "plugin %s: create() did not return in time", ic->name);
			return 1;
		}
		rc = a->rc;
		ctx->state = a->state;
		free(a);
		if (rc == SABA_NOTFOUND && ic->optional && ic->implicit) {
			/* Not this machine's cloud (the plugin said why). */
			saba_info("plugin %s: not on this cloud; cloud_platform \"auto\" goes on "
				  "without it",
				  ic->name);
			ctx->state = NULL;
			saba_module_close(mod);
			saba_ctx_free(ctx);
			return 0;
		}
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
	out->conf = saba_conf_ref(conf);
	for (i = 0; i < conf->ninstances; i++)
		problems += saba_instance_create(rt, conf, out, &conf->instances[i]);
	if (problems > 0)
		saba_instances_destroy(out);
	return problems;
}

void saba_instances_destroy(struct saba_instances *set)
{
	int i, left = 0;

	saba_collector_release(set);
	for (i = set->n - 1; i >= 0; i--) {
		struct saba_ctx *ctx = set->v[i];

		if (ctx->abandoned) {
			/* A shutdown hook or collect() still runs in it. */
			saba_warn("%s: still busy in a plugin hook; not destroying it", ctx->label);
			left++;
			continue;
		}
		if (ctx->mod->desc.destroy != NULL && ctx->state != NULL) {
			struct saba_hook_args *a;

			if (saba_instance_hook(ctx, "destroy", saba_destroy_hook, &a) != 0) {
				left++;
				continue;
			}
			free(a);
		}
		saba_module_close(ctx->mod);
		saba_ctx_free(ctx);
	}
	/* An instance left to a running hook keeps reading its settings. */
	if (left == 0)
		saba_conf_free(set->conf);
	set->conf = NULL;
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
		struct saba_hook_args *a;

		if (ctx->mod->desc.host_spec == NULL || ctx->abandoned)
			continue;
		ctx->spec = json_object();
		/* A hook left running may still spec_set() into ctx->spec:
		 * then it stays its own. */
		if (saba_instance_hook(ctx, "host_spec", saba_spec_hook, &a) != 0)
			continue;
		if (a->rc != SABA_OK)
			saba_warn("%s: could not contribute to the host spec", ctx->label);
		free(a);
		saba_json_merge(spec, ctx->spec);
		json_decref(ctx->spec);
		ctx->spec = NULL;
	}
}

void saba_instances_start(struct saba_instances *set)
{
	for (int i = 0; i < set->n; i++) {
		struct saba_ctx *ctx = set->v[i];
		struct saba_hook_args *a;

		if (ctx->mod->desc.start == NULL || ctx->abandoned)
			continue;
		if (saba_instance_hook(ctx, "start", saba_start_hook, &a) != 0)
			continue;
		if (a->rc == SABA_OK)
			ctx->started = 1;
		else
			saba_err("%s: could not start its background work", ctx->label);
		free(a);
	}
}

void saba_instances_stop(struct saba_instances *set)
{
	for (int i = set->n - 1; i >= 0; i--) {
		struct saba_ctx *ctx = set->v[i];

		if (ctx->started && ctx->mod->desc.stop != NULL && !ctx->abandoned) {
			struct saba_hook_args *a;

			if (saba_instance_hook(ctx, "stop", saba_stop_hook, &a) == 0)
				free(a);
		}
		ctx->started = 0;
	}
}
