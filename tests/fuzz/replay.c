/*
 * replay: main() for a fuzz target built without libFuzzer.  Runs every
 * file of tests/fuzz/corpus/<name>/ and tests/fuzz/regress/<name>/ (or the
 * files and directories given as arguments) through
 * LLVMFuzzerTestOneInput() once, so `make check` exercises the corpora and
 * every input that once crashed, with any compiler.  Passing means no
 * input crashed or broke a rule the target checks (those abort).
 *
 * FUZZ_NAME is the target's name; the source tree is $SABA_SRCDIR (set by
 * make check), else FUZZ_SRCDIR.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"

#ifndef FUZZ_SRCDIR
#define FUZZ_SRCDIR "."
#endif

static size_t replay_ran;

/* One file; 0, or -1 when it cannot be read. */
static int replay_file(const char *path)
{
	FILE *fp = fopen(path, "rb");
	uint8_t *data = NULL;
	size_t len = 0, cap = 0;
	int rc = -1;

	if (fp == NULL) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return -1;
	}
	for (;;) {
		size_t n;

		if (len == cap) {
			uint8_t *d = realloc(data, cap = cap ? 2 * cap : 4096);

			if (d == NULL)
				goto out;
			data = d;
		}
		n = fread(data + len, 1, cap - len, fp);
		len += n;
		if (n == 0)
			break;
	}
	if (ferror(fp)) {
		fprintf(stderr, "replay: %s: read error\n", path);
		goto out;
	}
	/* named before the run: a crash is then attributed in the log */
	fprintf(stderr, "replay: %s (%zu bytes)\n", path, len);
	LLVMFuzzerTestOneInput(data, len);
	replay_ran++;
	rc = 0;
out:
	free(data);
	fclose(fp);
	return rc;
}

/* A file, or every file of a directory in name order; missing_ok: a
 * directory that is not there is no error (no regression inputs yet). */
static int replay_path(const char *path, int missing_ok)
{
	struct dirent **names;
	struct stat st;
	int n, rc = 0;

	if (stat(path, &st) != 0) {
		if (missing_ok && errno == ENOENT)
			return 0;
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode))
		return replay_file(path);
	n = scandir(path, &names, NULL, alphasort);
	if (n < 0) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return -1;
	}
	for (int i = 0; i < n; i++) {
		char sub[4096];

		if (names[i]->d_name[0] != '.') {
			snprintf(sub, sizeof(sub), "%s/%s", path, names[i]->d_name);
			if (replay_path(sub, 0) != 0)
				rc = -1;
		}
		free(names[i]);
	}
	free(names);
	return rc;
}

int main(int argc, char **argv)
{
	const char *src = getenv("SABA_SRCDIR");
	char dir[4096];
	int rc = 0;

	if (src == NULL || *src == '\0')
		src = FUZZ_SRCDIR;
	if (argc > 1) {
		for (int i = 1; i < argc; i++)
			if (replay_path(argv[i], 0) != 0)
				rc = 1;
	} else {
		snprintf(dir, sizeof(dir), "%s/tests/fuzz/corpus/%s", src, FUZZ_NAME);
		if (replay_path(dir, 0) != 0)
			rc = 1;
		snprintf(dir, sizeof(dir), "%s/tests/fuzz/regress/%s", src, FUZZ_NAME);
		if (replay_path(dir, 1) != 0)
			rc = 1;
	}
	/* an empty corpus would pass without testing anything */
	if (replay_ran == 0) {
		fprintf(stderr, "replay: %s: no inputs found\n", FUZZ_NAME);
		rc = 1;
	}
	printf("%s: %zu inputs replayed%s\n", FUZZ_NAME, replay_ran, rc ? ", with errors" : "");
	return rc;
}
