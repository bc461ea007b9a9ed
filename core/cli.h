/* The command line: saba-agent's own options and mackerel-agent's, which
 * scripts written for mackerel-agent use (Go-style single-dash long flags:
 * -conf FILE, -conf=FILE, -role a:b,c:d, retire -force, init -apikey=KEY). */
#ifndef SABA_CLI_H
#define SABA_CLI_H

#include <stddef.h>
#include <stdio.h>

#include "commands.h"

struct saba_cli {
	const char *cmd;    /* "run" when none is given */
	const char *action; /* service install|uninstall */
	const char *file;   /* import FILE */
	struct saba_options o;
	const char *log_file;
	int level;	 /* SABA_LOG_* from -v/-q */
	int help;	 /* -h: usage on stdout */
	int version;	 /* --version */
	int compat;	 /* used mackerel-agent's syntax: its exit codes apply */
	int has_apibase; /* -apibase given (init writes it) */
	/* import */
	const char *output;
	const char **env_files;
	size_t n_env_files;
	int no_env_files;
	const char *init;
	/* -role values, comma-split; checked by saba_cli_roles() */
	char **roles;
	int nroles;
};

/* Parse argv into cli.  0, or 2 after printing the usage error. */
int saba_cli_parse(int argc, char **argv, struct saba_cli *cli, const char *default_config);

/* After logging is set up: -role values as mackerel-agent takes them (a bad
 * one is logged and dropped) into cli->o.ov. */
void saba_cli_roles(struct saba_cli *cli);

void saba_cli_usage(FILE *f, const char *config);
void saba_cli_free(struct saba_cli *cli);

#endif
