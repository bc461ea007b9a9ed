#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cloud.h"
#include "conf.h"
#include "util.h"

#define SABA_DEFAULT_APIBASE "https://api.mackerelio.com"

void saba_conf_problem(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	if (line > 0)
		fprintf(stderr, "%s:%d: ", file, line);
	else
		fprintf(stderr, "%s: ", file);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* Problems are counted in the loader's state so every one gets printed. */
struct saba_conf_loader {
	struct saba_conf *c;
	int problems;
};

static void saba_bad(struct saba_conf_loader *l, const config_setting_t *s, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void saba_bad(struct saba_conf_loader *l, const config_setting_t *s, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	saba_conf_problem(l->c->file, s != NULL ? (int)config_setting_source_line(s) : 0, "%s",
			  msg);
	l->problems++;
}

static const char *const saba_top_keys[] = {
	"apikey",	"apikey_file", "apibase",      "root",		 "plugin_dir", "interval",
	"display_name", "roles",       "host_status",  "retire",	 "http",       "queue",
	"shutdown",	"plugins",     "registration", "cloud_platform", NULL,
};

static int saba_key_known(const char *const *keys, const char *name)
{
	for (; *keys != NULL; keys++)
		if (strcmp(*keys, name) == 0)
			return 1;
	return 0;
}

/* Reject keys of a group that are not in keys[]. */
static void saba_check_keys(struct saba_conf_loader *l, const config_setting_t *group,
			    const char *const *keys, const char *where)
{
	int i, n = config_setting_length(group);

	for (i = 0; i < n; i++) {
		config_setting_t *s = config_setting_get_elem(group, (unsigned)i);

		if (!saba_key_known(keys, config_setting_name(s)))
			saba_bad(l, s, "unknown setting \"%s\"%s%s", config_setting_name(s),
				 where != NULL ? " in " : "", where != NULL ? where : "");
	}
}

static void saba_get_string(struct saba_conf_loader *l, const config_setting_t *parent,
			    const char *key, char **out, const char *def)
{
	config_setting_t *s = config_setting_get_member(parent, key);

	if (s == NULL) {
		*out = def != NULL ? saba_strdup(def) : NULL;
		return;
	}
	if (config_setting_type(s) != CONFIG_TYPE_STRING) {
		saba_bad(l, s, "\"%s\" must be a string", key);
		*out = def != NULL ? saba_strdup(def) : NULL;
		return;
	}
	*out = saba_strdup(config_setting_get_string(s));
}

static void saba_get_int(struct saba_conf_loader *l, const config_setting_t *parent,
			 const char *key, int *out, int def, int min, int max)
{
	config_setting_t *s = config_setting_get_member(parent, key);
	long long v;

	*out = def;
	if (s == NULL)
		return;
	if (config_setting_type(s) != CONFIG_TYPE_INT &&
	    config_setting_type(s) != CONFIG_TYPE_INT64) {
		saba_bad(l, s, "\"%s\" must be an integer", key);
		return;
	}
	v = config_setting_get_int64(s);
	if (v < min || v > max) {
		saba_bad(l, s, "\"%s\" = %lld is out of range (%d..%d)", key, v, min, max);
		return;
	}
	*out = (int)v;
}

/* One of choices[] (NULL-terminated), as its index; def when absent or
 * wrong (the problem names every choice). */
static int saba_get_choice(struct saba_conf_loader *l, const config_setting_t *parent,
			   const char *where, const char *key, const char *const *choices, int def)
{
	config_setting_t *s = config_setting_get_member(parent, key);
	const char *v = s != NULL ? config_setting_get_string(s) : NULL;
	char list[256] = "";
	int i;

	if (s == NULL)
		return def;
	for (i = 0; v != NULL && choices[i] != NULL; i++)
		if (strcmp(v, choices[i]) == 0)
			return i;
	for (i = 0; choices[i] != NULL; i++)
		snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s\"%s\"",
			 i == 0			  ? ""
			 : choices[i + 1] == NULL ? " or "
						  : ", ",
			 choices[i]);
	saba_bad(l, s, "%s.%s must be %s", where, key, list);
	return def;
}

static config_setting_t *saba_get_group(struct saba_conf_loader *l, const config_setting_t *parent,
					const char *key)
{
	config_setting_t *s = config_setting_get_member(parent, key);

	if (s != NULL && config_setting_type(s) != CONFIG_TYPE_GROUP) {
		saba_bad(l, s, "\"%s\" must be a group { ... }", key);
		return NULL;
	}
	return s;
}

static void saba_load_roles(struct saba_conf_loader *l, const config_setting_t *root)
{
	config_setting_t *s = config_setting_get_member(root, "roles");
	int i, n;

	if (s == NULL)
		return;
	if (!config_setting_is_array(s) && !config_setting_is_list(s)) {
		saba_bad(l, s, "\"roles\" must be a list of \"Service:role\" strings");
		return;
	}
	n = config_setting_length(s);
	l->c->roles = saba_calloc((size_t)n + 1, sizeof(char *));
	for (i = 0; i < n; i++) {
		config_setting_t *e = config_setting_get_elem(s, (unsigned)i);
		const char *v = config_setting_get_string(e);
		const char *colon = v != NULL ? strchr(v, ':') : NULL;

		if (v == NULL || colon == NULL || colon == v || colon[1] == '\0') {
			saba_bad(l, e, "role must be a \"Service:role\" string");
			continue;
		}
		l->c->roles[l->c->nroles++] = saba_strdup(v);
	}
}

static int saba_valid_status(const char *s)
{
	return s == NULL || strcmp(s, "working") == 0 || strcmp(s, "standby") == 0 ||
	       strcmp(s, "maintenance") == 0 || strcmp(s, "poweroff") == 0;
}

static void saba_load_sections(struct saba_conf_loader *l, const config_setting_t *root)
{
	static const char *const status_keys[] = {"on_start", "on_stop", NULL};
	static const char *const retire_keys[] = {"timeout", "confirm", NULL};
	static const char *const http_keys[] = {"timeout", "proxy", "ca_file", NULL};
	static const char *const queue_keys[] = {"max_age", NULL};
	static const char *const shutdown_keys[] = {"timeout", NULL};
	static const char *const registration_keys[] = {"token", NULL};
	/* In the order of enum saba_confirm_policy and enum saba_token. */
	static const char *const confirm_choices[] = {"auto", "always", "never", NULL};
	static const char *const token_choices[] = {"custom_identifier", "meta", "none", NULL};
	struct saba_conf *c = l->c;
	config_setting_t *g;

	if ((g = saba_get_group(l, root, "host_status")) != NULL) {
		saba_check_keys(l, g, status_keys, "host_status");
		saba_get_string(l, g, "on_start", &c->on_start, NULL);
		saba_get_string(l, g, "on_stop", &c->on_stop, NULL);
		if (!saba_valid_status(c->on_start))
			saba_bad(l, config_setting_get_member(g, "on_start"),
				 "on_start must be working, standby, maintenance or poweroff");
		if (!saba_valid_status(c->on_stop))
			saba_bad(l, config_setting_get_member(g, "on_stop"),
				 "on_stop must be working, standby, maintenance or poweroff");
	}
	c->retire_timeout = 20;
	if ((g = saba_get_group(l, root, "retire")) != NULL) {
		saba_check_keys(l, g, retire_keys, "retire");
		saba_get_int(l, g, "timeout", &c->retire_timeout, 20, 1, 600);
		c->retire_confirm = saba_get_choice(l, g, "retire", "confirm", confirm_choices,
						    SABA_CONFIRM_AUTO);
	}
	c->registration_token = SABA_TOKEN_CUSTOM_IDENTIFIER;
	if ((g = saba_get_group(l, root, "registration")) != NULL) {
		saba_check_keys(l, g, registration_keys, "registration");
		c->registration_token = saba_get_choice(
			l, g, "registration", "token", token_choices, SABA_TOKEN_CUSTOM_IDENTIFIER);
	}
	c->http_timeout = 10;
	if ((g = saba_get_group(l, root, "http")) != NULL) {
		saba_check_keys(l, g, http_keys, "http");
		saba_get_int(l, g, "timeout", &c->http_timeout, 10, 1, 300);
		saba_get_string(l, g, "proxy", &c->http_proxy, NULL);
		saba_get_string(l, g, "ca_file", &c->http_ca_file, NULL);
	}
	c->queue_max_age = 6 * 3600;
	if ((g = saba_get_group(l, root, "queue")) != NULL) {
		saba_check_keys(l, g, queue_keys, "queue");
		saba_get_int(l, g, "max_age", &c->queue_max_age, 6 * 3600, 60, 7 * 24 * 3600);
	}
	c->shutdown_timeout = 10;
	if ((g = saba_get_group(l, root, "shutdown")) != NULL) {
		saba_check_keys(l, g, shutdown_keys, "shutdown");
		saba_get_int(l, g, "timeout", &c->shutdown_timeout, 10, 1, 300);
	}
}

static int saba_valid_name(const char *s)
{
	if (*s == '\0')
		return 0;
	for (; *s != '\0'; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '_' || *s == '-'))
			return 0;
	return 1;
}

static void saba_load_plugins(struct saba_conf_loader *l, const config_setting_t *root)
{
	config_setting_t *g = saba_get_group(l, root, "plugins");
	int i, n;

	if (g == NULL)
		return;
	n = config_setting_length(g);
	l->c->instances = saba_calloc((size_t)n + 1, sizeof(struct saba_instance_conf));
	for (i = 0; i < n; i++) {
		config_setting_t *s = config_setting_get_elem(g, (unsigned)i);
		struct saba_instance_conf *ic;
		char *module = NULL;

		if (config_setting_type(s) != CONFIG_TYPE_GROUP) {
			saba_bad(l, s, "plugin instance \"%s\" must be a group { ... }",
				 config_setting_name(s));
			continue;
		}
		saba_get_string(l, s, "module", &module, config_setting_name(s));
		if (!saba_valid_name(module)) {
			saba_bad(l, s,
				 "plugin module name \"%s\" may use only letters, digits, _ and -",
				 module);
			free(module);
			continue;
		}
		ic = &l->c->instances[l->c->ninstances++];
		ic->name = saba_strdup(config_setting_name(s));
		ic->module = module;
		ic->setting = s;
		ic->line = (int)config_setting_source_line(s);
	}
}

int saba_conf_load(const char *file, const struct saba_conf_overrides *ov, struct saba_conf **out)
{
	struct saba_conf *c = saba_calloc(1, sizeof(*c));
	struct saba_conf_loader l = {.c = c, .problems = 0};
	config_setting_t *root;
	int i, n;

	c->file = saba_strdup(file);
	config_init(&c->cfg);
	if (config_read_file(&c->cfg, file) != CONFIG_TRUE) {
		if (config_error_type(&c->cfg) == CONFIG_ERR_FILE_IO)
			saba_conf_problem(file, 0, "cannot read: %s", strerror(errno));
		else
			saba_conf_problem(
				config_error_file(&c->cfg) ? config_error_file(&c->cfg) : file,
				config_error_line(&c->cfg), "%s", config_error_text(&c->cfg));
		l.problems++;
		goto out;
	}
	root = config_root_setting(&c->cfg);
	n = config_setting_length(root);
	for (i = 0; i < n; i++) {
		config_setting_t *s = config_setting_get_elem(root, (unsigned)i);

		if (!saba_key_known(saba_top_keys, config_setting_name(s)))
			saba_bad(&l, s, "unknown setting \"%s\"", config_setting_name(s));
	}
	saba_get_string(&l, root, "apikey", &c->apikey, NULL);
	if (c->apikey == NULL) {
		char *path = NULL;

		saba_get_string(&l, root, "apikey_file", &path, NULL);
		if (path != NULL) {
			c->apikey = saba_read_file(path, 4096, NULL);
			if (c->apikey == NULL)
				saba_bad(&l, config_setting_get_member(root, "apikey_file"),
					 "cannot read apikey_file %s: %s", path, strerror(errno));
			else
				saba_rstrip(c->apikey);
			free(path);
		}
	}
	saba_get_string(&l, root, "apibase", &c->apibase, SABA_DEFAULT_APIBASE);
	if (strncmp(c->apibase, "https://", 8) != 0 && strncmp(c->apibase, "http://", 7) != 0)
		saba_bad(&l, config_setting_get_member(root, "apibase"),
			 "apibase must start with https:// or http://");
#ifdef _WIN32
	{
		/* As upstream: beside the executable (id in its directory). */
		char *dir = saba_win_exe_path(""), *plugins = saba_win_exe_path("plugins");

		dir[strlen(dir) - 1] = '\0'; /* no trailing backslash */
		saba_get_string(&l, root, "root", &c->root, dir);
		saba_get_string(&l, root, "plugin_dir", &c->plugin_dir, plugins);
		free(dir);
		free(plugins);
	}
#else
	saba_get_string(&l, root, "root", &c->root, SABA_STATEDIR);
	saba_get_string(&l, root, "plugin_dir", &c->plugin_dir, SABA_PLUGINDIR);
#endif
	saba_get_int(&l, root, "interval", &c->interval, 60, 1, 3600);
	saba_get_string(&l, root, "display_name", &c->display_name, NULL);
	saba_load_roles(&l, root);
	saba_load_sections(&l, root);
	saba_load_plugins(&l, root);
	if (ov != NULL && ov->root != NULL) {
		free(c->root);
		c->root = saba_strdup(ov->root);
	}
	if (ov != NULL && ov->plugin_dir != NULL) {
		free(c->plugin_dir);
		c->plugin_dir = saba_strdup(ov->plugin_dir);
	}
	if (l.problems == 0)
		l.problems +=
			saba_cloud_defaults(c, config_setting_get_member(root, "cloud_platform"));
out:
	if (l.problems > 0) {
		saba_conf_free(c);
		c = NULL;
	}
	*out = c;
	return l.problems;
}

const char *saba_conf_apikey(struct saba_conf *c)
{
	const char *env = getenv("SABA_AGENT_APIKEY");

	if (env != NULL && *env != '\0')
		return env;
	if (c->apikey != NULL && *c->apikey != '\0')
		return c->apikey;
	saba_conf_problem(c->file, 0,
			  "no API key: set apikey or apikey_file, or SABA_AGENT_APIKEY in the "
			  "environment");
	return NULL;
}

void saba_conf_free(struct saba_conf *c)
{
	int i;

	if (c == NULL)
		return;
	for (i = 0; i < c->ninstances; i++) {
		free(c->instances[i].name);
		free(c->instances[i].module);
	}
	free(c->instances);
	for (i = 0; i < c->nroles; i++)
		free(c->roles[i]);
	free(c->roles);
	free(c->file);
	free(c->apikey);
	free(c->apibase);
	free(c->root);
	free(c->plugin_dir);
	free(c->display_name);
	free(c->on_start);
	free(c->on_stop);
	free(c->http_proxy);
	free(c->http_ca_file);
	config_destroy(&c->cfg);
	free(c);
}
