#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <libconfig.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "collector.h"
#include "commands.h"
#include "conf.h"
#include "idfile.h"
#include "instance.h"
#include "loader.h"
#include "lock.h"
#include "log.h"
#include "queue.h"
#include "http.h"
#include "retire.h"
#include "spec.h"
#include "util.h"

/* A collect that takes longer than this is left out of `once`. */
#define SABA_ONCE_TIMEOUT_MS 10000

static json_t *saba_once_metrics(struct saba_queue *q)
{
	json_t *out = json_array();
	struct saba_batch *b[64];
	size_t n;

	while ((n = saba_queue_take(q, b, 64, (size_t)-1)) > 0)
		for (size_t i = 0; i < n; i++) {
			for (size_t j = 0; j < b[i]->n; j++)
				json_array_append_new(out,
						      json_pack("{s:s, s:f, s:I}", "name",
								b[i]->points[j].name, "value",
								b[i]->points[j].value, "time",
								(json_int_t)b[i]->points[j].time));
			saba_batch_free(b[i]);
		}
	return out;
}

int saba_cmd_once(const struct saba_options *o)
{
	struct saba_runtime rt = {0};
	struct saba_instances set = {0};
	struct saba_conf *conf = NULL;
	json_t *out = NULL;
	int rc = 2, delta = 0;
	int64_t tick;
	char *text;

	saba_runtime_init(&rt);
	if (saba_conf_load(o->config, &o->ov, &conf) > 0)
		goto out;
	saba_conf_apply_log_level(conf);
	rt.conf = conf;
	rt.dry_run = 1; /* nothing leaves the machine */
	rt.command = "once";
	rt.queue = saba_queue_new(4);
	rt.retire = saba_retire_new();
	rt.instances = &set;
	if (saba_instances_create(&rt, conf, &set) > 0)
		goto out;
	for (int i = 0; i < set.n; i++)
		delta |= (set.v[i]->mod->desc.flags & SABA_PLUGIN_DELTA) != 0;
	saba_collector_start(&set);
	tick = saba_wall_ms() / 1000;
	saba_collector_tick(&set, tick, 0);
	saba_collector_wait(&set, saba_now_ms() + SABA_ONCE_TIMEOUT_MS);
	if (delta) {
		/* Counters need two samples: take the second one a second later. */
		sleep(1);
		saba_collector_tick(&set, tick + 1, 1);
		saba_collector_wait(&set, saba_now_ms() + SABA_ONCE_TIMEOUT_MS);
	}
	saba_queue_seal(rt.queue, tick);
	out = json_object();
	json_object_set_new(out, "host", saba_spec_build(conf, &set));
	json_object_set_new(out, "metrics", saba_once_metrics(rt.queue));
	text = json_dumps(out, JSON_INDENT(2) | JSON_REAL_PRECISION(15));
	printf("%s\n", text);
	free(text);
	rc = 0;
out:
	saba_collector_stop(&set, saba_now_ms() + 500);
	saba_instances_destroy(&set);
	json_decref(out);
	saba_queue_free(rt.queue);
	saba_retire_free(rt.retire);
	saba_conf_free(conf);
	saba_runtime_destroy(&rt);
	return rc;
}

/* Ask on the terminal; only "y" or "yes" retires. */
static int saba_confirm_tty(const char *id)
{
	char answer[16] = "";

	fprintf(stderr, "Retire host %s? This cannot be undone. [y/N]: ", id);
	fflush(stderr);
	if (fgets(answer, sizeof(answer), stdin) == NULL)
		return 0;
	saba_rstrip(answer);
	return strcmp(answer, "y") == 0 || strcmp(answer, "Y") == 0 || strcmp(answer, "yes") == 0;
}

int saba_cmd_retire(const struct saba_options *o)
{
	struct saba_retire_request req = {
		.struct_size = sizeof(req),
		.kind = SABA_STOP_MANUAL,
		.reason = "saba-agent retire",
	};
	struct saba_runtime rt = {0};
	struct saba_conf *conf = NULL;
	char *id = NULL, err[1024];
	int rc = 2, how, lock_fd = -1;

	saba_runtime_init(&rt);
	if (saba_conf_load(o->config, &o->ov, &conf) > 0)
		goto out;
	saba_conf_apply_log_level(conf);
	rt.conf = conf;
	rt.dry_run = o->dry_run;
	rt.command = "retire";
	if (!o->dry_run && saba_conf_apikey(conf) == NULL)
		goto out;
	rc = 1;
	/* Never beside a running agent: it would go on posting for the host
	 * retired under it. */
	how = saba_root_prepare(conf->root, 0, err, sizeof(err));
	if (how == 0 && !o->dry_run && saba_lock_root(conf->root, &lock_fd, err, sizeof(err)) != 0)
		how = -1;
	if (how < 0) {
		saba_err("%s", err);
		goto out;
	}
	how = saba_idfile_read(conf->root, &id, err, sizeof(err));
	if (how < 0) {
		saba_err("%s", err);
		goto out;
	}
	if (how > 0) {
		saba_err("this host is not registered: no host id in %s/id", conf->root);
		goto out;
	}
	if (!o->force && !o->dry_run) {
		if (!isatty(STDIN_FILENO)) {
			saba_err(
				"refusing to retire host %s without --force: standard input is not "
				"a terminal",
				id);
			goto out;
		}
		if (!saba_confirm_tty(id)) {
			saba_err("retirement cancelled");
			goto out;
		}
	}
	saba_runtime_set_host_id(&rt, id);
	rt.retire = saba_retire_new();
	how = saba_retire_run(&rt, "command line", &req);
	rc = (how == SABA_RETIRE_DONE || how == SABA_RETIRE_DRY_RUN) ? 0 : 1;
out:
	free(id);
	saba_lock_release(lock_fd);
	saba_retire_free(rt.retire);
	saba_conf_free(conf);
	saba_runtime_destroy(&rt);
	return rc;
}

int saba_cmd_configtest(const struct saba_options *o)
{
	struct saba_runtime rt = {0};
	struct saba_instances set = {0};
	struct saba_conf *conf = NULL;
	int rc = 2;

	saba_runtime_init(&rt);
	if (saba_conf_load(o->config, &o->ov, &conf) > 0)
		goto out;
	saba_conf_apply_log_level(conf);
	rt.conf = conf;
	rt.dry_run = 1;
	rt.command = "configtest";
	if (saba_instances_create(&rt, conf, &set) > 0)
		goto out;
	if (!saba_conf_has_apikey(conf))
		fprintf(stderr, "%s: warning: no apikey; `run` and `retire` need one\n",
			conf->file);
	printf("OK: %s\n", conf->file);
	rc = 0;
out:
	saba_instances_destroy(&set);
	saba_conf_free(conf);
	saba_runtime_destroy(&rt);
	return rc;
}

int saba_cmd_has_apikey(const struct saba_options *o)
{
	struct saba_conf *conf = NULL;
	int rc = 0;

	/* A config with problems is no evidence that the key is missing:
	 * `run` must get to say what is wrong (and fail loudly). */
	if (saba_conf_load(o->config, &o->ov, &conf) > 0)
		return 0;
	if (saba_conf_apikey(conf) == NULL)
		rc = 1;
	saba_conf_free(conf);
	return rc;
}

/* Instances of the config using module `name`, comma-separated. */
static void saba_enabled_by(const struct saba_conf *c, const char *name, char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (int i = 0; c != NULL && i < c->ninstances; i++)
		if (strcmp(c->instances[i].module, name) == 0)
			used += (size_t)snprintf(buf + used, used < len ? len - used : 0, "%s%s",
						 used ? "," : "", c->instances[i].name);
	if (used == 0)
		snprintf(buf, len, c != NULL ? "no" : "?");
}

static int saba_name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The module names (file names less the suffix) in dir, sorted; -1 when
 * dir cannot be read.  (scandir is not on Windows.) */
static int saba_module_names(const char *dir, char ***out)
{
	size_t sl = strlen(SABA_MODULE_SUFFIX);
	DIR *d = opendir(dir);
	struct dirent *e;
	char **v = NULL;
	int n = 0;

	*out = NULL;
	if (d == NULL)
		return -1;
	while ((e = readdir(d)) != NULL) {
		size_t len = strlen(e->d_name);

		if (len <= sl || strcmp(e->d_name + len - sl, SABA_MODULE_SUFFIX) != 0)
			continue;
		v = saba_realloc(v, (size_t)(n + 1) * sizeof(*v));
		v[n] = saba_strdup(e->d_name);
		v[n++][len - sl] = '\0';
	}
	closedir(d);
	if (n > 0)
		qsort(v, (size_t)n, sizeof(*v), saba_name_cmp);
	*out = v;
	return n;
}

/* One plugin in full: what it is, and each setting with what it allows,
 * its default and its description. */
static void saba_plugin_details(const struct saba_module *m)
{
	const struct saba_plugin *d = &m->desc;
	char what[1024];

	printf("\n%s %s (plugin ABI %u.%u): %s\n", m->name, d->version != NULL ? d->version : "",
	       (unsigned)d->abi_major, (unsigned)d->abi_minor,
	       d->description != NULL ? d->description : "");
	if (m->settings.v[0].name == NULL)
		printf("  (no settings)\n");
	for (const struct saba_setting *k = m->settings.v; k->name != NULL; k++) {
		saba_settings_describe(k, what, sizeof(what));
		printf("  %-24s %s\n", k->name, what);
		if (k->description != NULL)
			printf("  %-24s %s\n", "", k->description);
	}
}

/* `plugins NAME...`: each named plugin in full. */
static int saba_plugins_named(const char *dir, char **names, int n)
{
	char err[1024];
	int rc = 0;

	for (int i = 0; i < n; i++) {
		struct saba_module *m = saba_module_open(dir, names[i], err, sizeof(err));

		if (m == NULL) {
			saba_err("%s", err);
			rc = 1;
			continue;
		}
		saba_plugin_details(m);
		saba_module_close(m);
	}
	return rc;
}

int saba_cmd_plugins(const struct saba_options *o)
{
	struct saba_conf *conf = NULL;
	char **names = NULL;
	const char *dir;
	int n = 0, rc = 0;

	/* Listing works without a usable config; "enabled" then says "?". */
	if (access(o->config, R_OK) == 0 && saba_conf_load(o->config, &o->ov, &conf) > 0)
		fprintf(stderr, "%s: not usable; cannot tell which plugins it enables\n",
			o->config);
	dir = conf != NULL		 ? conf->plugin_dir
	      : o->ov.plugin_dir != NULL ? o->ov.plugin_dir
					 : SABA_PLUGINDIR;
	if (o->nnames > 0) {
		rc = saba_plugins_named(dir, o->names, o->nnames);
		goto out;
	}
	n = saba_module_names(dir, &names);
	if (n < 0) {
		saba_err("cannot list plugin directory %s: %s", dir, strerror(errno));
		rc = 1;
		goto out;
	}
	printf("%-14s %-28s %-5s %-9s %s\n", "NAME", "CAPABILITIES", "ABI", "ENABLED", "PATH");
	for (int i = 0; i < n; i++) {
		const char *name = names[i];
		char caps[128], enabled[256], err[1024];
		struct saba_module *m;

		saba_enabled_by(conf, name, enabled, sizeof(enabled));
		m = saba_module_open(dir, name, err, sizeof(err));
		if (m == NULL) {
			printf("%-14s %-28s %-5s %-9s %s\n", name, "unusable", "-", enabled, err);
			continue;
		}
		saba_module_caps(&m->desc, caps, sizeof(caps));
		printf("%-14s %-28s %u.%-3u %-9s %s\n", name, caps, (unsigned)m->desc.abi_major,
		       (unsigned)m->desc.abi_minor, enabled, m->path);
		saba_module_close(m);
	}
	/* -v: then each in full */
	if (o->verbose && n > 0)
		rc = saba_plugins_named(dir, names, n);
out:
	for (int i = 0; i < n; i++)
		free(names[i]);
	free(names);
	saba_conf_free(conf);
	return rc;
}

int saba_cmd_version(void)
{
	printf("saba-agent %s\n", PACKAGE_VERSION);
	printf("plugin ABI %d.%d\n", SABA_PLUGIN_ABI_MAJOR, SABA_PLUGIN_ABI_MINOR);
	printf("libcurl %s\n", saba_http_version());
	printf("jansson %s\n", jansson_version_str());
	printf("libconfig %d.%d.%d\n", LIBCONFIG_VER_MAJOR, LIBCONFIG_VER_MINOR,
	       LIBCONFIG_VER_REVISION);
	return 0;
}
