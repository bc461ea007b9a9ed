/* The commands of the command line: run (agent.c), once, retire,
 * configtest, has-apikey, plugins and version. */
#ifndef SABA_COMMANDS_H
#define SABA_COMMANDS_H

#include "conf.h"

struct saba_options {
	const char *config;
	struct saba_conf_overrides ov; /* --root, --plugin-dir, -apibase, -role, ... */
	int dry_run;
	int force;
	int service;  /* run --service: a plugin hosts the process as a service */
	int verbose;  /* -v */
	char **names; /* plugins: the plugins to show in full */
	int nnames;
};

/* Each returns the process exit status: 0 ok, 1 runtime failure, 2 usage
 * or configuration error. */
int saba_cmd_once(const struct saba_options *o);
int saba_cmd_retire(const struct saba_options *o);
int saba_cmd_configtest(const struct saba_options *o);
/* 0 when an API key is set, or when the config cannot be read (the start
 * that follows then reports the problem); 1 when it surely has none.  For
 * the unit's ExecCondition= and the init script: no key, no start. */
int saba_cmd_has_apikey(const struct saba_options *o);
int saba_cmd_plugins(const struct saba_options *o);
int saba_cmd_version(void);

#endif
