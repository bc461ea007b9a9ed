/*
 * What the fuzz targets share (see fuzz.h).
 */
#define _GNU_SOURCE /* vasprintf */

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <saba/plugin-test.h>
#include "fuzz.h"

static char fuzz_tmp[512];

/*
 * Read by LeakSanitizer at start-up (libFuzzer and --enable-asan builds).
 * libconfig 1.5 (Debian 12) leaks the token it was reading when it meets a
 * syntax error (a quoted string where a setting name belongs, two strings
 * in a row): the error is reported, and config_destroy() cannot free what
 * the parser dropped.  Only libconfig's own allocations are exempt.
 */
/* Default visibility: the shared ASan runtime of gcc builds looks it up
 * in the executable's dynamic symbols (the build hides everything else). */
__attribute__((visibility("default"))) const char *__lsan_default_suppressions(void);
__attribute__((visibility("default"))) const char *__lsan_default_suppressions(void)
{
	/* By module too: without a symbolizer for the stripped library
	 * (gcc's ASan build) the frames carry no function names. */
	return "leak:strbuf_append\nleak:libconfig_yylex\nleak:libconfig.so\n";
}

/* In the sanitizer runtimes only: libFuzzer closes stderr (-close_fd_mask)
 * but keeps the sanitizers' report file, where this prints "SUMMARY: ...". */
extern void __sanitizer_report_error_summary(const char *summary) __attribute__((weak));

void fuzz_fail(const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fprintf(stderr, "fuzz: %s\n", msg);
	if (__sanitizer_report_error_summary != NULL) {
		char summary[1040];

		snprintf(summary, sizeof(summary), "fuzz: %s", msg);
		__sanitizer_report_error_summary(summary);
	}
	abort();
}

size_t fuzz_split(const uint8_t *data, size_t size, struct fuzz_part *parts, size_t max)
{
	static const char sep[] = "\n%%\n";
	const char *s = (const char *)data, *end = s + size;
	size_t n = 0;

	while (n + 1 < max) {
		const char *hit = memmem(s, (size_t)(end - s), sep, sizeof(sep) - 1);

		if (hit == NULL)
			break;
		parts[n].data = s;
		parts[n++].len = (size_t)(hit + 1 - s);
		s = hit + sizeof(sep) - 1;
	}
	parts[n].data = s;
	parts[n++].len = (size_t)(end - s);
	return n;
}

char *fuzz_str(const struct fuzz_part *p)
{
	char *s = malloc(p->len + 1);

	if (s == NULL)
		fuzz_fail("out of memory");
	memcpy(s, p->data, p->len);
	s[p->len] = '\0';
	return s;
}

static int fuzz_rm(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	remove(path);
	return 0;
}

static void fuzz_cleanup(void)
{
	if (fuzz_tmp[0] != '\0')
		nftw(fuzz_tmp, fuzz_rm, 16, FTW_DEPTH | FTW_PHYS);
}

const char *fuzz_dir(void)
{
	const char *tmp = getenv("TMPDIR");

	if (fuzz_tmp[0] != '\0')
		return fuzz_tmp;
	snprintf(fuzz_tmp, sizeof(fuzz_tmp), "%s/saba-fuzz-XXXXXX",
		 tmp != NULL && *tmp != '\0' ? tmp : "/tmp");
	/* the path goes into libconfig text unescaped */
	if (strpbrk(fuzz_tmp, "\"\\") != NULL || mkdtemp(fuzz_tmp) == NULL)
		fuzz_fail("cannot make a scratch directory %s: %s", fuzz_tmp, strerror(errno));
	atexit(fuzz_cleanup);
	return fuzz_tmp;
}

void fuzz_write(const char *rel, const struct fuzz_part *p)
{
	char path[1024];
	size_t off = 0;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", fuzz_dir(), rel);
	/* make the directories of rel, ignoring the ones that exist */
	for (char *slash = strchr(path + strlen(fuzz_dir()) + 1, '/'); slash != NULL;
	     slash = strchr(slash + 1, '/')) {
		*slash = '\0';
		if (mkdir(path, 0700) != 0 && errno != EEXIST)
			fuzz_fail("mkdir %s: %s", path, strerror(errno));
		*slash = '/';
	}
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		fuzz_fail("open %s: %s", path, strerror(errno));
	while (off < p->len) {
		ssize_t n = write(fd, p->data + off, p->len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			fuzz_fail("write %s: %s", path, strerror(errno));
		off += (size_t)n;
	}
	close(fd);
}

struct saba_test_host *fuzz_host(const char *fmt, ...)
{
	struct saba_test_host *fh;
	va_list ap;
	char *text;

	va_start(ap, fmt);
	if (vasprintf(&text, fmt, ap) < 0)
		fuzz_fail("out of memory");
	va_end(ap);
	fh = saba_test_host_new(text);
	if (fh == NULL)
		fuzz_fail("the harness's instance config does not parse: %s", text);
	free(text);
	saba_test_set_echo(fh, 0);
	return fh;
}

void *fuzz_create(struct saba_test_host *fh, const struct saba_plugin *plugin)
{
	void *inst = NULL;

	if (saba_test_create(fh, plugin, &inst) != SABA_OK || inst == NULL)
		fuzz_fail("%s: create() failed on the harness's config", plugin->name);
	return inst;
}

void fuzz_host_check(struct saba_test_host *fh, int finite_only)
{
	if (saba_test_misuse(fh) != 0) {
		for (size_t i = 0; i < saba_test_nlogs(fh); i++)
			fprintf(stderr, "fuzz: log: %s\n", saba_test_log_at(fh, i, NULL));
		fuzz_fail("the plugin misused the host API (%zu times)", saba_test_misuse(fh));
	}
	if (finite_only && saba_test_ndropped(fh) != 0)
		fuzz_fail("the plugin emitted %zu non-finite values", saba_test_ndropped(fh));
}

void fuzz_delta(struct saba_test_host *fh, const struct saba_plugin *plugin, void *inst,
		const char *rel, const struct fuzz_part snap[2], const char *prefix)
{
	for (int round = 0; round < 2; round++) {
		int rc;

		fuzz_write(rel, &snap[round]);
		rc = saba_test_collect(fh, plugin, inst);
		fuzz_host_check(fh, 1);
		if ((round == 0 || rc != SABA_OK) && saba_test_nvalues(fh) != 0)
			fuzz_fail("collect() %d of a delta plugin returned %d with values", round,
				  rc);
		for (size_t i = 0; i < saba_test_nvalues(fh); i++) {
			double v;
			const char *name = saba_test_value_at(fh, i, &v);

			if (!(v >= 0) || strncmp(name, prefix, strlen(prefix)) != 0)
				fuzz_fail("%s = %g", name, v);
		}
	}
}
