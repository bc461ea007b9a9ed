#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "import_env.h"
#include "util.h"

#define SABA_IMP_ENV_MAX (1024 * 1024)

/* A place in an environment file, as a node for messages. */
static const struct saba_toml *saba_imp_mark(struct saba_imp *m, const char *file, int line)
{
	struct saba_toml *t = saba_calloc(1, sizeof(*t));

	t->file = file;
	t->line = line;
	m->svc.marks = saba_realloc(m->svc.marks, (m->svc.nmarks + 1) * sizeof(*m->svc.marks));
	m->svc.marks[m->svc.nmarks++] = t;
	return t;
}

static void saba_imp_set(char **field, char **from, const char *value, const char *file,
			 const char *what)
{
	free(*field);
	free(*from);
	*field = saba_strdup(value);
	*from = saba_asprintf("%s (%s)", file, what);
}

/* strconv.ParseBool */
static int saba_imp_go_bool(const char *s, int *out)
{
	static const char *const t[] = {"1", "t", "T", "TRUE", "true", "True"};
	static const char *const f[] = {"0", "f", "F", "FALSE", "false", "False"};

	for (size_t i = 0; i < 6; i++) {
		if (strcmp(s, t[i]) == 0)
			return *out = 1, 0;
		if (strcmp(s, f[i]) == 0)
			return *out = 0, 0;
	}
	return -1;
}

/* Split OTHER_OPTS into words as the unit's $OTHER_OPTS is: at whitespace,
 * with '...' and "..." quoting.  Returns the number of words. */
static size_t saba_imp_words(const char *s, char ***out)
{
	char **v = NULL, *w = saba_calloc(1, strlen(s) + 1);
	size_t n = 0;

	while (*s != '\0') {
		size_t len = 0;

		while (*s == ' ' || *s == '\t')
			s++;
		if (*s == '\0')
			break;
		while (*s != '\0' && *s != ' ' && *s != '\t') {
			if (*s == '\'' || *s == '"') {
				char q = *s++;

				while (*s != '\0' && *s != q) {
					if (q == '"' && *s == '\\' && s[1] != '\0')
						s++;
					w[len++] = *s++;
				}
				if (*s == q)
					s++;
			} else {
				w[len++] = *s++;
			}
		}
		w[len] = '\0';
		v = saba_realloc(v, (n + 1) * sizeof(*v));
		v[n++] = saba_strdup(w);
	}
	free(w);
	*out = v;
	return n;
}

/* The flags mackerel-agent's resolveConfig() defines, as Go's flag package
 * parses them: -name or --name, "=value" or (not for booleans) the next
 * word; parsing stops at the first word that is not a flag. */
static void saba_imp_other_opts(struct saba_imp *m, const char *file, int line, const char *opts,
				const char *conf)
{
	static const char *const bools[] = {"diagnostic", "verbose", "v", "private-autoshutdown",
					    "child"};
	static const char *const strs[] = {"conf", "apibase", "apikey", "pidfile", "root", "role"};
	struct saba_imp_service *s = &m->svc;
	const struct saba_toml *at = saba_imp_mark(m, file, line);
	char **w = NULL, *what;
	size_t n = saba_imp_words(opts, &w), i;

	for (i = 0; i < n; i++) {
		const char *a = w[i], *eq, *value = NULL;
		char *name;
		int is_bool = -1, b = 1;

		if (a[0] != '-' || a[1] == '\0')
			break;
		if (strcmp(a, "--") == 0) {
			i++;
			break;
		}
		a += a[1] == '-' ? 2 : 1;
		eq = strchr(a, '=');
		name = eq != NULL ? saba_asprintf("%.*s", (int)(eq - a), a) : saba_strdup(a);
		for (size_t j = 0; j < sizeof(bools) / sizeof(bools[0]); j++)
			if (strcmp(name, bools[j]) == 0)
				is_bool = 1;
		for (size_t j = 0; j < sizeof(strs) / sizeof(strs[0]); j++)
			if (strcmp(name, strs[j]) == 0)
				is_bool = 0;
		if (is_bool < 0) {
			saba_imp_finding(m, at, 1, "OTHER_OPTS: -%s is not a mackerel-agent flag",
					 name);
			free(name);
			break;
		}
		if (eq != NULL)
			value = eq + 1;
		else if (!is_bool && i + 1 < n)
			value = w[++i];
		if ((is_bool && value != NULL && saba_imp_go_bool(value, &b) != 0) ||
		    (!is_bool && value == NULL)) {
			saba_imp_finding(m, at, 1, "OTHER_OPTS: bad value for -%s", name);
			free(name);
			break;
		}
		what = saba_asprintf("OTHER_OPTS -%s", name);
		if (strcmp(name, "conf") == 0 && strcmp(value, conf) != 0)
			saba_imp_finding(
				m, at, 1,
				"OTHER_OPTS: the service ran mackerel-agent with -conf %s; "
				"import that file",
				value);
		else if (strcmp(name, "apibase") == 0)
			saba_imp_set(&s->apibase, &s->apibase_from, value, file, what);
		else if (strcmp(name, "apikey") == 0)
			saba_imp_set(&s->apikey, &s->apikey_from, value, file, what);
		else if (strcmp(name, "pidfile") == 0)
			saba_imp_set(&s->pidfile, &s->pidfile_from, value, file, what);
		else if (strcmp(name, "root") == 0)
			saba_imp_set(&s->root, &s->root_from, value, file, what);
		else if (strcmp(name, "role") == 0) {
			char **parts = NULL;
			size_t np = 0;
			const char *p = value;

			/* strings.Split(value, ","): empty pieces included */
			for (;;) {
				const char *c = strchr(p, ',');

				parts = saba_realloc(parts, (np + 1) * sizeof(*parts));
				parts[np++] = c != NULL ? saba_asprintf("%.*s", (int)(c - p), p)
							: saba_strdup(p);
				if (c == NULL)
					break;
				p = c + 1;
			}
			s->roles = saba_realloc(s->roles, (s->nroles + np) * sizeof(*s->roles));
			memcpy(s->roles + s->nroles, parts, np * sizeof(*parts));
			s->nroles += np;
			free(parts);
			s->roles_set = 1;
			free(s->roles_from);
			s->roles_from = saba_asprintf("%s (%s)", file, what);
		} else if ((strcmp(name, "verbose") == 0 || strcmp(name, "v") == 0) && b) {
			s->verbose = 1;
			free(s->verbose_from);
			s->verbose_from = saba_asprintf("%s (%s)", file, what);
		} else if (strcmp(name, "diagnostic") == 0 && b) {
			s->diagnostic = 1;
			free(s->diagnostic_from);
			s->diagnostic_from = saba_asprintf("%s (%s)", file, what);
		} else if (strcmp(name, "child") == 0 ||
			   strcmp(name, "private-autoshutdown") == 0) {
			saba_imp_finding(m, at, 0,
					 "OTHER_OPTS: -%s is internal to mackerel-agent; "
					 "ignored",
					 name);
		}
		free(what);
		free(name);
	}
	if (i < n)
		saba_imp_finding(m, at, 0,
				 "OTHER_OPTS: \"%s\" and what follows is not read (as by "
				 "mackerel-agent's flag parser)",
				 w[i]);
	for (i = 0; i < n; i++)
		free(w[i]);
	free(w);
}

/* A value as systemd's EnvironmentFile= reads it: '...' or "..." quoted
 * (backslash escapes in "..."), else the rest of the line without trailing
 * blanks.  Modifies line in place. */
static char *saba_imp_env_value(char *v)
{
	size_t n;

	if (*v == '\'' || *v == '"') {
		char q = *v, *out = v, *p = v + 1;

		while (*p != '\0' && *p != q) {
			if (q == '"' && *p == '\\' && p[1] != '\0')
				p++;
			*out++ = *p++;
		}
		*out = '\0';
		return v;
	}
	n = strlen(v);
	while (n > 0 && (v[n - 1] == ' ' || v[n - 1] == '\t' || v[n - 1] == '\r'))
		v[--n] = '\0';
	return v;
}

static int saba_imp_env_name_ok(const char *s, size_t n)
{
	if (n == 0 || (s[0] >= '0' && s[0] <= '9'))
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		      (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
			return 0;
	return 1;
}

static void saba_imp_env_var(struct saba_imp *m, const char *file, int line, const char *name,
			     const char *value, const char *conf)
{
	struct saba_imp_service *s = &m->svc;
	char *what = saba_asprintf("%s=%s", name, value);
	int sysv = strcmp(m->init, "sysv") == 0;

	if (strcmp(name, "AUTO_RETIREMENT") == 0 || strcmp(name, "MACKEREL_AUTO_RETIREMENT") == 0) {
		/* the units' test: anything but "" and "0" retires */
		s->auto_retirement = *value != '\0' && strcmp(value, "0") != 0;
		free(s->auto_retirement_from);
		s->auto_retirement_from = saba_asprintf("%s=%s in %s", name, value, file);
	} else if (strcmp(name, "OTHER_OPTS") == 0) {
		saba_imp_other_opts(m, file, line, value, conf);
	} else if (strcmp(name, "ROOT") == 0 && *value != '\0') {
		saba_imp_set(&s->root, &s->root_from, value, file, "ROOT");
	} else if (sysv && strcmp(name, "APIBASE") == 0 && *value != '\0') {
		/* only the init script passes these as flags */
		saba_imp_set(&s->apibase, &s->apibase_from, value, file, "APIBASE");
	} else if (sysv && strcmp(name, "APIKEY") == 0 && *value != '\0') {
		saba_imp_set(&s->apikey, &s->apikey_from, value, file, "APIKEY");
	} else if (sysv && strcmp(name, "PIDFILE") == 0 && *value != '\0') {
		saba_imp_set(&s->pidfile, &s->pidfile_from, value, file, "PIDFILE");
	} else if (strcmp(name, "HTTP_PROXY") == 0 || strcmp(name, "http_proxy") == 0) {
		free(s->http_proxy);
		s->http_proxy = saba_strdup(value);
	} else if (strcmp(name, "HTTPS_PROXY") == 0 || strcmp(name, "https_proxy") == 0) {
		free(s->https_proxy);
		s->https_proxy = saba_strdup(value);
	} else if (strcmp(name, "MACKEREL_PLUGIN_WORKDIR") == 0) {
		free(s->workdir);
		s->workdir = saba_strdup(value);
	} else if (strcmp(name, "BIN") == 0 || strcmp(name, "LOGFILE") == 0) {
		saba_imp_finding(m, saba_imp_mark(m, file, line), 0,
				 "%s is for mackerel-agent's init script only; ignored", name);
	} else {
		/* exported to the agent, so its plugins saw it */
		if (strcmp(name, "NO_PROXY") == 0 || strcmp(name, "no_proxy") == 0)
			saba_imp_finding(
				m, saba_imp_mark(m, file, line), 1,
				"%s reaches the plugins, but not saba-agent's own requests: "
				"set it in saba-agent's service environment",
				name);
		s->env = saba_realloc(s->env, (s->nenv + 1) * sizeof(*s->env));
		s->env[s->nenv++] = saba_strdup(what);
		if (s->env_from == NULL)
			s->env_from = saba_strdup(file);
	}
	free(what);
}

int saba_imp_env_read(struct saba_imp *m, const char *path, int required, const char *conf)
{
	struct saba_imp_file *f;
	size_t len = 0;
	char *text = saba_read_file(path, SABA_IMP_ENV_MAX, &len), *p, *copy;
	int line = 0;

	if (text == NULL) {
		if (errno == ENOENT && !required)
			return 0;
		fprintf(stderr, "%s: cannot read: %s\n", path, strerror(errno));
		return -1;
	}
	f = saba_imp_add_file(m, path, text, len);
	copy = saba_strdup(text);
	for (p = copy; p != NULL;) {
		char *nl = strchr(p, '\n'), *name, *eq;

		if (nl != NULL)
			*nl = '\0';
		line++;
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p != '\0' && *p != '#' && *p != ';') {
			name = p;
			if (strncmp(name, "export ", 7) == 0)
				name += 7;
			eq = strchr(name, '=');
			if (eq == NULL || !saba_imp_env_name_ok(name, (size_t)(eq - name))) {
				saba_imp_finding(m, saba_imp_mark(m, f->name, line), 0,
						 "not a NAME=value line; ignored");
			} else {
				*eq = '\0';
				saba_imp_env_var(m, f->name, line, name, saba_imp_env_value(eq + 1),
						 conf);
			}
		}
		p = nl != NULL ? nl + 1 : NULL;
	}
	free(copy);
	return 0;
}
