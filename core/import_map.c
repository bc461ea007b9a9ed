/* Merging mackerel-agent's TOML documents as it decodes them, reporting
 * what cannot be carried over, and the top-level settings of the saba-agent
 * config (the plugin instances are import_plugins.c). */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "conf.h"
#include "duration.h"
#include "import_map.h"
#include "import_plugins.h"
#include "util.h"

/* mackerel-agent's field names (struct tags or field names). */
static const char *const saba_imp_top_names[SABA_IMP_TOP_N] = {
	[SABA_IMP_APIKEY] = "apikey",
	[SABA_IMP_APIBASE] = "apibase",
	[SABA_IMP_ROOT] = "root",
	[SABA_IMP_PIDFILE] = "pidfile",
	[SABA_IMP_CONFFILE] = "conffile",
	[SABA_IMP_ROLES] = "roles",
	[SABA_IMP_VERBOSE] = "verbose",
	[SABA_IMP_SILENT] = "silent",
	[SABA_IMP_DIAGNOSTIC] = "diagnostic",
	[SABA_IMP_KEEP_ALIVE] = "disable_http_keep_alive",
	[SABA_IMP_DISPLAY_NAME] = "display_name",
	[SABA_IMP_HOST_STATUS] = "host_status",
	[SABA_IMP_DISKS] = "disks",
	[SABA_IMP_FILESYSTEMS] = "filesystems",
	[SABA_IMP_INTERFACES] = "interfaces",
	[SABA_IMP_HTTP_PROXY] = "http_proxy",
	[SABA_IMP_HTTPS_PROXY] = "https_proxy",
	[SABA_IMP_CLOUD_PLATFORM] = "cloud_platform",
	[SABA_IMP_PLUGIN] = "plugin",
	[SABA_IMP_INCLUDE] = "include",
};

/* The keys of the tables among them, in the order of m->sub[][]. */
static const char *const saba_imp_sub_names[SABA_IMP_TOP_N][SABA_IMP_SUB_MAX] = {
	[SABA_IMP_HOST_STATUS] = {"on_start", "on_stop"},
	[SABA_IMP_DISKS] = {"ignore", NULL},
	[SABA_IMP_FILESYSTEMS] = {"ignore", "use_mountpoint"},
	[SABA_IMP_INTERFACES] = {"ignore", "use_adapter"},
};

static const char *const saba_imp_kind_names[SABA_IMP_KINDS] = {"metrics", "checks", "metadata"};

/* ------------------------------------------------------------------ */
/* helpers */

int saba_imp_key_is(const char *key, const char *field)
{
	return strcmp(key, field) == 0 || strcasecmp(key, field) == 0;
}

const char *saba_imp_type_name(int type)
{
	switch (type) {
	case SABA_TOML_TABLE:
		return "a table";
	case SABA_TOML_ARRAY:
		return "an array";
	case SABA_TOML_STRING:
		return "a string";
	case SABA_TOML_INT:
		return "an integer";
	case SABA_TOML_FLOAT:
		return "a float";
	case SABA_TOML_BOOL:
		return "a boolean";
	default:
		return "a date or time";
	}
}

static int saba_imp_bare(const char *key)
{
	if (*key == '\0')
		return 0;
	for (; *key != '\0'; key++)
		if (!((*key >= 'a' && *key <= 'z') || (*key >= 'A' && *key <= 'Z') ||
		      (*key >= '0' && *key <= '9') || *key == '_' || *key == '-'))
			return 0;
	return 1;
}

char *saba_imp_path(const char *prefix, const char *key)
{
	size_t n = strlen(key), used = 0;
	char *q;

	if (saba_imp_bare(key))
		return prefix != NULL ? saba_asprintf("%s.%s", prefix, key) : saba_strdup(key);
	/* a basic string: quotes, backslashes and control characters escaped */
	q = saba_calloc(1, n * 6 + 3);
	q[used++] = '"';
	for (const unsigned char *p = (const unsigned char *)key; *p != '\0'; p++) {
		if (*p == '"' || *p == '\\')
			used += (size_t)sprintf(q + used, "\\%c", *p);
		else if (*p < 0x20 || *p == 0x7f)
			used += (size_t)sprintf(q + used, "\\u%04x", *p);
		else
			q[used++] = (char)*p;
	}
	q[used++] = '"';
	if (prefix != NULL) {
		char *full = saba_asprintf("%s.%s", prefix, q);

		free(q);
		return full;
	}
	return q;
}

int saba_imp_name_ok(const char *name)
{
	if (!((*name >= 'a' && *name <= 'z') || (*name >= 'A' && *name <= 'Z') || *name == '*'))
		return 0;
	for (name++; *name != '\0'; name++)
		if (!((*name >= 'a' && *name <= 'z') || (*name >= 'A' && *name <= 'Z') ||
		      (*name >= '0' && *name <= '9') || *name == '_' || *name == '-' ||
		      *name == '*'))
			return 0;
	return 1;
}

char *saba_imp_text(const struct saba_toml *v)
{
	switch (v->type) {
	case SABA_TOML_STRING:
		return saba_strdup(v->text);
	case SABA_TOML_INT:
		return saba_asprintf("%lld", v->i);
	case SABA_TOML_FLOAT:
		return saba_asprintf("%f", v->f); /* Go's %f */
	case SABA_TOML_BOOL:
		return saba_strdup(v->b ? "true" : "false");
	default:
		return NULL;
	}
}

void saba_imp_set_string(config_setting_t *group, const char *name, const char *value)
{
	config_setting_set_string(config_setting_add(group, name, CONFIG_TYPE_STRING), value);
}

void saba_imp_set_int(config_setting_t *group, const char *name, long long value)
{
	if (value >= -2147483647LL - 1 && value <= 2147483647LL)
		config_setting_set_int(config_setting_add(group, name, CONFIG_TYPE_INT),
				       (int)value);
	else
		config_setting_set_int64(config_setting_add(group, name, CONFIG_TYPE_INT64), value);
}

void saba_imp_set_bool(config_setting_t *group, const char *name, int value)
{
	config_setting_set_bool(config_setting_add(group, name, CONFIG_TYPE_BOOL), value);
}

/* ------------------------------------------------------------------ */
/* findings and reports */

void saba_imp_finding(struct saba_imp *m, const struct saba_toml *at, int lost, const char *fmt,
		      ...)
{
	struct saba_imp_finding *f;
	va_list ap;

	m->findings = saba_realloc(m->findings, (m->nfindings + 1) * sizeof(*m->findings));
	f = &m->findings[m->nfindings++];
	f->at = at;
	f->lost = lost;
	va_start(ap, fmt);
	f->text = saba_vasprintf(fmt, ap);
	va_end(ap);
}

struct saba_imp_file *saba_imp_add_file(struct saba_imp *m, const char *name, char *text,
					size_t len)
{
	struct saba_imp_file *f;

	m->files = saba_realloc(m->files, (m->nfiles + 1) * sizeof(*m->files));
	f = &m->files[m->nfiles++];
	memset(f, 0, sizeof(*f));
	f->name = saba_strdup(name);
	f->text = text;
	f->len = len;
	return f;
}

/* The file a node came from. */
static struct saba_imp_file *saba_imp_file_of(struct saba_imp *m, const struct saba_toml *at)
{
	for (size_t i = 0; at != NULL && i < m->nfiles; i++)
		if (m->files[i].name == at->file)
			return &m->files[i];
	return NULL;
}

/* The text of line (1-based) of f, without its newline, at most 160 bytes;
 * malloc'd, or NULL. */
static char *saba_imp_line_text(struct saba_imp_file *f, int line)
{
	size_t start, end;

	if (f == NULL || f->text == NULL || line < 1)
		return NULL;
	if (f->lines == NULL) {
		size_t n = 1;

		for (size_t i = 0; i < f->len; i++)
			n += f->text[i] == '\n';
		f->lines = saba_calloc(n, sizeof(*f->lines));
		f->nlines = 1;
		for (size_t i = 0; i < f->len; i++)
			if (f->text[i] == '\n')
				f->lines[f->nlines++] = i + 1;
	}
	if ((size_t)line > f->nlines)
		return NULL;
	start = f->lines[line - 1];
	for (end = start; end < f->len && f->text[end] != '\n' && f->text[end] != '\r'; end++)
		;
	while (start < end && (f->text[start] == ' ' || f->text[start] == '\t'))
		start++;
	if (end - start > 160)
		end = start + 160;
	return saba_asprintf("%.*s", (int)(end - start), f->text + start);
}

/* Printable on a terminal: control characters as '?'. */
static void saba_imp_scrub(char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = '?';
}

/* The "FILE:LINE" of a node, or "" when it has none. */
static char *saba_imp_where(const struct saba_toml *at)
{
	if (at == NULL || at->file == NULL)
		return saba_strdup("");
	if (at->line > 0)
		return saba_asprintf("%s:%d", at->file, at->line);
	return saba_strdup(at->file);
}

/* quote: show the source line (never for the API key) */
static void saba_imp_report(struct saba_imp *m, config_setting_t *group, const struct saba_toml *at,
			    int lost, int quote, char *msg)
{
	char *where = saba_imp_where(at);
	char *line = quote ? saba_imp_line_text(saba_imp_file_of(m, at), at != NULL ? at->line : 0)
			   : NULL;

	if (lost) {
		char *out = saba_asprintf("%s%s%s%s%s%snot carried over: %s", where,
					  *where != '\0' ? ": " : "", line != NULL ? "`" : "",
					  line != NULL ? line : "", line != NULL ? "`" : "",
					  line != NULL ? ": " : "", msg);

		saba_imp_scrub(out);
		fprintf(stderr, "%s\n", out);
		free(out);
		m->lost++;
		saba_note(m->ns, group, "NOT CARRIED OVER%s%s%s: %s%s%s", *where ? " (" : "", where,
			  *where ? ")" : "", line != NULL ? line : "", line != NULL ? ": " : "",
			  msg);
	} else {
		saba_note(m->ns, group, "%s%s%s", where, *where != '\0' ? ": " : "", msg);
	}
	free(line);
	free(where);
	free(msg);
}

void saba_imp_lost(struct saba_imp *m, config_setting_t *group, const struct saba_toml *at,
		   const char *fmt, ...)
{
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	msg = saba_vasprintf(fmt, ap);
	va_end(ap);
	saba_imp_report(m, group, at, 1, 1, msg);
}

void saba_imp_remark(struct saba_imp *m, config_setting_t *group, const struct saba_toml *at,
		     const char *fmt, ...)
{
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	msg = saba_vasprintf(fmt, ap);
	va_end(ap);
	saba_imp_report(m, group, at, 0, 1, msg);
}

int saba_imp_string(struct saba_imp *m, config_setting_t *group, const struct saba_toml *v,
		    const char *path, const char **out)
{
	if (v->type != SABA_TOML_STRING) {
		saba_imp_lost(m, group, v,
			      "%s must be a string, not %s (mackerel-agent refuses it)", path,
			      saba_imp_type_name(v->type));
		return -1;
	}
	if (strlen(v->text) != v->len) {
		saba_imp_lost(m, group, v,
			      "%s holds a NUL character, which a saba-agent config "
			      "cannot",
			      path);
		return -1;
	}
	*out = v->text;
	return 0;
}

int saba_imp_duration(struct saba_imp *m, config_setting_t *group, const struct saba_toml *v,
		      const char *path, long long *minutes)
{
	char *text = saba_imp_text(v), err[256];
	int rc = -1;

	if (text == NULL)
		saba_imp_lost(m, group, v,
			      "%s must be a number of minutes or a duration string, not %s", path,
			      saba_imp_type_name(v->type));
	else if (strlen(text) != (v->type == SABA_TOML_STRING ? v->len : strlen(text)))
		saba_imp_lost(m, group, v, "%s holds a NUL character", path);
	else if (saba_duration_minutes(text, minutes, err, sizeof(err)) != 0)
		saba_imp_lost(m, group, v, "%s: %s (mackerel-agent refuses it)", path, err);
	else
		rc = 0;
	free(text);
	return rc;
}

/* ------------------------------------------------------------------ */
/* merging */

static int saba_imp_top_index(const char *key)
{
	for (int i = 0; i < SABA_IMP_TOP_N; i++)
		if (strcmp(key, saba_imp_top_names[i]) == 0)
			return i;
	for (int i = 0; i < SABA_IMP_TOP_N; i++)
		if (saba_imp_key_is(key, saba_imp_top_names[i]))
			return i;
	return -1;
}

static void saba_imp_merge_section(struct saba_imp *m, int idx, const struct saba_toml *t)
{
	char *path;

	if (t->type != SABA_TOML_TABLE) {
		saba_imp_finding(m, t, 1, "%s must be a table, not %s (mackerel-agent refuses it)",
				 saba_imp_top_names[idx], saba_imp_type_name(t->type));
		return;
	}
	for (size_t i = 0; i < t->n; i++) {
		const struct saba_toml *k = t->kids[i];
		int found = 0;

		for (int j = 0; j < SABA_IMP_SUB_MAX && saba_imp_sub_names[idx][j] != NULL; j++)
			if (!found && saba_imp_key_is(k->key, saba_imp_sub_names[idx][j])) {
				m->sub[idx][j] = k;
				found = 1;
			}
		if (!found) {
			path = saba_imp_path(saba_imp_top_names[idx], k->key);
			saba_imp_finding(m, k, 1,
					 "%s is not a mackerel-agent setting (it ignores it too)",
					 path);
			free(path);
		}
	}
}

static void saba_imp_add_plugin(struct saba_imp *m, int kind, const struct saba_toml *p)
{
	for (size_t i = 0; i < m->nplugins; i++)
		if (m->plugins[i].kind == kind && strcmp(m->plugins[i].node->key, p->key) == 0) {
			m->plugins[i].node = p; /* a later file's replaces it whole */
			return;
		}
	m->plugins = saba_realloc(m->plugins, (m->nplugins + 1) * sizeof(*m->plugins));
	m->plugins[m->nplugins].kind = kind;
	m->plugins[m->nplugins].node = p;
	m->plugins[m->nplugins].order = m->nplugins;
	m->nplugins++;
}

static void saba_imp_merge_plugins(struct saba_imp *m, const struct saba_toml *t)
{
	if (t->type != SABA_TOML_TABLE) {
		saba_imp_finding(m, t, 1, "plugin must be a table, not %s",
				 saba_imp_type_name(t->type));
		return;
	}
	for (size_t i = 0; i < t->n; i++) {
		const struct saba_toml *k = t->kids[i];
		char *path = saba_imp_path("plugin", k->key);
		int kind = -1;

		/* the kinds are map keys: exact */
		for (int j = 0; j < SABA_IMP_KINDS; j++)
			if (strcmp(k->key, saba_imp_kind_names[j]) == 0)
				kind = j;
		if (kind < 0) {
			saba_imp_finding(
				m, k, 1,
				"[%s]: unknown kind of plugin \"%s\" (only metrics, checks "
				"and metadata exist; mackerel-agent ignores it)",
				path, k->key);
		} else if (k->type != SABA_TOML_TABLE) {
			saba_imp_finding(m, k, 1, "%s must be a table of plugins, not %s", path,
					 saba_imp_type_name(k->type));
		} else {
			for (size_t j = 0; j < k->n; j++) {
				const struct saba_toml *p = k->kids[j];

				if (p->type == SABA_TOML_TABLE) {
					saba_imp_add_plugin(m, kind, p);
				} else {
					char *pp = saba_imp_path(path, p->key);

					saba_imp_finding(m, p, 1,
							 "%s must be a table, not %s "
							 "(mackerel-agent refuses it)",
							 pp, saba_imp_type_name(p->type));
					free(pp);
				}
			}
		}
		free(path);
	}
}

void saba_imp_merge(struct saba_imp *m, const struct saba_toml *doc, int is_main)
{
	/* Later keys win, as each document decodes over the one before; roles
	 * too (replaced only when an included file sets them). */
	for (size_t i = 0; i < doc->n; i++) {
		const struct saba_toml *k = doc->kids[i];
		int idx = saba_imp_top_index(k->key);
		char *path;

		switch (idx) {
		case -1:
			path = saba_imp_path(NULL, k->key);
			saba_imp_finding(m, k, 1,
					 "%s is not a mackerel-agent setting (it ignores it too)",
					 path);
			free(path);
			break;
		case SABA_IMP_HOST_STATUS:
		case SABA_IMP_DISKS:
		case SABA_IMP_FILESYSTEMS:
		case SABA_IMP_INTERFACES:
			saba_imp_merge_section(m, idx, k);
			break;
		case SABA_IMP_PLUGIN:
			saba_imp_merge_plugins(m, k);
			break;
		case SABA_IMP_INCLUDE:
			if (is_main)
				m->top[idx] = k;
			else
				saba_imp_finding(m, k, 0,
						 "include in an included file is not followed (by "
						 "mackerel-agent either)");
			break;
		default:
			m->top[idx] = k;
			break;
		}
	}
}

void saba_imp_free(struct saba_imp *m)
{
	struct saba_imp_service *s = &m->svc;

	for (size_t i = 0; i < m->nfiles; i++) {
		free(m->files[i].name);
		free(m->files[i].text);
		free(m->files[i].lines);
		saba_toml_free(m->files[i].doc);
	}
	free(m->files);
	free(m->plugins);
	for (size_t i = 0; i < m->nfindings; i++)
		free(m->findings[i].text);
	free(m->findings);
	free(s->root);
	free(s->apibase);
	free(s->apikey);
	free(s->pidfile);
	free(s->root_from);
	free(s->apibase_from);
	free(s->apikey_from);
	free(s->pidfile_from);
	for (size_t i = 0; i < s->nroles; i++)
		free(s->roles[i]);
	free(s->roles);
	free(s->roles_from);
	free(s->verbose_from);
	free(s->diagnostic_from);
	free(s->http_proxy);
	free(s->https_proxy);
	free(s->workdir);
	for (size_t i = 0; i < s->nenv; i++)
		free(s->env[i]);
	free(s->env);
	free(s->env_from);
	free(s->auto_retirement_from);
	for (size_t i = 0; i < s->nmarks; i++)
		free(s->marks[i]);
	free(s->marks);
	memset(m, 0, sizeof(*m));
}

/* ------------------------------------------------------------------ */
/* the top-level settings */

/* A top-level string, or NULL when unset, empty or not a string (reported). */
static const char *saba_imp_top_string(struct saba_imp *m, config_setting_t *root, int idx)
{
	const char *s;

	if (m->top[idx] == NULL ||
	    saba_imp_string(m, root, m->top[idx], saba_imp_top_names[idx], &s) != 0)
		return NULL;
	return *s != '\0' ? s : NULL;
}

/* A boolean of a table or the top level: 1 or 0, -1 when unset or wrong. */
static int saba_imp_bool(struct saba_imp *m, config_setting_t *group, const struct saba_toml *v,
			 const char *path)
{
	if (v == NULL)
		return -1;
	if (v->type != SABA_TOML_BOOL) {
		saba_imp_lost(m, group, v, "%s must be true or false, not %s", path,
			      saba_imp_type_name(v->type));
		return -1;
	}
	return v->b;
}

static int saba_imp_has_id(const char *root)
{
	char *path = saba_asprintf("%s/id", root);
	int ok = access(path, F_OK) == 0;

	free(path);
	return ok;
}

/* The id file decides which root is mackerel-agent's: the service's --root
 * (which overrides the config's), the config's root, or the default.  The
 * first that holds an id wins, else the first given. */
static void saba_imp_root(struct saba_imp *m, config_setting_t *root)
{
	const char *from_conf = saba_imp_top_string(m, root, SABA_IMP_ROOT);
	const char *cand[3] = {m->svc.root, from_conf, m->default_root};
	const char *first = NULL, *pick = NULL;

	for (int i = 0; i < 3; i++) {
		if (cand[i] == NULL)
			continue;
		if (first == NULL)
			first = cand[i];
		if (pick == NULL && saba_imp_has_id(cand[i]))
			pick = cand[i];
	}
	if (pick == NULL)
		pick = first;
	if (pick == m->svc.root)
		saba_imp_remark(m, root, NULL,
				"root from %s (the service's --root overrides the "
				"config's)",
				m->svc.root_from);
	else if (first != pick)
		saba_imp_remark(m, root, m->top[SABA_IMP_ROOT],
				"root is %s: the host id file mackerel-agent used is there, not in "
				"%s",
				pick, first);
	saba_imp_remark(m, root, NULL,
			"Keeps mackerel-agent's host id: this host stays the same Mackerel host.");
	saba_imp_set_string(root, "root", pick);
}

/* A top-level string, or the service's value for it, which wins as the
 * flag it was given as did. */
static const char *saba_imp_top_or_service(struct saba_imp *m, config_setting_t *root, int idx,
					   const char *svc, const char *svc_from)
{
	const char *v = saba_imp_top_string(m, root, idx);

	if (svc == NULL)
		return v;
	saba_imp_remark(m, root, NULL, "%s from %s", saba_imp_top_names[idx], svc_from);
	return svc;
}

static void saba_imp_apikey(struct saba_imp *m, config_setting_t *root)
{
	const char *key = saba_imp_top_or_service(m, root, SABA_IMP_APIKEY, m->svc.apikey,
						  m->svc.apikey_from);
	const struct saba_toml *at = m->svc.apikey != NULL ? NULL : m->top[SABA_IMP_APIKEY];
	char why[128], *clean;

	if (key != NULL) {
		clean = saba_strdup(key);
		if (saba_conf_apikey_clean(clean, why, sizeof(why)) != NULL)
			saba_imp_report(
				m, root, at, 1, 0,
				saba_asprintf("apikey %s: set apikey (or apikey_file) by hand",
					      why));
		else
			saba_imp_set_string(root, "apikey", clean);
		free(clean);
	} else {
		saba_imp_remark(
			m, root, NULL,
			"No apikey in the mackerel-agent config: set apikey (or apikey_file, "
			"or SABA_AGENT_APIKEY) before `saba-agent run`.\napikey = \"...\";");
	}
}

static void saba_imp_apibase(struct saba_imp *m, config_setting_t *root)
{
	const char *base = saba_imp_top_or_service(m, root, SABA_IMP_APIBASE, m->svc.apibase,
						   m->svc.apibase_from);
	const struct saba_toml *at = m->svc.apibase != NULL ? NULL : m->top[SABA_IMP_APIBASE];

	if (base == NULL)
		return;
	if (strncmp(base, "https://", 8) != 0 && strncmp(base, "http://", 7) != 0)
		saba_imp_lost(m, root, at, "apibase \"%s\" is not an http:// or https:// URL",
			      base);
	else
		saba_imp_set_string(root, "apibase", base);
}

static void saba_imp_pidfile(struct saba_imp *m, config_setting_t *root)
{
	const char *pid = saba_imp_top_or_service(m, root, SABA_IMP_PIDFILE, m->svc.pidfile,
						  m->svc.pidfile_from);

	if (pid != NULL)
		saba_imp_set_string(root, "pidfile", pid);
	else
		saba_imp_remark(m, root, NULL,
				"mackerel-agent wrote /var/run/mackerel-agent.pid by default; "
				"saba-agent writes a pidfile only when pidfile is set.");
}

static void saba_imp_roles(struct saba_imp *m, config_setting_t *root)
{
	const struct saba_toml *t = m->top[SABA_IMP_ROLES];
	config_setting_t *roles = NULL;

	if (m->svc.roles_set) {
		saba_imp_remark(m, root, NULL, "roles from %s (-role replaces the config's roles)",
				m->svc.roles_from);
		for (size_t i = 0; i < m->svc.nroles; i++) {
			if (!saba_conf_role_valid(m->svc.roles[i])) {
				saba_imp_remark(m, root, NULL,
						"role \"%s\" dropped: not <service>:<role> "
						"(mackerel-agent drops it too)",
						m->svc.roles[i]);
				continue;
			}
			if (roles == NULL)
				roles = config_setting_add(root, "roles", CONFIG_TYPE_ARRAY);
			config_setting_set_string_elem(roles, -1, m->svc.roles[i]);
		}
		return;
	}
	if (t == NULL)
		return;
	if (t->type != SABA_TOML_ARRAY) {
		saba_imp_lost(m, root, t, "roles must be an array of strings, not %s",
			      saba_imp_type_name(t->type));
		return;
	}
	for (size_t i = 0; i < t->n; i++) {
		const char *r;

		if (saba_imp_string(m, root, t->kids[i], "roles[]", &r) != 0)
			continue;
		if (!saba_conf_role_valid(r)) {
			saba_imp_remark(m, root, t->kids[i],
					"role \"%s\" dropped: not <service>:<role> (mackerel-agent "
					"drops it too)",
					r);
			continue;
		}
		if (roles == NULL)
			roles = config_setting_add(root, "roles", CONFIG_TYPE_ARRAY);
		config_setting_set_string_elem(roles, -1, r);
	}
}

/* verbose and silent become log_level. */
static void saba_imp_log_level(struct saba_imp *m, config_setting_t *root)
{
	int verbose = saba_imp_bool(m, root, m->top[SABA_IMP_VERBOSE], "verbose");
	int silent = saba_imp_bool(m, root, m->top[SABA_IMP_SILENT], "silent");

	if (m->svc.verbose) {
		saba_imp_remark(m, root, NULL, "verbose from %s", m->svc.verbose_from);
		verbose = 1;
	}
	if (verbose == 1)
		saba_imp_set_string(root, "log_level", "debug"); /* verbose wins, as upstream */
	else if (silent == 1)
		saba_imp_set_string(root, "log_level", "error");
}

static void saba_imp_host_status(struct saba_imp *m, config_setting_t *root)
{
	static const char *const valid[] = {"working", "standby", "maintenance", "poweroff"};
	config_setting_t *g = NULL;

	for (int j = 0; j < 2; j++) {
		const struct saba_toml *v = m->sub[SABA_IMP_HOST_STATUS][j];
		const char *name = saba_imp_sub_names[SABA_IMP_HOST_STATUS][j], *s;
		char path[32];
		int ok = 0;

		snprintf(path, sizeof(path), "host_status.%s", name);
		if (v == NULL || saba_imp_string(m, root, v, path, &s) != 0 || *s == '\0')
			continue;
		for (size_t i = 0; i < sizeof(valid) / sizeof(valid[0]); i++)
			ok |= strcmp(s, valid[i]) == 0;
		if (!ok) {
			saba_imp_lost(m, root, v,
				      "%s = \"%s\": not a host status (working, standby, "
				      "maintenance, poweroff); the API refuses it",
				      path, s);
			continue;
		}
		if (g == NULL)
			g = config_setting_add(root, "host_status", CONFIG_TYPE_GROUP);
		saba_imp_set_string(g, name, s);
	}
}

static int saba_imp_proxy_on(const char *p)
{
	return p != NULL && *p != '\0' && strcmp(p, "direct") != 0;
}

/* http_proxy/https_proxy as mackerel-agent's setProxy() exports them
 * (HTTP_PROXY, HTTPS_PROXY, "direct" meaning unset, http_proxy standing in
 * for an empty https_proxy), over the service's environment. */
static void saba_imp_proxies(struct saba_imp *m, config_setting_t *root, char **http, char **https)
{
	const char *hp = NULL, *hsp = NULL;

	if (m->top[SABA_IMP_HTTP_PROXY] != NULL &&
	    saba_imp_string(m, root, m->top[SABA_IMP_HTTP_PROXY], "http_proxy", &hp) != 0)
		hp = NULL;
	if (m->top[SABA_IMP_HTTPS_PROXY] != NULL &&
	    saba_imp_string(m, root, m->top[SABA_IMP_HTTPS_PROXY], "https_proxy", &hsp) != 0)
		hsp = NULL;
	*http = saba_strdup(saba_imp_proxy_on(hp) ? hp
			    : m->svc.http_proxy	  ? m->svc.http_proxy
						  : "");
	if (saba_imp_proxy_on(hsp))
		*https = saba_strdup(hsp);
	else if (saba_imp_proxy_on(hp) && (hsp == NULL || *hsp == '\0'))
		*https = saba_strdup(hp);
	else
		*https = saba_strdup(m->svc.https_proxy != NULL ? m->svc.https_proxy : "");
}

static void saba_imp_http(struct saba_imp *m, config_setting_t *root, const char *api_proxy)
{
	int no_keep_alive =
		saba_imp_bool(m, root, m->top[SABA_IMP_KEEP_ALIVE], "disable_http_keep_alive");
	config_setting_t *g;

	if (*api_proxy == '\0' && no_keep_alive != 1)
		return;
	g = config_setting_add(root, "http", CONFIG_TYPE_GROUP);
	if (*api_proxy != '\0')
		saba_imp_set_string(g, "proxy", api_proxy);
	if (no_keep_alive == 1)
		saba_imp_set_bool(g, "keep_alive", 0);
}

int saba_imp_build(struct saba_imp *m, config_t *cfg, struct saba_notes *ns)
{
	config_setting_t *root = config_root_setting(cfg);
	const char *base = NULL, *name;
	char *http = NULL, *https = NULL;

	m->cfg = cfg;
	m->ns = ns;
	for (size_t i = 0; i < m->nfindings; i++)
		saba_imp_report(m, root, m->findings[i].at, m->findings[i].lost, 1,
				saba_strdup(m->findings[i].text));
	if (m->top[SABA_IMP_CONFFILE] != NULL)
		saba_imp_remark(m, root, m->top[SABA_IMP_CONFFILE],
				"conffile is ignored (by mackerel-agent too: -conf decides)");
	saba_imp_apikey(m, root);
	saba_imp_apibase(m, root);
	saba_imp_root(m, root);
	saba_imp_pidfile(m, root);
	if ((name = saba_imp_top_string(m, root, SABA_IMP_DISPLAY_NAME)) != NULL)
		saba_imp_set_string(root, "display_name", name);
	saba_imp_roles(m, root);
	saba_imp_log_level(m, root);
	saba_imp_host_status(m, root);
	saba_imp_proxies(m, root, &http, &https);
	config_setting_lookup_string(root, "apibase", &base);
	saba_imp_http(m, root, base != NULL && strncmp(base, "http://", 7) == 0 ? http : https);
	saba_imp_build_plugins(m, root, http, https);
	free(http);
	free(https);
	return m->lost;
}
