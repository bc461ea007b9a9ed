/* The importer's model of a mackerel-agent configuration (config/config.go
 * upstream): the TOML documents merged as mackerel-agent merges its
 * `include`, the settings of its service (environment files), and the
 * mapping of all of it onto a saba-agent libconfig config. */
#ifndef SABA_IMPORT_MAP_H
#define SABA_IMPORT_MAP_H

#include <libconfig.h>
#include <stddef.h>

#include "conf_write.h"
#include "import_toml.h"

/* Top-level keys of mackerel-agent's Config, matched as BurntSushi/toml
 * matches them (exactly, else case-insensitively). */
enum saba_imp_top {
	SABA_IMP_APIKEY,
	SABA_IMP_APIBASE,
	SABA_IMP_ROOT,
	SABA_IMP_PIDFILE,
	SABA_IMP_CONFFILE,
	SABA_IMP_ROLES,
	SABA_IMP_VERBOSE,
	SABA_IMP_SILENT,
	SABA_IMP_DIAGNOSTIC,
	SABA_IMP_KEEP_ALIVE, /* disable_http_keep_alive */
	SABA_IMP_DISPLAY_NAME,
	SABA_IMP_HOST_STATUS,
	SABA_IMP_DISKS,
	SABA_IMP_FILESYSTEMS,
	SABA_IMP_INTERFACES,
	SABA_IMP_HTTP_PROXY,
	SABA_IMP_HTTPS_PROXY,
	SABA_IMP_CLOUD_PLATFORM,
	SABA_IMP_PLUGIN,
	SABA_IMP_INCLUDE,
	SABA_IMP_TOP_N
};

/* The tables' own keys: [host_status], [disks], [filesystems], [interfaces]. */
#define SABA_IMP_SUB_MAX 2

enum saba_imp_kind { SABA_IMP_METRICS, SABA_IMP_CHECKS, SABA_IMP_METADATA, SABA_IMP_KINDS };

/* [plugin.<kind>.<name>]: a later file's plugin of the same kind and name
 * replaces it whole, as upstream. */
struct saba_imp_plugin {
	int kind;
	const struct saba_toml *node; /* the table; node->key is the name */
	size_t order;		      /* of first definition */
};

/* Something found while merging, reported when the config is built. */
struct saba_imp_finding {
	const struct saba_toml *at;
	char *text;
	int lost; /* not carried over (exit 1), else a plain remark */
};

/* What mackerel-agent's service added to the config: its environment file
 * (ROOT, APIBASE, APIKEY, PIDFILE, OTHER_OPTS, AUTO_RETIREMENT, ...). */
struct saba_imp_service {
	char *root, *apibase, *apikey, *pidfile;
	char *root_from, *apibase_from, *apikey_from, *pidfile_from; /* "FILE: VAR" */
	char **roles; /* -role in OTHER_OPTS: replaces roles */
	size_t nroles;
	int roles_set;
	char *roles_from;
	int verbose, diagnostic;
	char *verbose_from, *diagnostic_from;
	char *http_proxy, *https_proxy; /* HTTP_PROXY / HTTPS_PROXY */
	char *workdir;			/* MACKEREL_PLUGIN_WORKDIR */
	char **env;			/* other variables: "NAME=value" for plugins */
	size_t nenv;
	char *env_from;
	int auto_retirement; /* AUTO_RETIREMENT or MACKEREL_AUTO_RETIREMENT set, not "0" */
	char *auto_retirement_from;
	struct saba_toml **marks; /* places in those files, for messages */
	size_t nmarks;
};

/* A TOML file read, with its text for quoting lines in messages. */
struct saba_imp_file {
	char *name;
	char *text;
	size_t len;
	struct saba_toml *doc;
	size_t *lines; /* offsets of each line, made on first use */
	size_t nlines;
};

struct saba_imp {
	struct saba_imp_file *files;
	size_t nfiles;
	const struct saba_toml *top[SABA_IMP_TOP_N];
	const struct saba_toml *sub[SABA_IMP_TOP_N][SABA_IMP_SUB_MAX];
	struct saba_imp_plugin *plugins;
	size_t nplugins;
	struct saba_imp_finding *findings;
	size_t nfindings;
	struct saba_imp_service svc;
	const char *init;	  /* "systemd", "sysv" or "windows": AUTO_RETIREMENT's trigger */
	const char *default_root; /* mackerel-agent's, /var/lib/mackerel-agent */
	int lost;		  /* settings not carried over */
	/* while building */
	config_t *cfg;
	struct saba_notes *ns;
};

/* Keep a file read (text taken over) for messages; its entry. */
struct saba_imp_file *saba_imp_add_file(struct saba_imp *m, const char *name, char *text,
					size_t len);

/* Merge one parsed document (the main file first, then each included
 * one) into m, as mackerel-agent decodes them one over the other. */
void saba_imp_merge(struct saba_imp *m, const struct saba_toml *doc, int is_main);

/* Build the saba-agent config from m into cfg, with comments in ns.  Every
 * setting that cannot be carried over is printed on stderr as FILE:LINE and
 * noted in the config; returns their number (also m->lost). */
int saba_imp_build(struct saba_imp *m, config_t *cfg, struct saba_notes *ns);

/* Record a finding at a node (printed as FILE:LINE when built). */
void saba_imp_finding(struct saba_imp *m, const struct saba_toml *at, int lost, const char *fmt,
		      ...) __attribute__((format(printf, 4, 5)));

/* While building: a setting that cannot be carried over, at node at (NULL:
 * none), printed on stderr as FILE:LINE with the TOML line and noted before
 * the next setting of group; or a remark, noted only. */
void saba_imp_lost(struct saba_imp *m, config_setting_t *group, const struct saba_toml *at,
		   const char *fmt, ...) __attribute__((format(printf, 4, 5)));
void saba_imp_remark(struct saba_imp *m, config_setting_t *group, const struct saba_toml *at,
		     const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* A key of a struct field: BurntSushi/toml matches it exactly, else
 * case-insensitively. */
int saba_imp_key_is(const char *key, const char *field);
/* "a string", "an integer", ... for messages. */
const char *saba_imp_type_name(int type);
/* prefix.key with the key quoted when it is not a bare TOML key; malloc'd. */
char *saba_imp_path(const char *prefix, const char *key);

/* The value of a TextUnmarshaler field (durations, regexps, cloud_platform)
 * as BurntSushi/toml hands it over: a string as is, a number or a boolean
 * as Go prints it.  NULL for other types. */
char *saba_imp_text(const struct saba_toml *v);
/* A string setting; 0, or -1 after reporting a wrong type or a NUL. */
int saba_imp_string(struct saba_imp *m, config_setting_t *group, const struct saba_toml *v,
		    const char *path, const char **out);
/* A duration in minutes (config/duration.go); 0, or -1 after reporting. */
int saba_imp_duration(struct saba_imp *m, config_setting_t *group, const struct saba_toml *v,
		      const char *path, long long *minutes);
/* Add a string setting name = value to group. */
void saba_imp_set_string(config_setting_t *group, const char *name, const char *value);
void saba_imp_set_int(config_setting_t *group, const char *name, long long value);
void saba_imp_set_bool(config_setting_t *group, const char *name, int value);
/* A libconfig setting name: [A-Za-z*][-A-Za-z0-9_*]*. */
int saba_imp_name_ok(const char *name);

void saba_imp_free(struct saba_imp *m);

#endif
