#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "atomic.h"
#include "conf_write.h"
#include "util.h"

/* A note is a placeholder setting "*note-N" (libconfig allows '*' in
 * names; no setting of ours has one) that the writer puts exactly where
 * the comment belongs; rendering replaces its line. */
#define SABA_NOTE_PREFIX "*note-"

void saba_note(struct saba_notes *ns, config_setting_t *group, const char *fmt, ...)
{
	char name[32];
	va_list ap;
	char *text;

	va_start(ap, fmt);
	text = saba_vasprintf(fmt, ap);
	va_end(ap);
	ns->text = saba_realloc(ns->text, (ns->n + 1) * sizeof(*ns->text));
	snprintf(name, sizeof(name), SABA_NOTE_PREFIX "%zu", ns->n);
	ns->text[ns->n++] = text;
	config_setting_set_string(config_setting_add(group, name, CONFIG_TYPE_STRING), "");
}

void saba_notes_free(struct saba_notes *ns)
{
	for (size_t i = 0; i < ns->n; i++)
		free(ns->text[i]);
	free(ns->text);
	ns->text = NULL;
	ns->n = 0;
}

struct saba_buf {
	char *s;
	size_t len, cap;
};

static void saba_buf_add(struct saba_buf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		b->cap = (b->len + n + 1) * 2;
		b->s = saba_realloc(b->s, b->cap);
	}
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

#define SABA_COMMENT_WIDTH 78

/* One comment line: control characters become '?' so a comment can never
 * end early or hide anything. */
static void saba_buf_comment_line(struct saba_buf *b, size_t indent, const char *p, size_t n)
{
	for (size_t i = 0; i < indent; i++)
		saba_buf_add(b, " ", 1);
	saba_buf_add(b, n > 0 ? "# " : "#", n > 0 ? 2 : 1);
	for (size_t i = 0; i < n; i++) {
		char c = (unsigned char)p[i] < 0x20 || p[i] == 0x7f ? '?' : p[i];

		saba_buf_add(b, &c, 1);
	}
	saba_buf_add(b, "\n", 1);
}

/* text as "# " lines at indent, each of its lines wrapped at spaces. */
static void saba_buf_comment(struct saba_buf *b, size_t indent, const char *text)
{
	size_t width = indent + 20 < SABA_COMMENT_WIDTH ? SABA_COMMENT_WIDTH - indent - 2 : 20;
	const char *p = text;

	do {
		const char *nl = strchr(p, '\n');
		size_t n = nl != NULL ? (size_t)(nl - p) : strlen(p);

		while (n > width) {
			size_t cut = width;

			while (cut > 0 && p[cut] != ' ')
				cut--;
			if (cut == 0) /* one long word: keep it whole */
				for (cut = width; cut < n && p[cut] != ' '; cut++)
					;
			if (cut >= n)
				break;
			saba_buf_comment_line(b, indent, p, cut);
			p += cut + 1;
			n -= cut + 1;
		}
		saba_buf_comment_line(b, indent, p, n);
		p = nl != NULL ? nl + 1 : NULL;
	} while (p != NULL);
}

/* The note number of a placeholder line ("<indent>*note-N = "";"), or -1. */
static long saba_note_line(const char *line, size_t len, size_t *indent)
{
	size_t i = 0, pl = strlen(SABA_NOTE_PREFIX);
	char *end;
	long n;

	while (i < len && line[i] == ' ')
		i++;
	*indent = i;
	if (len - i < pl || memcmp(line + i, SABA_NOTE_PREFIX, pl) != 0)
		return -1;
	n = strtol(line + i + pl, &end, 10);
	if (end == line + i + pl || (size_t)(end - line) + 6 != len ||
	    memcmp(end, " = \"\";", 6) != 0)
		return -1;
	return n;
}

/* The writer's "name : \n{" becomes "name = {", and an empty group
 * "name = {\n};" becomes "name = {};".  The writer puts a group's name and
 * its brace on lines of their own and every string on one line, so these
 * are the only lines it can be. */
static int saba_group_open(const char *line, size_t len)
{
	return len >= 3 && memcmp(line + len - 3, " : ", 3) == 0;
}

char *saba_conf_render(config_t *cfg, const struct saba_notes *ns, const char *header, char *err,
		       size_t errlen)
{
	struct saba_buf raw = {0}, out = {0};
	config_t check;
	FILE *f;
	char *p;

	/* open_memstream is not on Windows; a temporary file is. */
	f = tmpfile();
	if (f == NULL) {
		snprintf(err, errlen, "cannot create a temporary file");
		return NULL;
	}
	config_write(cfg, f);
	rewind(f);
	for (;;) {
		char chunk[4096];
		size_t n = fread(chunk, 1, sizeof(chunk), f);

		if (n == 0)
			break;
		saba_buf_add(&raw, chunk, n);
	}
	fclose(f);
	if (header != NULL) {
		saba_buf_comment(&out, 0, header);
		saba_buf_add(&out, "\n", 1);
	}
	for (p = raw.s; p != NULL && *p != '\0';) {
		char *nl = strchr(p, '\n');
		size_t n = nl != NULL ? (size_t)(nl - p) : strlen(p), indent;
		long note = saba_note_line(p, n, &indent);
		char *next = nl != NULL ? nl + 1 : p + n;

		if (note >= 0 && (size_t)note < ns->n) {
			saba_buf_comment(&out, indent, ns->text[note]);
		} else if (saba_group_open(p, n) && strncmp(next, p, indent) == 0 &&
			   strncmp(next + indent, "{\n", 2) == 0) {
			char *after = next + indent + 2;

			saba_buf_add(&out, p, n - 3);
			if (strncmp(after, p, indent) == 0 &&
			    strncmp(after + indent, "};\n", 3) == 0) {
				saba_buf_add(&out, " = {};\n", 7);
				next = after + indent + 3;
			} else {
				saba_buf_add(&out, " = {\n", 5);
				next = after;
			}
		} else {
			saba_buf_add(&out, p, n);
			saba_buf_add(&out, "\n", 1);
		}
		p = next;
	}
	free(raw.s);
	/* The promise is a config that parses: prove it. */
	config_init(&check);
	if (config_read_string(&check, out.s != NULL ? out.s : "") != CONFIG_TRUE) {
		snprintf(err, errlen, "the written config does not parse (line %d: %s)",
			 config_error_line(&check), config_error_text(&check));
		config_destroy(&check);
		free(out.s);
		return NULL;
	}
	config_destroy(&check);
	return out.s != NULL ? out.s : saba_strdup("");
}

int saba_write_file_atomic(const char *path, const char *text, mode_t mode, int replace, char *err,
			   size_t errlen)
{
	const char *base = strrchr(path, '/');

	return saba_atomic_write(path, base != NULL ? base + 1 : path, text, strlen(text),
				 (unsigned)mode, replace, err, errlen);
}
