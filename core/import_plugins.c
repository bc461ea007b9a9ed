#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "import_plugins.h"
#include "util.h"

#define SABA_IMP_MAX_TIMEOUT 3600 /* the exec and check plugins' limit */

static const char *const saba_imp_kinds[SABA_IMP_KINDS] = {"metrics", "checks", "metadata"};
static const char *const saba_imp_modules[SABA_IMP_KINDS] = {"exec", "check", "metadata"};

/* The keys of a plugin (config.PluginConfig) and where each applies. */
enum {
	K_COMMAND,
	K_USER,
	K_ENV,
	K_TIMEOUT,
	K_CUSTOM_IDENTIFIER,
	K_INCLUDE_PATTERN,
	K_EXCLUDE_PATTERN,
	K_USE_PLUGIN_TIMESTAMP,
	K_NOTIFICATION_INTERVAL,
	K_CHECK_INTERVAL,
	K_MAX_CHECK_ATTEMPTS,
	K_PREVENT_ALERT_AUTO_CLOSE,
	K_MEMO,
	K_ACTION,
	K_EXECUTION_INTERVAL,
	K_N
};

#define ALL  7
#define MET  (1 << SABA_IMP_METRICS)
#define CHK  (1 << SABA_IMP_CHECKS)
#define META (1 << SABA_IMP_METADATA)

static const struct {
	const char *name;
	int kinds;
} saba_imp_keys[K_N] = {
	[K_COMMAND] = {"command", ALL},
	[K_USER] = {"user", ALL},
	[K_ENV] = {"env", ALL},
	[K_TIMEOUT] = {"timeout_seconds", ALL},
	[K_CUSTOM_IDENTIFIER] = {"custom_identifier", MET | CHK},
	[K_INCLUDE_PATTERN] = {"include_pattern", MET},
	[K_EXCLUDE_PATTERN] = {"exclude_pattern", MET},
	[K_USE_PLUGIN_TIMESTAMP] = {"use_plugin_timestamp", MET},
	[K_NOTIFICATION_INTERVAL] = {"notification_interval", CHK},
	[K_CHECK_INTERVAL] = {"check_interval", CHK},
	[K_MAX_CHECK_ATTEMPTS] = {"max_check_attempts", CHK},
	[K_PREVENT_ALERT_AUTO_CLOSE] = {"prevent_alert_auto_close", CHK},
	[K_MEMO] = {"memo", CHK},
	[K_ACTION] = {"action", CHK},
	[K_EXECUTION_INTERVAL] = {"execution_interval", META},
};

/* What every command a plugin runs inherited from mackerel-agent's own
 * environment: the proxies it exported and its service's variables. */
struct saba_imp_extra {
	const char *http_proxy, *https_proxy;
	const struct saba_imp_service *svc;
};

/* ------------------------------------------------------------------ */
/* instance names */

struct saba_imp_names {
	char **v;
	size_t n;
};

static int saba_imp_taken(const struct saba_imp_names *ns, const char *name)
{
	for (size_t i = 0; i < ns->n; i++)
		if (strcmp(ns->v[i], name) == 0)
			return 1;
	return 0;
}

/* name as a libconfig setting name: [A-Za-z][-A-Za-z0-9_]*. */
static char *saba_imp_sanitize(const char *name)
{
	char *s;

	if (*name == '\0')
		return saba_strdup("plugin");
	s = (*name >= 'a' && *name <= 'z') || (*name >= 'A' && *name <= 'Z')
		    ? saba_strdup(name)
		    : saba_asprintf("plugin-%s", name);
	for (char *p = s; *p != '\0'; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '_' || *p == '-'))
			*p = '_';
	return s;
}

/* Reserve base, else base-suffix, else base-suffix-2, ...; the name kept. */
static const char *saba_imp_reserve(struct saba_imp_names *ns, const char *base, const char *suffix)
{
	char *name = saba_strdup(base);

	for (int i = 1; saba_imp_taken(ns, name); i++) {
		free(name);
		if (suffix != NULL && i == 1)
			name = saba_asprintf("%s-%s", base, suffix);
		else if (suffix != NULL)
			name = saba_asprintf("%s-%s-%d", base, suffix, i);
		else
			name = saba_asprintf("%s-%d", base, i + 1);
	}
	ns->v = saba_realloc(ns->v, (ns->n + 1) * sizeof(*ns->v));
	ns->v[ns->n++] = name;
	return name;
}

static void saba_imp_names_free(struct saba_imp_names *ns)
{
	for (size_t i = 0; i < ns->n; i++)
		free(ns->v[i]);
	free(ns->v);
}

/* ------------------------------------------------------------------ */
/* the settings of a command */

/* The member of table t that matches key (the last one, as decoded). */
static const struct saba_toml *saba_imp_member(const struct saba_toml *t, const char *key)
{
	const struct saba_toml *found = NULL;

	for (size_t i = 0; i < t->n; i++)
		if (saba_imp_key_is(t->kids[i]->key, key))
			found = t->kids[i];
	return found;
}

/* command = "..." | [ "...", ... ]; 0, or -1 after reporting. */
static int saba_imp_command(struct saba_imp *m, config_setting_t *group, config_setting_t *inst,
			    const struct saba_toml *v, const struct saba_toml *owner,
			    const char *path)
{
	config_setting_t *list;
	const char *s;

	if (v == NULL) {
		saba_imp_lost(m, group, owner,
			      "%s has no command (mackerel-agent refuses a plugin without one)",
			      path);
		return -1;
	}
	if (v->type == SABA_TOML_STRING) {
		if (saba_imp_string(m, group, v, "command", &s) != 0)
			return -1;
		if (*s == '\0') {
			saba_imp_lost(m, group, v, "%s: the command is empty", path);
			return -1;
		}
		if (inst != NULL)
			saba_imp_set_string(inst, "command", s);
		return 0;
	}
	if (v->type != SABA_TOML_ARRAY || v->n == 0) {
		saba_imp_lost(
			m, group, v,
			"%s: command must be a string or a non-empty array of strings, not %s",
			path,
			v->type == SABA_TOML_ARRAY ? "an empty array"
						   : saba_imp_type_name(v->type));
		return -1;
	}
	for (size_t i = 0; i < v->n; i++)
		if (saba_imp_string(m, group, v->kids[i], "command[]", &s) != 0)
			return -1;
	if (*v->kids[0]->text == '\0') {
		saba_imp_lost(m, group, v, "%s: the program name (command[0]) is empty", path);
		return -1;
	}
	if (inst != NULL) {
		list = config_setting_add(inst, "command", CONFIG_TYPE_ARRAY);
		for (size_t i = 0; i < v->n; i++)
			config_setting_set_string_elem(list, -1, v->kids[i]->text);
	}
	return 0;
}

static int saba_imp_env_has(config_setting_t *env, const char *name)
{
	return env != NULL && config_setting_get_member(env, name) != NULL;
}

static void saba_imp_env_add(config_setting_t *inst, config_setting_t **env, const char *key,
			     const char *name, const char *value)
{
	if (*env == NULL)
		*env = config_setting_add(inst, key, CONFIG_TYPE_GROUP);
	saba_imp_set_string(*env, name, value);
}

/* env = { NAME = "value"; } as upstream reads it (names trimmed of spaces,
 * empty ones skipped, '=' refused), then what the command inherited; key
 * is the group's name in inst. */
static void saba_imp_env(struct saba_imp *m, config_setting_t *group, config_setting_t *inst,
			 const char *key, const struct saba_toml *v, const char *path,
			 const struct saba_imp_extra *x)
{
	config_setting_t *env = NULL;

	if (v != NULL && v->type != SABA_TOML_TABLE) {
		saba_imp_lost(m, group, v, "%s.env must be a table of strings, not %s", path,
			      saba_imp_type_name(v->type));
		v = NULL;
	}
	for (size_t i = 0; v != NULL && i < v->n; i++) {
		const struct saba_toml *e = v->kids[i];
		const char *value;
		char *name = saba_strdup(e->key), *p = name, *end;

		while (*p == ' ')
			p++;
		for (end = p + strlen(p); end > p && end[-1] == ' '; end--)
			end[-1] = '\0';
		if (saba_imp_string(m, group, e, "env value", &value) != 0) {
			/* reported */
		} else if (*p == '\0') {
			saba_imp_remark(m, group, e,
					"an env entry with an empty name is skipped (by "
					"mackerel-agent too)");
		} else if (strchr(p, '=') != NULL) {
			saba_imp_lost(
				m, group, e,
				"%s.env: the name \"%s\" contains '=' (mackerel-agent refuses "
				"it)",
				path, p);
		} else if (!saba_imp_name_ok(p) || strchr(p, '*') != NULL) {
			saba_imp_lost(
				m, group, e,
				"%s.env: \"%s\" cannot be a setting name in a saba-agent config "
				"(a letter first, then letters, digits, '_' or '-')",
				path, p);
		} else if (saba_imp_env_has(env, p)) {
			config_setting_set_string(config_setting_get_member(env, p), value);
		} else {
			saba_imp_env_add(inst, &env, key, p, value);
		}
		free(name);
	}
	/* The plugin's own env wins over what it inherits, as upstream. */
	if (*x->http_proxy != '\0' && !saba_imp_env_has(env, "HTTP_PROXY"))
		saba_imp_env_add(inst, &env, key, "HTTP_PROXY", x->http_proxy);
	if (*x->https_proxy != '\0' && !saba_imp_env_has(env, "HTTPS_PROXY"))
		saba_imp_env_add(inst, &env, key, "HTTPS_PROXY", x->https_proxy);
	if (x->svc->workdir != NULL && !saba_imp_env_has(env, "MACKEREL_PLUGIN_WORKDIR"))
		saba_imp_env_add(inst, &env, key, "MACKEREL_PLUGIN_WORKDIR", x->svc->workdir);
	for (size_t i = 0; i < x->svc->nenv; i++) {
		const char *kv = x->svc->env[i], *eq = strchr(kv, '=');
		char *name = saba_asprintf("%.*s", (int)(eq - kv), kv);

		if (!saba_imp_env_has(env, name))
			saba_imp_env_add(inst, &env, key, name, eq + 1);
		free(name);
	}
}

/* timeout_seconds (0: the default, 30 s, left out), or 0 for none. */
static long long saba_imp_timeout(struct saba_imp *m, config_setting_t *group,
				  const struct saba_toml *v, const char *path)
{
	if (v == NULL)
		return 0;
	if (v->type != SABA_TOML_INT) {
		saba_imp_lost(m, group, v, "%s.timeout_seconds must be an integer, not %s", path,
			      saba_imp_type_name(v->type));
	} else if (v->i < 0) {
		saba_imp_lost(m, group, v, "%s.timeout_seconds = %lld is negative", path, v->i);
	} else if (v->i > SABA_IMP_MAX_TIMEOUT) {
		saba_imp_lost(m, group, v,
			      "%s.timeout_seconds = %lld: saba-agent allows at most %d seconds "
			      "(set to that)",
			      path, v->i, SABA_IMP_MAX_TIMEOUT);
		return SABA_IMP_MAX_TIMEOUT;
	} else {
		return v->i;
	}
	return 0;
}

static void saba_imp_user(struct saba_imp *m, config_setting_t *group, config_setting_t *inst,
			  const struct saba_toml *v)
{
	const char *s;

	if (v != NULL && saba_imp_string(m, group, v, "user", &s) == 0 && *s != '\0')
		saba_imp_set_string(inst, "user", s);
}

/* action = { command, user, env, timeout_seconds }: the check plugin's
 * action table, the same keys. */
static void saba_imp_action(struct saba_imp *m, config_setting_t *group, config_setting_t *inst,
			    const struct saba_toml *v, const char *path,
			    const struct saba_imp_extra *x)
{
	static const char *const keys[] = {"command", "user", "env", "timeout_seconds"};
	char *apath = saba_asprintf("%s.action", path);
	config_setting_t *a;
	const struct saba_toml *cmd;
	long long timeout;

	if (v->type != SABA_TOML_TABLE) {
		saba_imp_lost(m, group, v, "%s must be a table, not %s", apath,
			      saba_imp_type_name(v->type));
		goto out;
	}
	for (size_t i = 0; i < v->n; i++) {
		int known = 0;

		for (size_t j = 0; j < sizeof(keys) / sizeof(keys[0]); j++)
			known |= saba_imp_key_is(v->kids[i]->key, keys[j]);
		if (!known) {
			char *kp = saba_imp_path(apath, v->kids[i]->key);

			saba_imp_lost(m, group, v->kids[i],
				      "%s is not a mackerel-agent setting (it ignores it too)", kp);
			free(kp);
		}
	}
	cmd = saba_imp_member(v, "command");
	if (cmd == NULL) {
		saba_imp_remark(m, group, v,
				"%s has no command, so no action runs (as with mackerel-agent)",
				apath);
		goto out;
	}
	if (saba_imp_command(m, group, NULL, cmd, v, apath) != 0)
		goto out;
	a = config_setting_add(inst, "action", CONFIG_TYPE_GROUP);
	saba_imp_command(m, group, a, cmd, v, apath);
	saba_imp_user(m, group, a, saba_imp_member(v, "user"));
	saba_imp_env(m, group, a, "env", saba_imp_member(v, "env"), apath, x);
	timeout = saba_imp_timeout(m, group, saba_imp_member(v, "timeout_seconds"), apath);
	if (timeout > 0)
		saba_imp_set_int(a, "timeout_seconds", timeout);
out:
	free(apath);
}

/* ------------------------------------------------------------------ */
/* one [plugin.<kind>.<name>] */

static void saba_imp_check_settings(struct saba_imp *m, config_setting_t *group,
				    config_setting_t *inst, const struct saba_toml *const *k,
				    const char *path, const struct saba_imp_extra *x)
{
	static const int durations[] = {K_NOTIFICATION_INTERVAL, K_CHECK_INTERVAL};
	const char *s;
	long long minutes;

	for (size_t i = 0; i < 2; i++) {
		const struct saba_toml *v = k[durations[i]];
		char *p = v != NULL ? saba_imp_path(path, saba_imp_keys[durations[i]].name) : NULL;

		if (v != NULL && saba_imp_duration(m, group, v, p, &minutes) == 0)
			saba_imp_set_int(inst, saba_imp_keys[durations[i]].name, minutes);
		free(p);
	}
	if (k[K_MAX_CHECK_ATTEMPTS] != NULL) {
		const struct saba_toml *v = k[K_MAX_CHECK_ATTEMPTS];

		/* as written: the check plugin brings it into the API's range */
		if (v->type != SABA_TOML_INT || v->i < -2147483647LL - 1 || v->i > 2147483647LL)
			saba_imp_lost(
				m, group, v,
				"%s.max_check_attempts must be a 32-bit integer (mackerel-agent "
				"refuses it)",
				path);
		else
			saba_imp_set_int(inst, "max_check_attempts", v->i);
	}
	if (k[K_PREVENT_ALERT_AUTO_CLOSE] != NULL) {
		const struct saba_toml *v = k[K_PREVENT_ALERT_AUTO_CLOSE];

		if (v->type != SABA_TOML_BOOL)
			saba_imp_lost(m, group, v,
				      "%s.prevent_alert_auto_close must be true or false, not %s",
				      path, saba_imp_type_name(v->type));
		else if (v->b)
			saba_imp_set_bool(inst, "prevent_alert_auto_close", 1);
	}
	if (k[K_MEMO] != NULL && saba_imp_string(m, group, k[K_MEMO], "memo", &s) == 0 &&
	    *s != '\0')
		saba_imp_set_string(inst, "memo", s);
	if (k[K_ACTION] != NULL)
		saba_imp_action(m, group, inst, k[K_ACTION], path, x);
}

static void saba_imp_metric_settings(struct saba_imp *m, config_setting_t *group,
				     config_setting_t *inst, const struct saba_toml *const *k)
{
	const char *s;

	if (k[K_INCLUDE_PATTERN] != NULL &&
	    saba_imp_string(m, group, k[K_INCLUDE_PATTERN], "include_pattern", &s) == 0)
		saba_imp_set_string(inst, "include_pattern", s);
	if (k[K_EXCLUDE_PATTERN] != NULL &&
	    saba_imp_string(m, group, k[K_EXCLUDE_PATTERN], "exclude_pattern", &s) == 0)
		saba_imp_set_string(inst, "exclude_pattern", s);
	if (k[K_USE_PLUGIN_TIMESTAMP] != NULL) {
		const struct saba_toml *v = k[K_USE_PLUGIN_TIMESTAMP];

		if (v->type != SABA_TOML_BOOL)
			saba_imp_lost(m, group, v,
				      "use_plugin_timestamp must be true or false, not %s",
				      saba_imp_type_name(v->type));
		else if (v->b)
			saba_imp_set_bool(inst, "use_plugin_timestamp", 1);
	}
}

/* The keys of a plugin table, each the last definition of that key; other
 * keys are reported. */
static void saba_imp_plugin_keys(struct saba_imp *m, config_setting_t *group,
				 const struct saba_imp_plugin *p, const char *path,
				 const struct saba_toml **k)
{
	const struct saba_toml *t = p->node;

	for (size_t i = 0; i < t->n; i++) {
		const struct saba_toml *v = t->kids[i];
		int idx = -1;

		for (int j = 0; j < K_N && idx < 0; j++)
			if (strcmp(v->key, saba_imp_keys[j].name) == 0)
				idx = j;
		for (int j = 0; j < K_N && idx < 0; j++)
			if (saba_imp_key_is(v->key, saba_imp_keys[j].name))
				idx = j;
		if (idx < 0) {
			char *kp = saba_imp_path(path, v->key);

			saba_imp_lost(m, group, v,
				      "%s is not a mackerel-agent setting (it ignores it too)", kp);
			free(kp);
		} else if (!(saba_imp_keys[idx].kinds & (1 << p->kind))) {
			saba_imp_remark(m, group, v,
					"%s is ignored for %s plugins (by mackerel-agent "
					"too)",
					saba_imp_keys[idx].name, saba_imp_kinds[p->kind]);
		} else {
			k[idx] = v;
		}
	}
}

static void saba_imp_plugin(struct saba_imp *m, config_setting_t *plugins,
			    const struct saba_imp_plugin *p, const char *inst_name,
			    const struct saba_imp_extra *x)
{
	const struct saba_toml *k[K_N] = {0};
	char *kind_path = saba_asprintf("plugin.%s", saba_imp_kinds[p->kind]);
	char *path = saba_imp_path(kind_path, p->node->key);
	config_setting_t *inst;
	const char *s;
	long long minutes, timeout;

	saba_imp_plugin_keys(m, plugins, p, path, k);
	if (saba_imp_command(m, plugins, NULL, k[K_COMMAND], p->node, path) != 0)
		goto out;
	saba_imp_remark(m, plugins, p->node, "[%s]", path);
	inst = config_setting_add(plugins, inst_name, CONFIG_TYPE_GROUP);
	saba_imp_set_string(inst, "module", saba_imp_modules[p->kind]);
	if (p->kind == SABA_IMP_METADATA)
		saba_imp_set_string(inst, "namespace", p->node->key);
	saba_imp_command(m, plugins, inst, k[K_COMMAND], p->node, path);
	saba_imp_user(m, plugins, inst, k[K_USER]);
	saba_imp_env(m, plugins, inst, "env", k[K_ENV], path, x);
	timeout = saba_imp_timeout(m, plugins, k[K_TIMEOUT], path);
	if (timeout > 0)
		saba_imp_set_int(inst, "timeout_seconds", timeout);
	if (k[K_CUSTOM_IDENTIFIER] != NULL &&
	    saba_imp_string(m, plugins, k[K_CUSTOM_IDENTIFIER], "custom_identifier", &s) == 0) {
		if (*s != '\0')
			saba_imp_set_string(inst, "custom_identifier", s);
		else
			saba_imp_lost(
				m, plugins, k[K_CUSTOM_IDENTIFIER],
				"%s.custom_identifier is empty: mackerel-agent looked for a host "
				"with an empty customIdentifier (there is none) and dropped "
				"this plugin's results; saba-agent sends them for this host",
				path);
	}
	if (p->kind == SABA_IMP_METRICS)
		saba_imp_metric_settings(m, plugins, inst, k);
	if (p->kind == SABA_IMP_CHECKS)
		saba_imp_check_settings(m, plugins, inst, k, path, x);
	if (p->kind == SABA_IMP_METADATA && k[K_EXECUTION_INTERVAL] != NULL) {
		char *ip = saba_imp_path(path, "execution_interval");

		if (saba_imp_duration(m, plugins, k[K_EXECUTION_INTERVAL], ip, &minutes) == 0)
			saba_imp_set_int(inst, "execution_interval", minutes);
		free(ip);
	}
	/* exec sets MACKEREL_PLUGIN_WORKDIR itself, from workdir */
	s = NULL;
	if (p->kind == SABA_IMP_METRICS && config_setting_get_member(inst, "env") != NULL &&
	    config_setting_lookup_string(config_setting_get_member(inst, "env"),
					 "MACKEREL_PLUGIN_WORKDIR", &s) &&
	    s != NULL)
		saba_imp_set_string(inst, "workdir", s);
out:
	free(path);
	free(kind_path);
}

/* ------------------------------------------------------------------ */
/* the built-in metrics, cloud identity, diagnostic and the trigger */

/* A regexp of [disks], [filesystems] or [interfaces] as `ignore`. */
static void saba_imp_ignore(struct saba_imp *m, config_setting_t *plugins, config_setting_t *inst,
			    int section)
{
	const struct saba_toml *v = m->sub[section][0];
	char *text;

	if (v == NULL)
		return;
	text = saba_imp_text(v);
	if (text == NULL || (v->type == SABA_TOML_STRING && strlen(v->text) != v->len))
		saba_imp_lost(m, plugins, v, "ignore must be a regular expression string, not %s",
			      saba_imp_type_name(v->type));
	else if (*text != '\0')
		saba_imp_set_string(inst, "ignore", text);
	free(text);
}

/* [filesystems] use_mountpoint names both the filesystem.* and (on Linux)
 * the disk.*.delta metrics by mount point upstream; a wrong type is
 * reported once (report set). */
static void saba_imp_mountpoint(struct saba_imp *m, config_setting_t *plugins,
				config_setting_t *inst, int report)
{
	const struct saba_toml *v = m->sub[SABA_IMP_FILESYSTEMS][1];

	if (v == NULL)
		return;
	if (v->type != SABA_TOML_BOOL) {
		if (report)
			saba_imp_lost(m, plugins, v,
				      "filesystems.use_mountpoint must be true or false, not %s",
				      saba_imp_type_name(v->type));
	} else if (v->b) {
		saba_imp_set_bool(inst, "use_mountpoint", 1);
	}
}

static void saba_imp_builtins(struct saba_imp *m, config_setting_t *plugins, const char **names)
{
	static const char *const modules[] = {"loadavg", "memory",    "cpu",
					      "disk",	 "interface", "filesystem"};
	const struct saba_toml *v;

	saba_imp_remark(m, plugins, NULL,
			"The metrics mackerel-agent always collects, under the same names.");
	for (size_t i = 0; i < sizeof(modules) / sizeof(modules[0]); i++) {
		config_setting_t *inst = config_setting_add(plugins, names[i], CONFIG_TYPE_GROUP);

		if (strcmp(names[i], modules[i]) != 0)
			saba_imp_set_string(inst, "module", modules[i]);
		if (strcmp(modules[i], "disk") == 0) {
			saba_imp_ignore(m, plugins, inst, SABA_IMP_DISKS);
			saba_imp_mountpoint(m, plugins, inst, 0);
		}
		if (strcmp(modules[i], "interface") == 0) {
			saba_imp_ignore(m, plugins, inst, SABA_IMP_INTERFACES);
			v = m->sub[SABA_IMP_INTERFACES][1];
			if (v != NULL)
				saba_imp_remark(
					m, plugins, v,
					"interfaces.use_adapter applies to Windows only (there "
					"mackerel-agent reads adapter counters); left out");
		}
		if (strcmp(modules[i], "filesystem") == 0) {
			saba_imp_ignore(m, plugins, inst, SABA_IMP_FILESYSTEMS);
			saba_imp_mountpoint(m, plugins, inst, 1);
		}
	}
}

/* The cloud plugin of a cloud_platform: ec2 unless it names GCE or Azure. */
static const char *saba_imp_cloud_module(const char *platform)
{
	if (strcmp(platform, "gce") == 0)
		return "gce";
	return strcmp(platform, "azurevm") == 0 ? "azure" : "ec2";
}

/* cloud_platform as the top-level setting (unset or "": "auto", as
 * mackerel-agent): the core adds the cloud's identity plugin, so a host
 * registered by mackerel-agent or the cloud's integration is adopted by its
 * customIdentifier.  The value written (malloc'd), or NULL when it could
 * not be carried over. */
static char *saba_imp_cloud_platform(struct saba_imp *m, config_setting_t *root)
{
	const struct saba_toml *v = m->top[SABA_IMP_CLOUD_PLATFORM];
	char *text = v != NULL ? saba_imp_text(v) : saba_strdup("auto");

	if (v != NULL &&
	    (text == NULL || (v->type == SABA_TOML_STRING && strlen(v->text) != v->len))) {
		saba_imp_lost(m, root, v, "cloud_platform must be a string, not %s",
			      saba_imp_type_name(v->type));
		free(text);
		return NULL;
	}
	if (*text != '\0' && strcmp(text, "auto") != 0 && strcmp(text, "ec2") != 0 &&
	    strcmp(text, "gce") != 0 && strcmp(text, "azurevm") != 0 && strcmp(text, "none") != 0) {
		saba_imp_lost(m, root, v,
			      "cloud_platform = \"%s\" is not auto, none, ec2, gce or azurevm "
			      "(mackerel-agent refuses it)",
			      text);
		free(text);
		return NULL;
	}
	if (*text == '\0') {
		free(text);
		text = saba_strdup("auto");
	}
	saba_imp_remark(m, root, v,
			"cloud_platform = \"%s\": in the cloud the host carries the instance's "
			"customIdentifier, so the host mackerel-agent or the cloud's integration "
			"registered is taken over",
			text);
	saba_imp_set_string(root, "cloud_platform", text);
	return text;
}

/* With a trigger, the cloud plugin of platform configured whole: besides
 * the identity, its word on whether a power off is the end of the
 * instance (an EC2 stop is not). */
static void saba_imp_cloud(struct saba_imp *m, config_setting_t *plugins, const char *name,
			   const char *platform)
{
	const char *module = saba_imp_cloud_module(platform);
	config_setting_t *inst;

	saba_imp_remark(m, plugins, m->top[SABA_IMP_CLOUD_PLATFORM],
			"The %s plugin in full, for the trigger below: in the cloud a power off "
			"retires the host only when the cloud confirms the instance is gone.",
			module);
	inst = config_setting_add(plugins, name, CONFIG_TYPE_GROUP);
	if (strcmp(name, module) != 0)
		saba_imp_set_string(inst, "module", module);
	if (strcmp(platform, "auto") != 0)
		saba_imp_set_string(inst, "cloud_platform", platform);
}

static const char *saba_imp_trigger_module(const struct saba_imp *m)
{
	if (strcmp(m->init, "windows") == 0)
		return "windows_scm";
	return strcmp(m->init, "sysv") == 0 ? "sysv" : "systemd";
}

/* AUTO_RETIREMENT: the trigger plugin of the init system.  Unlike the
 * ExecStopPost of mackerel-agent's unit, it never retires at a restart. */
static void saba_imp_trigger(struct saba_imp *m, config_setting_t *plugins, const char *name)
{
	const char *module = saba_imp_trigger_module(m);
	config_setting_t *inst;

	if (strcmp(module, "windows_scm") == 0)
		saba_imp_remark(m, plugins, NULL,
				"%s: mackerel-agent's service retired this host at every Windows "
				"shutdown, reboots included. saba-agent retires it only at a power "
				"off (System event 1074), never at a reboot or a service stop.",
				m->svc.auto_retirement_from);
	else
		saba_imp_remark(
			m, plugins, NULL,
			"%s: mackerel-agent retired this host whenever its service stopped: "
			"restarts, reboots and package upgrades included. saba-agent's %s "
			"trigger retires it only when the machine %s for good; a restart "
			"never retires, nor do a reboot or a stop of the service (unless "
			"retire_on lists them).",
			m->svc.auto_retirement_from, module,
			strcmp(module, "sysv") == 0 ? "halts" : "powers off");
	inst = config_setting_add(plugins, name, CONFIG_TYPE_GROUP);
	if (strcmp(name, module) != 0)
		saba_imp_set_string(inst, "module", module);
	if (strcmp(module, "windows_scm") == 0) {
		config_setting_t *on = config_setting_add(inst, "retire_on", CONFIG_TYPE_ARRAY);

		config_setting_set_string_elem(on, -1, "shutdown");
	}
}

static int saba_imp_diagnostic(struct saba_imp *m, config_setting_t *plugins)
{
	const struct saba_toml *v = m->top[SABA_IMP_DIAGNOSTIC];

	if (m->svc.diagnostic)
		return 1;
	if (v == NULL)
		return 0;
	if (v->type != SABA_TOML_BOOL) {
		saba_imp_lost(m, plugins, v, "diagnostic must be true or false, not %s",
			      saba_imp_type_name(v->type));
		return 0;
	}
	return v->b;
}

void saba_imp_build_plugins(struct saba_imp *m, config_setting_t *root, const char *http_proxy,
			    const char *https_proxy)
{
	static const char *const fixed[] = {"loadavg", "memory",     "cpu",
					    "disk",    "interface",  "filesystem",
					    "cloud",   "diagnostic", NULL};
	struct saba_imp_extra x = {http_proxy, https_proxy, &m->svc};
	struct saba_imp_names names = {0};
	char *platform = saba_imp_cloud_platform(m, root);
	int cloud = m->svc.auto_retirement && platform != NULL && strcmp(platform, "none") != 0;
	config_setting_t *plugins = config_setting_add(root, "plugins", CONFIG_TYPE_GROUP);
	const char *fixed_names[9] = {0}, **user = saba_calloc(m->nplugins + 1, sizeof(*user));

	/* Names: a check's is its monitor's name in Mackerel, so checks come
	 * first; the others are only labels. */
	for (size_t i = 0; i < m->nplugins; i++) {
		const struct saba_imp_plugin *p = &m->plugins[i];
		char *base;

		if (p->kind != SABA_IMP_CHECKS)
			continue;
		base = saba_imp_sanitize(p->node->key);
		user[i] = saba_imp_reserve(&names, base, NULL);
		if (strcmp(user[i], p->node->key) != 0) {
			char *path = saba_imp_path("plugin.checks", p->node->key);

			saba_imp_lost(m, plugins, p->node,
				      "[%s]: the check is named \"%s\" (an instance name must be a "
				      "setting name), so Mackerel sees a new check monitor",
				      path, user[i]);
			free(path);
		}
		free(base);
	}
	/* "cloud": the plugin of cloud_platform, when there is a trigger */
	for (int i = 0; fixed[i] != NULL; i++)
		if (i != 6 || cloud)
			fixed_names[i] = saba_imp_reserve(
				&names, i == 6 ? saba_imp_cloud_module(platform) : fixed[i], NULL);
	fixed_names[8] = saba_imp_reserve(&names, saba_imp_trigger_module(m), NULL);
	for (int k = 0; k < 2; k++)
		for (size_t i = 0; i < m->nplugins; i++) {
			int kind = k == 0 ? SABA_IMP_METADATA : SABA_IMP_METRICS;
			char *base;

			if (m->plugins[i].kind != kind)
				continue;
			base = saba_imp_sanitize(m->plugins[i].node->key);
			user[i] = saba_imp_reserve(&names, base, saba_imp_kinds[kind]);
			free(base);
		}

	saba_imp_builtins(m, plugins, fixed_names);
	if (cloud)
		saba_imp_cloud(m, plugins, fixed_names[6], platform);
	if (saba_imp_diagnostic(m, plugins)) {
		config_setting_t *d;

		saba_imp_remark(m, plugins, m->top[SABA_IMP_DIAGNOSTIC],
				"diagnostic: the agent's own memory and threads as custom.agent.*");
		d = config_setting_add(plugins, fixed_names[7], CONFIG_TYPE_GROUP);
		if (strcmp(fixed_names[7], "diagnostic") != 0)
			saba_imp_set_string(d, "module", "diagnostic");
	}
	if (m->svc.auto_retirement)
		saba_imp_trigger(m, plugins, fixed_names[8]);
	for (size_t i = 0; i < m->nplugins; i++)
		saba_imp_plugin(m, plugins, &m->plugins[i], user[i], &x);
	free(user);
	free(platform);
	saba_imp_names_free(&names);
}
