#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf_write.h"
#include "import.h"
#include "import_env.h"
#include "import_map.h"
#include "privmod.h"
#include "util.h"

/* Far above any real config (a few kB); the parser's memory stays bounded. */
#define SABA_IMPORT_MAX_FILE (64 * 1024 * 1024)

#ifdef SABA_TOML_LINKED /* the fuzz and test builds link the module in */
const struct saba_toml_module *saba_import_toml(char *err, size_t errlen)
{
	(void)err;
	(void)errlen;
	return saba_toml_module_entry();
}
#elif defined(SABA_HAVE_TOML)
static int saba_import_toml_check(const void *api, char *why, size_t len)
{
	const struct saba_toml_module *t = api;

	if (t->version != SABA_TOML_MODULE_VERSION || t->struct_size < sizeof(*t) ||
	    t->build == NULL || strcmp(t->build, PACKAGE_VERSION) != 0) {
		snprintf(why, len, "not the TOML module of saba-agent %s (module of %s)",
			 PACKAGE_VERSION, t->build != NULL ? t->build : "?");
		return 0;
	}
	return 1;
}

const struct saba_toml_module *saba_import_toml(char *err, size_t errlen)
{
	static const struct saba_toml_module *mod;
	static char why[1024];

	/* one thread: commands run before any thread starts */
	if (mod == NULL && why[0] == '\0')
		mod = saba_privmod_load("saba-toml.so", "SABA_TOML_MODULE",
					"saba_toml_module_entry", saba_import_toml_check, why,
					sizeof(why));
	if (mod == NULL)
		snprintf(err, errlen, "cannot load the TOML module: %s", why);
	return mod;
}
#else
const struct saba_toml_module *saba_import_toml(char *err, size_t errlen)
{
	snprintf(err, errlen,
		 "this saba-agent was built without toml++ (Debian: libtomlplusplus-dev), so it "
		 "cannot read mackerel-agent configs");
	return NULL;
}
#endif

void saba_toml_free(struct saba_toml *t)
{
	if (t == NULL)
		return;
	for (size_t i = 0; i < t->n; i++)
		saba_toml_free(t->kids[i]);
	free(t->kids);
	free(t->key);
	free(t->text);
	free(t);
}

int saba_import_is_toml(const char *text, size_t len)
{
	const struct saba_toml_module *mod;
	struct saba_toml *doc = NULL;
	char err[256];
	int line, ok;

	mod = saba_import_toml(err, sizeof(err));
	if (mod == NULL)
		return 0;
	ok = mod->parse(text, len, &doc, err, sizeof(err), &line) == 0;
	saba_toml_free(doc);
	return ok;
}

/* The whole file, at most SABA_IMPORT_MAX_FILE bytes; NULL after printing
 * why. */
static char *saba_import_read(const char *path, size_t *len)
{
	struct stat st;
	char *buf = NULL;
	size_t used = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0 || fstat(fd, &st) != 0) {
		fprintf(stderr, "%s: cannot read: %s\n", path, strerror(errno));
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		fprintf(stderr, "%s: not a regular file\n", path);
		goto fail;
	}
	if (st.st_size > SABA_IMPORT_MAX_FILE) {
		fprintf(stderr,
			"%s: %lld bytes is more than any mackerel-agent config (at most %d "
			"MiB)\n",
			path, (long long)st.st_size, SABA_IMPORT_MAX_FILE / (1024 * 1024));
		goto fail;
	}
	buf = saba_calloc(1, (size_t)st.st_size + 1);
	while (used < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + used, (size_t)st.st_size - used);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			fprintf(stderr, "%s: cannot read: %s\n", path, strerror(errno));
			goto fail;
		}
		if (n == 0)
			break;
		used += (size_t)n;
	}
	close(fd);
	*len = used;
	return buf;
fail:
	if (fd >= 0)
		close(fd);
	free(buf);
	return NULL;
}

static void saba_import_set_file(struct saba_toml *t, const char *file)
{
	t->file = file;
	for (size_t i = 0; i < t->n; i++)
		saba_import_set_file(t->kids[i], file);
}

/* Parse text (taken over) as the file path into m->files; the document, or
 * NULL after printing FILE:LINE: why. */
static struct saba_toml *saba_import_parse_text(struct saba_imp *m,
						const struct saba_toml_module *mod,
						const char *path, char *text, size_t len)
{
	struct saba_imp_file *f;
	struct saba_toml *doc = NULL;
	char err[512];
	int line = 0;

	if (mod->parse(text, len, &doc, err, sizeof(err), &line) != 0) {
		for (char *p = err; *p != '\0'; p++)
			if ((unsigned char)*p < 0x20)
				*p = ' ';
		if (line > 0)
			fprintf(stderr, "%s:%d: %s\n", path, line, err);
		else
			fprintf(stderr, "%s: %s\n", path, err);
		free(text);
		return NULL;
	}
	f = saba_imp_add_file(m, path, text, len);
	f->doc = doc;
	saba_import_set_file(doc, f->name);
	return doc;
}

static struct saba_toml *saba_import_parse(struct saba_imp *m, const struct saba_toml_module *mod,
					   const char *path)
{
	size_t len = 0;
	char *text = saba_import_read(path, &len);

	return text != NULL ? saba_import_parse_text(m, mod, path, text, len) : NULL;
}

/* include = "glob": each match in lexical order, decoded over the config
 * (as filepath.Glob, a '*' also matches names starting with a dot). */
static int saba_import_includes(struct saba_imp *m, const struct saba_toml_module *mod)
{
	const struct saba_toml *inc = m->top[SABA_IMP_INCLUDE];
	glob_t g;
	int rc = 0, e;

	if (inc == NULL)
		return 0;
	if (inc->type != SABA_TOML_STRING || strlen(inc->text) != inc->len) {
		saba_imp_finding(m, inc, 1, "include must be a string (a glob), not %s",
				 saba_imp_type_name(inc->type));
		return 0;
	}
	if (*inc->text == '\0')
		return 0;
	e = glob(inc->text, GLOB_PERIOD, NULL, &g);
	if (e == GLOB_NOMATCH) {
		saba_imp_finding(m, inc, 0, "include \"%s\" matches no file", inc->text);
		return 0;
	}
	if (e != 0) {
		saba_imp_finding(m, inc, 1, "include \"%s\" cannot be expanded", inc->text);
		return 0;
	}
	for (size_t i = 0; i < g.gl_pathc && rc == 0; i++) {
		const char *p = g.gl_pathv[i], *base = strrchr(p, '/');
		struct saba_toml *doc;

		base = base != NULL ? base + 1 : p;
		if (strcmp(base, ".") == 0 || strcmp(base, "..") == 0)
			continue;
		doc = saba_import_parse(m, mod, p);
		if (doc == NULL)
			rc = -1;
		else
			saba_imp_merge(m, doc, 0);
	}
	globfree(&g);
	return rc;
}

/* The init system AUTO_RETIREMENT's trigger is for: this machine's. */
static const char *saba_import_init(void)
{
	struct stat st;

	return stat("/run/systemd/system", &st) == 0 && S_ISDIR(st.st_mode) ? "systemd" : "sysv";
}

static char *saba_import_header(const struct saba_imp *m, const char *file)
{
	char *read = saba_strdup(""), *h;

	for (size_t i = 0; i < m->nfiles; i++) {
		char *next = saba_asprintf("%s\n  %s", read, m->files[i].name);

		free(read);
		read = next;
	}
	h = saba_asprintf(
		"saba-agent configuration imported from mackerel-agent's %s\n"
		"by `saba-agent import` (saba-agent %s).  Read:%s\n%s"
		"Check it with `saba-agent configtest`; saba-agent.conf(5) has every setting.",
		file, PACKAGE_VERSION, read,
		m->lost > 0
			? "Some settings could not be carried over: see NOT CARRIED OVER below.\n"
			: "");
	free(read);
	return h;
}

static int saba_import_output(const struct saba_import_options *o, const char *text)
{
	char err[1024];

	if (o->output == NULL || strcmp(o->output, "-") == 0) {
		if (fputs(text, stdout) == EOF || fflush(stdout) != 0) {
			fprintf(stderr, "saba-agent: import: cannot write the config: %s\n",
				strerror(errno));
			return -1;
		}
		return 0;
	}
	/* mode 0600: it holds the API key */
	if (saba_write_file_atomic(o->output, text, 0600, o->force, err, sizeof(err)) != 0) {
		if (errno == EEXIST && !o->force)
			fprintf(stderr,
				"saba-agent: import: %s exists; --force replaces it (nothing "
				"written)\n",
				o->output);
		else
			fprintf(stderr, "saba-agent: import: %s\n", err);
		return -1;
	}
	fprintf(stderr, "saba-agent: import: wrote %s\n", o->output);
	return 0;
}

char *saba_import_string(const char *file, const char *text, size_t len, int *lost)
{
	const struct saba_toml_module *mod;
	struct saba_imp m = {0};
	struct saba_notes ns = {0};
	struct saba_toml *doc;
	char err[1024], *out = NULL, *copy;
	config_t cfg;

	*lost = 0;
	mod = saba_import_toml(err, sizeof(err));
	if (mod == NULL)
		return NULL;
	copy = saba_calloc(1, len + 1);
	memcpy(copy, text, len);
	m.default_root = "/var/lib/mackerel-agent";
	m.init = "systemd";
	config_init(&cfg);
	doc = saba_import_parse_text(&m, mod, file, copy, len);
	if (doc != NULL) {
		saba_imp_merge(&m, doc, 1);
		*lost = saba_imp_build(&m, &cfg, &ns);
		out = saba_conf_render(&cfg, &ns, "imported", err, sizeof(err));
		if (out == NULL)
			fprintf(stderr, "saba-agent: import: %s\n", err);
	}
	saba_notes_free(&ns);
	config_destroy(&cfg);
	saba_imp_free(&m);
	return out;
}

int saba_cmd_import(const struct saba_import_options *o)
{
	const char *file = o->file != NULL ? o->file : SABA_IMPORT_DEFAULT_CONF;
	static const char *const defaults[] = {SABA_IMP_ENV_DEB, SABA_IMP_ENV_RPM};
	const struct saba_toml_module *mod;
	struct saba_imp m = {0};
	struct saba_notes ns = {0};
	struct saba_toml *doc;
	char err[1024], *header = NULL, *text = NULL;
	config_t cfg;
	int rc = 2;

	config_init(&cfg);
	mod = saba_import_toml(err, sizeof(err));
	if (mod == NULL) {
		fprintf(stderr, "saba-agent: import: %s\n", err);
		goto out;
	}
	m.default_root = "/var/lib/mackerel-agent";
	m.init = o->init != NULL ? o->init : saba_import_init();
	doc = saba_import_parse(&m, mod, file);
	if (doc == NULL)
		goto out;
	saba_imp_merge(&m, doc, 1);
	if (saba_import_includes(&m, mod) != 0)
		goto out;
	if (!o->no_env_files) {
		const char *const *files = o->env_files != NULL ? o->env_files : defaults;
		size_t n = o->env_files != NULL ? o->n_env_files : 2;

		for (size_t i = 0; i < n; i++)
			if (saba_imp_env_read(&m, files[i], o->env_files != NULL, file) != 0)
				goto out;
	}
	saba_imp_build(&m, &cfg, &ns);
	header = saba_import_header(&m, file);
	text = saba_conf_render(&cfg, &ns, header, err, sizeof(err));
	if (text == NULL) {
		fprintf(stderr, "saba-agent: import: %s\n", err);
		goto out;
	}
	if (saba_import_output(o, text) != 0)
		goto out;
	if (m.lost > 0)
		fprintf(stderr,
			"saba-agent: import: %d setting%s could not be carried over (listed above "
			"and as NOT CARRIED OVER in the config)\n",
			m.lost, m.lost == 1 ? "" : "s");
	rc = m.lost > 0 ? 1 : 0;
out:
	free(text);
	free(header);
	saba_notes_free(&ns);
	config_destroy(&cfg);
	saba_imp_free(&m);
	return rc;
}
