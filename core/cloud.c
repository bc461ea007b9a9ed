#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cloud.h"
#include "conf.h"
#include "loader.h"
#include "util.h"

/* The cloud identity plugins: module, cloud_platform's name for it, and
 * whether "auto" adds it: only a plugin that can tell its cloud from DMI
 * alone (ec2's probe_without_dmi = false), so that off a cloud, and in a
 * container without DMI, nothing asks a metadata service. */
static const struct {
	const char *module, *platform;
	int in_auto;
} saba_clouds[] = {
	{"ec2", "ec2", 1},
	{"gce", "gce", 0},
	{"azure", "azurevm", 0},
};

#define SABA_NCLOUDS (sizeof(saba_clouds) / sizeof(saba_clouds[0]))

static int saba_cloud_installed(const char *dir, const char *module)
{
	char *path = saba_asprintf("%s" SABA_DIRSEP "%s" SABA_MODULE_SUFFIX, dir, module);
	struct stat st;
	int ok = stat(path, &st) == 0 && S_ISREG(st.st_mode);

	free(path);
	return ok;
}

static int saba_cloud_module(const char *module)
{
	for (size_t i = 0; i < SABA_NCLOUDS; i++)
		if (strcmp(saba_clouds[i].module, module) == 0)
			return 1;
	return 0;
}

static int saba_name_taken(const struct saba_conf *c, const char *name)
{
	for (int i = 0; i < c->ninstances; i++)
		if (strcmp(c->instances[i].name, name) == 0)
			return 1;
	return 0;
}

static void saba_set(config_setting_t *g, const char *key, int type, const char *s, int b)
{
	config_setting_t *v = config_setting_add(g, key, type);

	if (type == CONFIG_TYPE_STRING)
		config_setting_set_string(v, s);
	else if (type == CONFIG_TYPE_BOOL)
		config_setting_set_bool(v, b);
	else
		config_setting_set_int(v, b);
}

/* An instance of module with identity-only settings; platform is the
 * cloud_platform it gets ("auto" or its own name). */
static void saba_cloud_add(struct saba_conf *c, config_setting_t *plugins, const char *module,
			   const char *platform, int line)
{
	char *name = saba_name_taken(c, module) ? saba_asprintf("cloud-%s", module)
						: saba_strdup(module);
	config_setting_t *g = config_setting_add(plugins, name, CONFIG_TYPE_GROUP);
	struct saba_instance_conf *ic;

	if (g == NULL) { /* a name libconfig refuses: cannot happen with ours */
		free(name);
		return;
	}
	saba_set(g, "module", CONFIG_TYPE_STRING, module, 0);
	saba_set(g, "cloud_platform", CONFIG_TYPE_STRING, platform, 0);
	saba_set(g, "poll_interval", CONFIG_TYPE_INT, NULL, 0);
	saba_set(g, "confirm", CONFIG_TYPE_BOOL, NULL, 0);
	saba_set(g, "probe_without_dmi", CONFIG_TYPE_BOOL, NULL, 0);
	/* Off its cloud (by DMI) "auto"'s instance leaves at create(), and
	 * takes its libraries with it. */
	if (strcmp(platform, "auto") == 0)
		saba_set(g, "leave_off_cloud", CONFIG_TYPE_BOOL, NULL, 1);
	c->instances = saba_realloc(c->instances, (size_t)(c->ninstances + 2) * sizeof(*ic));
	ic = &c->instances[c->ninstances++];
	memset(ic, 0, sizeof(*ic));
	ic->name = name;
	ic->module = saba_strdup(module);
	ic->setting = g;
	ic->line = line;
	ic->implicit = 1;
	ic->optional = strcmp(platform, "auto") == 0;
}

int saba_cloud_defaults(struct saba_conf *c, config_setting_t *setting)
{
	const char *platform = "auto";
	config_setting_t *root = config_root_setting(&c->cfg), *plugins;
	int line = setting != NULL ? (int)config_setting_source_line(setting) : 0, want = -1;

	if (setting != NULL && config_setting_type(setting) != CONFIG_TYPE_STRING) {
		saba_conf_problem(c->file, line, "\"cloud_platform\" must be a string");
		return 1;
	}
	if (setting != NULL)
		platform = config_setting_get_string(setting);
	for (size_t i = 0; i < SABA_NCLOUDS; i++)
		if (strcmp(platform, saba_clouds[i].platform) == 0)
			want = (int)i;
	if (want < 0 && strcmp(platform, "auto") != 0 && strcmp(platform, "none") != 0) {
		saba_conf_problem(c->file, line,
				  "cloud_platform must be \"auto\", \"none\", \"ec2\", \"gce\" or "
				  "\"azurevm\", not \"%s\"",
				  platform);
		return 1;
	}
	if (strcmp(platform, "none") == 0)
		return 0;
	/* A cloud plugin the config names is set up as the config says. */
	for (int i = 0; i < c->ninstances; i++)
		if (saba_cloud_module(c->instances[i].module))
			return 0;
	if (want >= 0 && !saba_cloud_installed(c->plugin_dir, saba_clouds[want].module)) {
		saba_conf_problem(c->file, line,
				  "cloud_platform = \"%s\" needs the %s plugin, which is not in %s",
				  platform, saba_clouds[want].module, c->plugin_dir);
		return 1;
	}
	plugins = config_setting_get_member(root, "plugins");
	if (plugins == NULL)
		plugins = config_setting_add(root, "plugins", CONFIG_TYPE_GROUP);
	if (plugins == NULL || config_setting_type(plugins) != CONFIG_TYPE_GROUP)
		return 0; /* "plugins" of the wrong type: reported already */
	for (size_t i = 0; i < SABA_NCLOUDS; i++) {
		if (want >= 0 && (size_t)want != i)
			continue;
		if (want < 0 && (!saba_clouds[i].in_auto ||
				 !saba_cloud_installed(c->plugin_dir, saba_clouds[i].module)))
			continue;
		saba_cloud_add(c, plugins, saba_clouds[i].module, platform, line);
	}
	return 0;
}
