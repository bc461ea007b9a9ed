/* `saba-agent init -apikey=KEY [-conf FILE] [-apibase URL]`, as
 * mackerel-agent's do_init.go: put the API key into the config unless it
 * has one.  The key goes in in the file's own language: libconfig for a
 * saba-agent config, TOML (prepended, as upstream) for a mackerel-agent
 * config still waiting for `saba-agent import`.  A missing file becomes a
 * saba-agent config with the built-in metrics.  Mode 0600: the file holds
 * the key. */
#include "config.h"

#include <errno.h>
#include <libconfig.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "atomic.h"
#include "conf.h"
#include "conf_write.h"
#include "init.h"
#include "log.h"
#include "util.h"
#ifdef SABA_HAVE_TOML
#include "import.h"
#endif

#define SABA_INIT_MAX_FILE (16 * 1024 * 1024)

static int saba_init_write(const char *path, const char *text, int replace)
{
	char err[1024];

	if (saba_atomic_write(path, "init", text, strlen(text), 0600, replace, err, sizeof(err)) !=
	    0) {
		saba_err("init: %s", err);
		return 1;
	}
	return 0;
}

/* A libconfig string literal (the writer's escapes). */
static char *saba_init_quote(const char *s, int toml)
{
	char *q = saba_calloc(1, strlen(s) * 6 + 3);
	size_t n = 0;

	q[n++] = '"';
	for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++) {
		if (*p == '"' || *p == '\\')
			n += (size_t)sprintf(q + n, "\\%c", *p);
		else if (*p < 0x20 || *p == 0x7f)
			n += (size_t)sprintf(q + n, toml ? "\\u%04x" : "\\x%02x", *p);
		else
			q[n++] = (char)*p;
	}
	q[n++] = '"';
	return q;
}

/* apikey (and apibase) lines in front of text: "name = value;" for
 * libconfig, "name = value" for TOML (which libconfig reads too). */
static char *saba_init_prepend(const struct saba_init_options *o, const char *text, int toml)
{
	char *key = saba_init_quote(o->apikey, toml);
	char *base = o->apibase != NULL ? saba_init_quote(o->apibase, toml) : NULL;
	const char *end = toml ? "" : ";";
	char *out = saba_asprintf("apikey = %s%s\n%s%s%s%s%s", key, end, base ? "apibase = " : "",
				  base ? base : "", base ? end : "", base ? "\n" : "", text);

	free(key);
	free(base);
	return out;
}

static int saba_init_libconfig(const struct saba_init_options *o, config_t *cfg, const char *text)
{
	config_setting_t *root = config_root_setting(cfg);
	config_setting_t *key = config_setting_get_member(root, "apikey");
	struct saba_init_options opt = *o;
	char *out;
	int rc;

	if ((key != NULL && config_setting_type(key) == CONFIG_TYPE_STRING &&
	     *config_setting_get_string(key) != '\0') ||
	    config_setting_get_member(root, "apikey_file") != NULL) {
		saba_info("apikey already set in \"%s\". Skip initializing", o->conf);
		return 0;
	}
	if (key != NULL) {
		saba_err("init: %s:%u: apikey is set but empty; put the key there", o->conf,
			 config_setting_source_line(key));
		return 1;
	}
	if (o->apibase != NULL && config_setting_get_member(root, "apibase") != NULL) {
		saba_warn("init: %s:%u: apibase is set already; -apibase is not written", o->conf,
			  config_setting_source_line(config_setting_get_member(root, "apibase")));
		opt.apibase = NULL;
	}
	/* A file without libconfig-only syntax may be mackerel-agent's as well
	 * (its sample config is all comments): lines both can read. */
	out = saba_init_prepend(&opt, text, !saba_conf_libconfig_only(text));
	rc = saba_init_write(o->conf, out, 1);
	free(out);
	return rc;
}

#ifdef SABA_HAVE_TOML
/* A mackerel-agent config: the key goes in as mackerel-agent would put it.
 * 0 or 1 when it was one, -1 when it is not TOML either. */
static int saba_init_toml(const struct saba_init_options *o, const char *text, size_t len)
{
	const struct saba_toml_module *mod;
	struct saba_toml *doc = NULL;
	const struct saba_toml *key = NULL;
	char err[512], *out;
	int line, rc;

	mod = saba_import_toml(err, sizeof(err));
	if (mod == NULL || mod->parse(text, len, &doc, err, sizeof(err), &line) != 0)
		return -1;
	for (size_t i = 0; i < doc->n; i++)
		if (strcasecmp(doc->kids[i]->key, "apikey") == 0)
			key = doc->kids[i];
	saba_notice("init: %s is a mackerel-agent config; `saba-agent import %s` converts it",
		    o->conf, o->conf);
	if (key != NULL && key->type == SABA_TOML_STRING && key->len > 0) {
		saba_info("apikey already set in \"%s\". Skip initializing", o->conf);
		rc = 0;
	} else if (key != NULL) {
		saba_err("init: %s:%d: apikey is set but empty; put the key there", o->conf,
			 key->line);
		rc = 1;
	} else {
		out = saba_init_prepend(o, text, 1);
		rc = saba_init_write(o->conf, out, 1);
		free(out);
	}
	saba_toml_free(doc);
	return rc;
}
#endif

/* A new saba-agent config: the key and the metrics mackerel-agent always
 * collects. */
static int saba_init_create(const struct saba_init_options *o)
{
	static const char *const builtins[] = {"loadavg", "memory",    "cpu",
					       "disk",	  "interface", "filesystem"};
	struct saba_notes ns = {0};
	config_setting_t *root, *plugins;
	char err[512], *text;
	config_t cfg;
	int rc = 1;

	config_init(&cfg);
	root = config_root_setting(&cfg);
	config_setting_set_string(config_setting_add(root, "apikey", CONFIG_TYPE_STRING),
				  o->apikey);
	if (o->apibase != NULL)
		config_setting_set_string(config_setting_add(root, "apibase", CONFIG_TYPE_STRING),
					  o->apibase);
	plugins = config_setting_add(root, "plugins", CONFIG_TYPE_GROUP);
	for (size_t i = 0; i < sizeof(builtins) / sizeof(builtins[0]); i++)
		config_setting_add(plugins, builtins[i], CONFIG_TYPE_GROUP);
	text = saba_conf_render(&cfg, &ns,
				"saba-agent configuration written by `saba-agent init`.\n"
				"saba-agent.conf(5) documents every setting.",
				err, sizeof(err));
	if (text == NULL)
		saba_err("init: %s", err);
	else
		rc = saba_init_write(o->conf, text, 0);
	free(text);
	config_destroy(&cfg);
	return rc;
}

int saba_cmd_init(const struct saba_init_options *o)
{
	char *dir, *slash, *text;
	size_t len = 0;
	config_t cfg;
	int rc;

	if (o->apikey == NULL || *o->apikey == '\0') {
		saba_err("init: -apikey option is required");
		return 1;
	}
	dir = saba_strdup(o->conf);
	slash = strrchr(dir, '/');
	if (slash != NULL && slash != dir) {
		*slash = '\0';
		if (saba_mkdirs(dir) != 0) {
			saba_err("init: cannot create %s: %s", dir, strerror(errno));
			free(dir);
			return 1;
		}
	}
	free(dir);
	text = saba_read_file(o->conf, SABA_INIT_MAX_FILE, &len);
	if (text == NULL) {
		if (errno == ENOENT)
			return saba_init_create(o);
		saba_err("init: cannot read %s: %s", o->conf, strerror(errno));
		return 1;
	}
	config_init(&cfg);
	if (config_read_string(&cfg, text) == CONFIG_TRUE) {
		rc = saba_init_libconfig(o, &cfg, text);
	} else {
		rc = -1;
#ifdef SABA_HAVE_TOML
		rc = saba_init_toml(o, text, len);
#endif
		if (rc < 0) {
			saba_err("init: %s:%d: %s", o->conf, config_error_line(&cfg),
				 config_error_text(&cfg));
			rc = 1;
		}
	}
	config_destroy(&cfg);
	free(text);
	return rc;
}
