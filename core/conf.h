/* The agent's configuration file (libconfig syntax): loading, validation of
 * the core's own keys, and the list of plugin instances it declares. */
#ifndef SABA_CONF_H
#define SABA_CONF_H

#include <libconfig.h>

/* One entry of `plugins = { name = { module = "..."; ... }; }`. */
struct saba_instance_conf {
	char *name;   /* the key: instance name */
	char *module; /* the .so to load (default: the key) */
	config_setting_t *setting;
	int line;
	int implicit; /* added by the core (cloud.c), not written in the file */
	int optional; /* cloud_platform = "auto": a module that cannot load is
		       * left out with a warning, as a cloud that is not there */
};

/* retire.confirm (not the answers of confirm_retire(): those are the
 * ABI's SABA_CONFIRM_*). */
enum saba_confirm_policy {
	SABA_POLICY_CONFIRM_AUTO = 0, /* ask cloud plugins if any are loaded */
	SABA_POLICY_CONFIRM_ALWAYS,   /* never retire on an OS poweroff without a cloud yes */
	SABA_POLICY_CONFIRM_NEVER,    /* the OS trigger's word is enough */
};

/* Where a registration carries its random token, so a host whose POST
 * answer was lost is found again instead of created twice (core/register.c). */
enum saba_token {
	SABA_TOKEN_CUSTOM_IDENTIFIER = 0, /* customIdentifier, until the first spec PUT */
	SABA_TOKEN_META,		  /* meta.saba-registration */
	SABA_TOKEN_NONE,		  /* nowhere: mackerel-agent's registration */
};

/* queue.max_bytes: what the queued batches may take in memory. */
#define SABA_QUEUE_DEFAULT_BYTES (32 * 1024 * 1024)

struct saba_conf {
	char *file; /* path as given */
	char *apikey;
	char *apibase;
	char *root;
	char *plugin_dir;
	int interval;
	char *display_name;
	char *pidfile; /* NULL: none */
	int log_level; /* SABA_LOG_*, or 0: not set */
	char **roles;
	int nroles;
	char *on_start;
	char *on_stop;
	int retire_timeout;
	int retire_confirm;	/* enum saba_confirm_policy */
	int registration_token; /* enum saba_token */
	int http_timeout;
	char *http_proxy;
	char *http_ca_file;
	int http_keep_alive;
	int queue_max_age;
	int shutdown_timeout;
	int queue_max_bytes;
	int apikey_cli; /* apikey came from the command line: it wins */
	struct saba_instance_conf *instances;
	int ninstances;
	config_t cfg; /* owns every setting above points into */
	int refs;     /* holders: the runtime, instance sets, readers */
};

/* What the command line says over the file. */
struct saba_conf_overrides {
	const char *root;
	const char *plugin_dir;
	const char *apibase;
	const char *apikey;
	const char *pidfile;
	const char *const *roles; /* replace roles (checked already) */
	int nroles;
	int roles_set;
	int diagnostic; /* add a diagnostic plugin instance unless there is one */
	int log_level;	/* -v / -q given: SABA_LOG_*; 0: the config's log_level */
};

/* Load and validate FILE.  Every problem is printed as FILE:LINE: message
 * on stderr; returns the number of problems (0: ok).  On success *out is a
 * new config to free with saba_conf_free(). */
int saba_conf_load(const char *file, const struct saba_conf_overrides *ov, struct saba_conf **out);
/* One more holder of c (a thread that reads it while a reload may replace
 * it); returns c.  Each holder, the loader's caller included, calls
 * saba_conf_free() once: the last one frees. */
struct saba_conf *saba_conf_ref(struct saba_conf *c);
void saba_conf_free(struct saba_conf *c);

/* Print a problem in the FILE:LINE: form (line 0: no line). */
void saba_conf_problem(const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Take SABA_AGENT_APIKEY out of the environment, once at start before any
 * thread: nothing the agent runs inherits it.  -1 (and a message naming
 * the variable) when it holds a control character. */
int saba_conf_take_env_apikey(void);

/* Syntax only libconfig has (';', ':' or '(' outside strings and
 * comments)?  A file without any might be mackerel-agent's TOML. */
int saba_conf_libconfig_only(const char *text);

/* Make the config's log_level (or the command line's) the log's. */
void saba_conf_apply_log_level(const struct saba_conf *c);

/* mackerel-agent's check of a role given with -role:
 * ^[a-zA-Z0-9][-_a-zA-Z0-9]*:\s*[a-zA-Z0-9][-_a-zA-Z0-9]*$ */
int saba_conf_role_valid(const char *role);

/* The API key as the header carries it: blanks and line ends around it
 * are trimmed in place (upstream's HTTP stack leaves them out too); a
 * control character left inside is refused.  Returns NULL when fine, else
 * why (in why); never quotes the key. */
const char *saba_conf_apikey_clean(char *key, char *why, size_t len);

/* The API key: -apikey, else SABA_AGENT_APIKEY (as taken at start), else
 * apikey, else the apikey_file's content.  NULL (and a message printed)
 * when none is set. */
const char *saba_conf_apikey(struct saba_conf *c);
int saba_conf_has_apikey(const struct saba_conf *c);
/* The same key without a message: NULL when none is set. */
const char *saba_conf_key(const struct saba_conf *c);

#endif
