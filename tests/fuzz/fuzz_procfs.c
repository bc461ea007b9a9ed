/*
 * fuzz_procfs: the helpers every /proc plugin parses with, each checked
 * against an answer worked out independently here (all in plugins/lib/):
 * the procfs setting (procfs.c), lines, fields and numbers (textfile.c),
 * metric names (metricname.c), JSON strings (jsontext.c) and counter
 * samples (samples.c).
 * Input: a procfs setting, "%%", then text as in a /proc file.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include <saba/plugin-test.h>
#include "fuzz.h"
#include "plugins/lib/jsontext.h"
#include "plugins/lib/metricname.h"
#include "plugins/lib/procfs.h"
#include "plugins/lib/samples.h"
#include "plugins/lib/textfile.h"

#define FUZZ_FIELDS 8

/* What saba_procfs_path() must make of the current input's setting. */
static const char *fuzz_want;

static int fuzz_procfs_create(const struct saba_host *host, saba_ctx *ctx, void **instance)
{
	char *path = NULL;
	int rc = saba_procfs_path(host, ctx, "loadavg", &path);

	/* an empty root never gets here: the settings refuse it first */
	if (fuzz_want == NULL || rc != SABA_OK || strcmp(path, fuzz_want) != 0)
		fuzz_fail("saba_procfs_path() returned %d, \"%s\"; want \"%s\"", rc,
			  path ? path : "", fuzz_want ? fuzz_want : "(refused)");
	free(path);
	*instance = NULL;
	return rc;
}

/* The procfs setting (as libconfig \x escapes: any byte but NUL) joined
 * with a file name: the root without trailing slashes, "/", the name; an
 * empty one is refused. */
static void fuzz_procfs_path(const struct fuzz_part *root)
{
	static const struct saba_setting settings[] = {SABA_PROCFS_SETTING, {.name = NULL}};
	const struct saba_plugin shim = {
		SABA_PLUGIN_HEADER,
		.name = "procfs",
		.settings = settings,
		.create = fuzz_procfs_create,
	};
	char *text = malloc(root->len * 4 + 1), *t = text, *want = malloc(root->len + 16);
	struct saba_test_host *fh;
	void *inst;
	size_t n = 0;

	if (text == NULL || want == NULL)
		fuzz_fail("out of memory");
	for (size_t i = 0; i < root->len; i++) {
		if (root->data[i] == '\0')
			continue;
		t += sprintf(t, "\\x%02x", (unsigned char)root->data[i]);
		want[n++] = root->data[i];
	}
	*t = '\0';
	while (n > 1 && want[n - 1] == '/')
		n--;
	memcpy(want + n, "/loadavg", sizeof("/loadavg"));
	fuzz_want = n > 0 ? want : NULL;
	fh = fuzz_host("procfs = \"%s\";", text);
	if (saba_test_create(fh, &shim, &inst) != (fuzz_want != NULL ? SABA_OK : SABA_INVALID))
		fuzz_fail("procfs \"%s\": accepted or refused wrongly", text);
	saba_test_host_free(fh);
	free(text);
	free(want);
}

/* Lines: joined with "\n" they give the text back (up to its first NUL). */
static void fuzz_lines(const char *text)
{
	char *copy = strdup(text), *cursor = copy, *line;
	size_t off = 0, len = strlen(text);

	if (copy == NULL)
		fuzz_fail("out of memory");
	while ((line = saba_next_line(&cursor)) != NULL) {
		size_t n = strlen(line);

		if (off + n > len || memcmp(text + off, line, n) != 0)
			fuzz_fail("saba_next_line() returned a line not in the text");
		off += n;
		if (off < len && text[off] != '\n')
			fuzz_fail("saba_next_line() cut a line short");
		if (off < len)
			off++;
	}
	if (off != len)
		fuzz_fail("saba_next_line() stopped at %zu of %zu bytes", off, len);
	free(copy);
}

/* A field of digits: what strtoull() says, when it fits in 64 bits. */
static void fuzz_u64(const char *field)
{
	int digits = field[0] != '\0' && strspn(field, "0123456789") == strlen(field);
	unsigned long long want;
	uint64_t got = 0;
	int rc = saba_parse_u64(field, &got);

	errno = 0;
	want = digits ? strtoull(field, NULL, 10) : 0;
	if (digits && errno == 0) {
		if (rc != SABA_OK || got != want)
			fuzz_fail("saba_parse_u64(\"%s\") = %d, %llu; want %llu", field, rc,
				  (unsigned long long)got, want);
	} else if (rc == SABA_OK) {
		fuzz_fail("saba_parse_u64(\"%.40s\") accepted it", field);
	}
}

/* A metric name: prefix, the field with [^A-Za-z0-9_-] as _, suffix. */
static void fuzz_name(const char *field)
{
	char buf[48];
	size_t n = strlen(field);
	int rc = saba_metric_name(buf, sizeof(buf), "p.", field, ".s");

	if ((rc == SABA_OK) != (n + 5 <= sizeof(buf)))
		fuzz_fail("saba_metric_name() of %zu bytes returned %d", n, rc);
	if (rc != SABA_OK)
		return;
	if (strlen(buf) != n + 4 || strncmp(buf, "p.", 2) != 0 || strcmp(buf + n + 2, ".s") != 0)
		fuzz_fail("saba_metric_name(\"%s\") = \"%s\"", field, buf);
	for (size_t i = 0; i < n; i++) {
		char c = buf[2 + i];
		int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			 (c >= '0' && c <= '9') || c == '_' || c == '-';

		if (!ok || (c != '_' && c != field[i]))
			fuzz_fail("saba_metric_name(\"%s\") = \"%s\"", field, buf);
	}
}

/* A JSON string: valid JSON always; the very text back whenever jansson
 * takes the text as UTF-8 (control characters are escaped, not lost). */
static void fuzz_json(const char *s)
{
	struct saba_json j = {0};
	json_t *doc, *as_utf8 = json_string(s);

	saba_json_str(&j, s);
	if (j.failed)
		fuzz_fail("saba_json_str(): out of memory");
	doc = json_loads(j.buf, JSON_DECODE_ANY, NULL);
	if (!json_is_string(doc))
		fuzz_fail("saba_json_str() made invalid JSON: %s", j.buf);
	if (as_utf8 != NULL && strcmp(json_string_value(doc), s) != 0)
		fuzz_fail("saba_json_str() changed valid UTF-8: %s", j.buf);
	json_decref(as_utf8);
	json_decref(doc);
	saba_json_free(&j);
}

/* Fields: the maximal runs of bytes other than space, tab and CR. */
static void fuzz_fields(char *line)
{
	char *copy = strdup(line), *f[FUZZ_FIELDS], *s = copy;
	int n = saba_split_fields(line, f, FUZZ_FIELDS), want = 0;
	struct saba_samples samples = {0};

	if (copy == NULL)
		fuzz_fail("out of memory");
	for (;;) {
		size_t gap = strspn(s, " \t\r"), run;

		s += gap;
		if (*s == '\0')
			break;
		run = strcspn(s, " \t\r");
		if (want < FUZZ_FIELDS && (strlen(f[want]) != run || memcmp(f[want], s, run) != 0))
			fuzz_fail("saba_split_fields(): field %d is \"%s\", want \"%.*s\"", want,
				  f[want], (int)run, s);
		want++;
		s += run;
	}
	if (n != want)
		fuzz_fail("saba_split_fields() counted %d fields, want %d", n, want);
	for (int i = 0; i < n && i < FUZZ_FIELDS; i++) {
		fuzz_u64(f[i]);
		fuzz_name(f[i]);
		fuzz_json(f[i]);
		if (saba_samples_add(&samples, f[i], (uint64_t)i, (uint64_t)n) != SABA_OK)
			fuzz_fail("saba_samples_add(): out of memory");
	}
	/* every sample is found again: the first one of its name */
	for (int i = 0; i < n && i < FUZZ_FIELDS; i++) {
		size_t hint = (size_t)i;
		const struct saba_sample *s1 = saba_samples_find(&samples, f[i], &hint);

		if (s1 == NULL || strcmp(s1->name, f[i]) != 0)
			fuzz_fail("saba_samples_find(\"%s\") failed", f[i]);
	}
	saba_samples_free(&samples);
	free(copy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_part part[2] = {{"", 0}, {"", 0}};
	char *text, *cursor, *line;
	double rate;

	fuzz_split(data, size, part, 2);
	fuzz_procfs_path(&part[0]);
	text = fuzz_str(&part[1]);
	fuzz_lines(text);
	fuzz_json(text);
	cursor = text;
	while ((line = saba_next_line(&cursor)) != NULL)
		fuzz_fields(line);
	/* a counter that went back is never a rate */
	if (saba_counter_rate(size, part[1].len, 1.0, &rate) == SABA_OK &&
	    !(part[1].len >= size && rate >= 0))
		fuzz_fail("saba_counter_rate() reported %g", rate);
	free(text);
	return 0;
}
