#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cloud.h"
#include "conf.h"
#include "conftext.h"
#ifdef SABA_HAVE_TOML
#include "import.h"
#endif
#include "log.h"
#include "trust.h"
#include "util.h"

#define SABA_DEFAULT_APIBASE "https://api.mackerelio.com"
#define SABA_APIKEY_MAX	     4096

/* SABA_AGENT_APIKEY, taken out of the environment at start. */
static char *saba_env_apikey;

void saba_conf_problem(const char *file, int line, const char *fmt, ...)
{
	char msg[1024], where[1024 + 16], out[4096];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (line > 0)
		snprintf(where, sizeof(where), "%s:%d: %s", file, line, msg);
	else
		snprintf(where, sizeof(where), "%s: %s", file, msg);
	/* a value quoted from the file stays on its line */
	saba_log_escape(where, out, sizeof(out));
	fprintf(stderr, "%s\n", out);
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
	"apikey",      "apikey_file",  "apibase",	 "root",	 "plugin_dir",
	"interval",    "pidfile",      "log_level",	 "display_name", "roles",
	"host_status", "retire",       "http",		 "queue",	 "shutdown",
	"plugins",     "registration", "cloud_platform", NULL,
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

static void saba_get_bool(struct saba_conf_loader *l, const config_setting_t *parent,
			  const char *key, int *out)
{
	config_setting_t *s = config_setting_get_member(parent, key);

	if (s == NULL)
		return;
	if (config_setting_type(s) != CONFIG_TYPE_BOOL) {
		saba_bad(l, s, "\"%s\" must be true or false", key);
		return;
	}
	*out = config_setting_get_bool(s);
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
		/* As upstream: a role the API would refuse is dropped, with an
		 * error, and the rest are sent. */
		if (!saba_conf_role_valid(v)) {
			saba_conf_problem(
				l->c->file, (int)config_setting_source_line(e),
				"error: role \"%s\" dropped: SERVICE:ROLE, each of letters, "
				"digits, - and _, not starting with - or _",
				v);
			continue;
		}
		l->c->roles[l->c->nroles++] = saba_strdup(v);
	}
}

static int saba_role_word(const char **p)
{
	const char *s = *p;

	if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9')))
		return 0;
	for (s++; (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		  (*s >= '0' && *s <= '9') || *s == '-' || *s == '_';
	     s++)
		;
	*p = s;
	return 1;
}

int saba_conf_role_valid(const char *role)
{
	const char *p = role;

	if (!saba_role_word(&p) || *p++ != ':')
		return 0;
	/* RE2's \s: space, \t, \n, \f, \r */
	while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\f' || *p == '\r')
		p++;
	return saba_role_word(&p) && *p == '\0';
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
	static const char *const http_keys[] = {"timeout", "proxy", "ca_file", "keep_alive", NULL};
	static const char *const queue_keys[] = {"max_age", "max_bytes", NULL};
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
						    SABA_POLICY_CONFIRM_AUTO);
	}
	c->registration_token = SABA_TOKEN_CUSTOM_IDENTIFIER;
	if ((g = saba_get_group(l, root, "registration")) != NULL) {
		saba_check_keys(l, g, registration_keys, "registration");
		c->registration_token = saba_get_choice(
			l, g, "registration", "token", token_choices, SABA_TOKEN_CUSTOM_IDENTIFIER);
	}
	c->http_timeout = 10;
	c->http_keep_alive = 1;
	if ((g = saba_get_group(l, root, "http")) != NULL) {
		saba_check_keys(l, g, http_keys, "http");
		saba_get_int(l, g, "timeout", &c->http_timeout, 10, 1, 300);
		saba_get_string(l, g, "proxy", &c->http_proxy, NULL);
		saba_get_string(l, g, "ca_file", &c->http_ca_file, NULL);
		saba_get_bool(l, g, "keep_alive", &c->http_keep_alive);
	}
	c->queue_max_age = 6 * 3600;
	c->queue_max_bytes = SABA_QUEUE_DEFAULT_BYTES;
	if ((g = saba_get_group(l, root, "queue")) != NULL) {
		saba_check_keys(l, g, queue_keys, "queue");
		saba_get_int(l, g, "max_age", &c->queue_max_age, 6 * 3600, 60, 7 * 24 * 3600);
		saba_get_int(l, g, "max_bytes", &c->queue_max_bytes, SABA_QUEUE_DEFAULT_BYTES,
			     1024 * 1024, 1024 * 1024 * 1024);
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

/* A directory setting: "" would name no directory at all. */
static void saba_check_dir_setting(struct saba_conf_loader *l, const config_setting_t *root,
				   const char *key, const char *value)
{
	if (value != NULL && *value != '\0')
		return;
	saba_bad(l, root != NULL ? config_setting_get_member(root, key) : NULL,
		 "%s must name a directory, not \"\"", key);
}

/* A control character left inside the key would end the header or add
 * another: refused. */
const char *saba_conf_apikey_clean(char *key, char *why, size_t len)
{
	size_t n = strlen(key), skip = strspn(key, " \t\r\n");

	while (n > skip && strchr(" \t\r\n", key[n - 1]) != NULL)
		n--;
	memmove(key, key + skip, n - skip);
	key[n - skip] = '\0';
	for (size_t i = 0; key[i] != '\0'; i++) {
		unsigned char ch = (unsigned char)key[i];

		if (ch == '\n') {
			snprintf(why, len, "holds more than one line; an API key is one line");
			return why;
		}
		if (ch < 0x20 || ch == 0x7f) {
			snprintf(why, len,
				 "holds a control character (\\x%02x) at character %zu; an API "
				 "key is printable text",
				 ch, i + 1);
			return why;
		}
	}
	return NULL;
}

/* apikey, else apikey_file: a file only root and the agent may write
 * (whoever can swap the key can point the agent at their organization),
 * better readable by nobody else. */
static void saba_load_apikey(struct saba_conf_loader *l, const config_setting_t *root)
{
	struct saba_conf *c = l->c;
	config_setting_t *s;
	char *path = NULL, why[1024];
	struct stat st;

	saba_get_string(l, root, "apikey", &c->apikey, NULL);
	if (c->apikey != NULL) {
		if (saba_conf_apikey_clean(c->apikey, why, sizeof(why)) != NULL)
			saba_bad(l, config_setting_get_member(root, "apikey"), "apikey %s", why);
		return;
	}
	saba_get_string(l, root, "apikey_file", &path, NULL);
	if (path == NULL)
		return;
	s = config_setting_get_member(root, "apikey_file");
	c->apikey = saba_read_file(path, SABA_APIKEY_MAX, NULL);
	if (c->apikey == NULL) {
		saba_bad(l, s, "cannot read apikey_file %s: %s", path, saba_file_strerror(errno));
	} else if (saba_trust_path(path, SABA_TRUST_FILE, why, sizeof(why)) != 0) {
		saba_bad(l, s, "refusing apikey_file: %s", why);
	} else if (saba_conf_apikey_clean(c->apikey, why, sizeof(why)) != NULL) {
		saba_bad(l, s, "apikey_file %s %s", path, why);
	} else if (stat(path, &st) == 0 && saba_trust_readable_by_others(&st)) {
		saba_conf_problem(c->file, (int)config_setting_source_line(s),
				  "warning: apikey_file %s is readable by group or others (mode "
				  "%04o): anyone who reads it can retire this host; chmod 600 it",
				  path, (unsigned)(st.st_mode & 07777));
	}
	free(path);
}

static void saba_load_log_level(struct saba_conf_loader *l, const config_setting_t *root)
{
	static const struct {
		const char *name;
		int level;
	} levels[] = {{"debug", SABA_LOG_DEBUG},
		      {"info", SABA_LOG_INFO},
		      {"notice", SABA_LOG_NOTICE},
		      {"warning", SABA_LOG_WARNING},
		      {"error", SABA_LOG_ERR}};
	char *s = NULL;

	saba_get_string(l, root, "log_level", &s, NULL);
	if (s == NULL)
		return;
	for (size_t i = 0; i < sizeof(levels) / sizeof(levels[0]); i++)
		if (strcmp(s, levels[i].name) == 0)
			l->c->log_level = levels[i].level;
	if (l->c->log_level == 0)
		saba_bad(l, config_setting_get_member(root, "log_level"),
			 "log_level must be \"debug\", \"info\", \"notice\", \"warning\" or "
			 "\"error\"");
	free(s);
}

/* -diagnostic: a diagnostic instance, unless the config has one. */
static void saba_add_diagnostic(config_setting_t *root)
{
	config_setting_t *g = config_setting_get_member(root, "plugins"), *d;

	if (g == NULL)
		g = config_setting_add(root, "plugins", CONFIG_TYPE_GROUP);
	if (config_setting_type(g) != CONFIG_TYPE_GROUP)
		return; /* reported by saba_load_plugins */
	for (int i = 0; i < config_setting_length(g); i++) {
		config_setting_t *s = config_setting_get_elem(g, (unsigned)i);
		const char *module = NULL;

		if (config_setting_type(s) == CONFIG_TYPE_GROUP &&
		    !config_setting_lookup_string(s, "module", &module))
			module = config_setting_name(s);
		if (module != NULL && strcmp(module, "diagnostic") == 0)
			return;
	}
	d = config_setting_add(g, "diagnostic", CONFIG_TYPE_GROUP);
	if (d == NULL) /* the name is another module's instance */
		d = config_setting_add(g, "diagnostic-flag", CONFIG_TYPE_GROUP);
	if (d != NULL)
		config_setting_set_string(config_setting_add(d, "module", CONFIG_TYPE_STRING),
					  "diagnostic");
}

static void saba_apply_overrides(struct saba_conf_loader *l, const struct saba_conf_overrides *ov)
{
	struct saba_conf *c = l->c;
	char **slot[] = {&c->root, &c->plugin_dir, &c->apibase, &c->apikey, &c->pidfile};
	const char *value[] = {ov->root, ov->plugin_dir, ov->apibase, ov->apikey, ov->pidfile};
	char why[256];

	for (size_t i = 0; i < sizeof(slot) / sizeof(slot[0]); i++)
		if (value[i] != NULL) {
			free(*slot[i]);
			*slot[i] = saba_strdup(value[i]);
		}
	if (ov->root != NULL)
		saba_check_dir_setting(l, NULL, "--root", c->root);
	if (ov->plugin_dir != NULL)
		saba_check_dir_setting(l, NULL, "--plugin-dir", c->plugin_dir);
	c->apikey_cli = ov->apikey != NULL;
	if (ov->apikey != NULL && saba_conf_apikey_clean(c->apikey, why, sizeof(why)) != NULL)
		saba_bad(l, NULL, "-apikey %s", why);
	if (ov->roles_set) {
		for (int i = 0; i < c->nroles; i++)
			free(c->roles[i]);
		free(c->roles);
		c->roles = saba_calloc((size_t)ov->nroles + 1, sizeof(char *));
		for (c->nroles = 0; c->nroles < ov->nroles; c->nroles++)
			c->roles[c->nroles] = saba_strdup(ov->roles[c->nroles]);
	}
	if (ov->log_level != 0)
		c->log_level = ov->log_level;
}

int saba_conf_libconfig_only(const char *s)
{
	for (; *s != '\0'; s++) {
		if (*s == '"') {
			for (s++; *s != '\0' && *s != '"'; s++)
				if (*s == '\\' && s[1] != '\0')
					s++;
		} else if (*s == '#' || (*s == '/' && s[1] == '/')) {
			while (s[1] != '\0' && s[1] != '\n')
				s++;
		} else if (*s == '/' && s[1] == '*') {
			const char *end = strstr(s + 2, "*/");

			if (end == NULL)
				return 0;
			s = end + 1;
		} else if (*s == ';' || *s == ':' || *s == '(') {
			return 1;
		}
		if (*s == '\0')
			break;
	}
	return 0;
}

/* Is file mackerel-agent's config?  Then say so, and how to import it.
 * parsed: libconfig read it (then only a file without libconfig-only
 * syntax can be TOML). */
static int saba_conf_is_mackerel(const char *file, int parsed)
{
#ifdef SABA_HAVE_TOML
	size_t len = 0;
	char *text = saba_read_file(file, 16 * 1024 * 1024, &len);
	int toml = text != NULL && !(parsed && saba_conf_libconfig_only(text)) &&
		   saba_import_is_toml(text, len);

	free(text);
	if (toml)
		saba_conf_problem(file, 0,
				  "this is a mackerel-agent config (TOML); convert it with "
				  "`saba-agent import %s -o %s`",
				  file, SABA_CONFIG_FILE);
	return toml;
#else
	(void)file;
	(void)parsed;
	return 0;
#endif
}

int saba_conf_load(const char *file, const struct saba_conf_overrides *ov, struct saba_conf **out)
{
	struct saba_conf *c = saba_calloc(1, sizeof(*c));
	struct saba_conf_loader l = {.c = c, .problems = 0};
	config_setting_t *root;
	char *text = NULL, why[1024];
	int i, n;

	c->file = saba_strdup(file);
	c->refs = 1;
	config_init(&c->cfg);
	text = saba_conf_text_read(file, &l.problems);
	if (text == NULL)
		goto out;
	/* Its plugins' commands run as the agent's user. */
	if (saba_trust_path(file, SABA_TRUST_FILE, why, sizeof(why)) != 0) {
		saba_conf_problem(file, 0,
				  "refusing the configuration: %s (whoever can write it can make "
				  "the agent run commands as its user)",
				  why);
		l.problems++;
		goto out;
	}
	if (config_read_string(&c->cfg, text) != CONFIG_TRUE) {
		if (!saba_conf_is_mackerel(file, 0))
			saba_conf_problem(
				config_error_file(&c->cfg) ? config_error_file(&c->cfg) : file,
				config_error_line(&c->cfg), "%s", config_error_text(&c->cfg));
		l.problems++;
		goto out;
	}
	if (saba_conf_is_mackerel(file, 1)) {
		l.problems++;
		goto out;
	}
	root = config_root_setting(&c->cfg);
	if (ov != NULL && ov->diagnostic)
		saba_add_diagnostic(root);
	n = config_setting_length(root);
	for (i = 0; i < n; i++) {
		config_setting_t *s = config_setting_get_elem(root, (unsigned)i);

		if (!saba_key_known(saba_top_keys, config_setting_name(s)))
			saba_bad(&l, s, "unknown setting \"%s\"", config_setting_name(s));
	}
	saba_load_apikey(&l, root);
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
	saba_check_dir_setting(&l, root, "root", c->root);
	saba_check_dir_setting(&l, root, "plugin_dir", c->plugin_dir);
	saba_get_int(&l, root, "interval", &c->interval, 60, 1, 3600);
	saba_get_string(&l, root, "display_name", &c->display_name, NULL);
	saba_get_string(&l, root, "pidfile", &c->pidfile, NULL);
	saba_load_log_level(&l, root);
	saba_load_roles(&l, root);
	saba_load_sections(&l, root);
	saba_load_plugins(&l, root);
	if (ov != NULL)
		saba_apply_overrides(&l, ov);
	if (ov != NULL && ov->apibase != NULL && strncmp(c->apibase, "https://", 8) != 0 &&
	    strncmp(c->apibase, "http://", 7) != 0)
		saba_bad(&l, NULL, "-apibase %s must start with https:// or http://", c->apibase);
	/* after the overrides: the cloud plugins are looked for in plugin_dir */
	if (l.problems == 0)
		l.problems +=
			saba_cloud_defaults(c, config_setting_get_member(root, "cloud_platform"));
out:
	free(text);
	if (l.problems > 0) {
		saba_conf_free(c);
		c = NULL;
	}
	*out = c;
	return l.problems;
}

void saba_conf_apply_log_level(const struct saba_conf *c)
{
	if (c->log_level != 0)
		saba_log_set_level(c->log_level);
}

int saba_conf_take_env_apikey(void)
{
	const char *env = getenv("SABA_AGENT_APIKEY");
	char why[256];

	free(saba_env_apikey);
	saba_env_apikey = env != NULL ? saba_strdup(env) : NULL;
	/* No plugin command may inherit it (a command run as another user
	 * would get a key that can retire hosts). */
#ifdef _WIN32
	_putenv("SABA_AGENT_APIKEY=");
#else
	unsetenv("SABA_AGENT_APIKEY");
#endif
	if (saba_env_apikey == NULL)
		return 0;
	if (saba_conf_apikey_clean(saba_env_apikey, why, sizeof(why)) != NULL) {
		fprintf(stderr, "saba-agent: SABA_AGENT_APIKEY %s\n", why);
		free(saba_env_apikey);
		saba_env_apikey = NULL;
		return -1;
	}
	if (*saba_env_apikey == '\0') { /* empty: not set */
		free(saba_env_apikey);
		saba_env_apikey = NULL;
	}
	return 0;
}

const char *saba_conf_key(const struct saba_conf *c)
{
	if (c->apikey_cli && c->apikey != NULL && *c->apikey != '\0')
		return c->apikey;
	if (saba_env_apikey != NULL)
		return saba_env_apikey;
	if (c->apikey != NULL && *c->apikey != '\0')
		return c->apikey;
	return NULL;
}

int saba_conf_has_apikey(const struct saba_conf *c)
{
	return saba_conf_key(c) != NULL;
}

const char *saba_conf_apikey(struct saba_conf *c)
{
	if (saba_conf_key(c) != NULL)
		return saba_conf_key(c);
	saba_conf_problem(c->file, 0,
			  "no API key: set apikey or apikey_file, or SABA_AGENT_APIKEY in the "
			  "environment");
	return NULL;
}

struct saba_conf *saba_conf_ref(struct saba_conf *c)
{
	__atomic_add_fetch(&c->refs, 1, __ATOMIC_RELAXED);
	return c;
}

void saba_conf_free(struct saba_conf *c)
{
	int i;

	if (c == NULL || __atomic_sub_fetch(&c->refs, 1, __ATOMIC_ACQ_REL) > 0)
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
	free(c->pidfile);
	free(c->on_start);
	free(c->on_stop);
	free(c->http_proxy);
	free(c->http_ca_file);
	config_destroy(&c->cfg);
	free(c);
}
