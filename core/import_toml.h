/* The seam between the importer (core/import*.c, C) and toml++ (C++17,
 * core/import_toml.cc).  A TOML document becomes a plain C tree with the
 * line of every key and value, so the importer never touches C++.  The C++
 * side is a private module (saba-toml.so in the package library directory)
 * loaded only by `import`, `init` and the "is this a mackerel-agent
 * config?" hint: libstdc++ would add about a megabyte to the agent's
 * resident size otherwise. */
#ifndef SABA_IMPORT_TOML_H
#define SABA_IMPORT_TOML_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define SABA_TOML_MODULE_VERSION 1u

enum saba_toml_type {
	SABA_TOML_TABLE = 1,
	SABA_TOML_ARRAY,
	SABA_TOML_STRING,
	SABA_TOML_INT,
	SABA_TOML_FLOAT,
	SABA_TOML_BOOL,
	SABA_TOML_DATETIME, /* date, time or date-time: text holds its TOML form */
};

/* One node.  A table's members are in document order and carry their key;
 * array elements have key NULL. */
struct saba_toml {
	int type;
	char *key;
	int line;	  /* of the key (table member) or of the value (element) */
	const char *file; /* set by the importer after parsing; not owned */
	char *text;	  /* STRING (UTF-8, may hold NUL: see len) and DATETIME */
	size_t len;
	long long i;
	double f;
	int b;
	struct saba_toml **kids;
	size_t n;
};

struct saba_toml_module {
	uint32_t version;     /* SABA_TOML_MODULE_VERSION */
	uint32_t struct_size; /* sizeof(struct saba_toml_module) */
	const char *build;    /* PACKAGE_VERSION: agent and module must match */
	/* Parse text (len bytes).  0 and *out (the root table, free with
	 * saba_toml_free) on success; -1 with a message in err and the line in
	 * *line (0: none) otherwise. */
	int (*parse)(const char *text, size_t len, struct saba_toml **out, char *err, size_t errlen,
		     int *line);
};

/* The module's one exported symbol. */
const struct saba_toml_module *saba_toml_module_entry(void);

/* Free a tree (plain malloc'd memory: either side may free it). */
void saba_toml_free(struct saba_toml *t);

#ifdef __cplusplus
}
#endif

#endif
