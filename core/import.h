/* `saba-agent import`: a mackerel-agent config (TOML, with its include
 * files and its service's environment file) as a saba-agent config. */
#ifndef SABA_IMPORT_H
#define SABA_IMPORT_H

#include <stddef.h>

#include "import_toml.h"

#define SABA_IMPORT_DEFAULT_CONF "/etc/mackerel-agent/mackerel-agent.conf"

struct saba_import_options {
	const char *file;	      /* NULL: SABA_IMPORT_DEFAULT_CONF */
	const char *output;	      /* NULL: stdout */
	int force;		      /* replace an existing output file */
	const char *const *env_files; /* --env-file; NULL: the packages' files */
	size_t n_env_files;
	int no_env_files; /* --no-env-file */
	const char *init; /* --init: systemd, sysv, windows; NULL: this machine's */
};

/* Exit status: 0 everything carried over, 1 something was not (listed on
 * stderr), 2 nothing written (unreadable or invalid TOML, bad output). */
int saba_cmd_import(const struct saba_import_options *o);

/* One TOML text as if it were the file named file (no include, no
 * environment file): the saba-agent config, or NULL when the TOML does not
 * parse (printed).  *lost: the settings not carried over.  For tests and
 * the fuzzer. */
char *saba_import_string(const char *file, const char *text, size_t len, int *lost);

/* The toml++ module, or NULL with the reason in err (a build without
 * toml++, or the module cannot be loaded). */
const struct saba_toml_module *saba_import_toml(char *err, size_t errlen);

/* Does text (a config saba-agent could not use, or one without any
 * libconfig-only syntax) parse as TOML, i.e. is it mackerel-agent's? */
int saba_import_is_toml(const char *text, size_t len);

#endif
