/*
 * The host id file: mackerel-agent's format (bare id, no newline), CR/LF
 * trimming, absence, atomic writes that leave the old file on failure.
 */
#define _GNU_SOURCE

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "idfile.h"
#include "unit.h"

static char tmpdir[] = "/tmp/saba-test-idfile.XXXXXX";
static char root[sizeof(tmpdir) + 32];	 /* <tmpdir>/root: the state dir */
static char idpath[sizeof(tmpdir) + 32]; /* <root>/id */

static int write_raw(const char *path, const char *bytes)
{
	FILE *f = fopen(path, "w");

	if (f == NULL)
		return -1;
	fputs(bytes, f);
	return fclose(f) == 0 ? 0 : -1;
}

/* The file's raw bytes (NUL-terminated), or NULL. */
static char *read_raw(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf;

	if (f == NULL)
		return NULL;
	buf = calloc(1, 4096);
	*len = fread(buf, 1, 4095, f);
	fclose(f);
	return buf;
}

/* Number of directory entries other than . and .. and `except`. */
static int count_other_entries(const char *dir, const char *except)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	if (d == NULL)
		return -1;
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0 ||
		    (except != NULL && strcmp(e->d_name, except) == 0))
			continue;
		fprintf(stderr, "unexpected entry in %s: %s\n", dir, e->d_name);
		n++;
	}
	closedir(d);
	return n;
}

static int suite_init(void)
{
	if (mkdtemp(tmpdir) == NULL)
		return -1;
	unit_path(root, sizeof(root), tmpdir, "root");
	unit_path(idpath, sizeof(idpath), root, "id");
	return mkdir(root, 0755);
}

static int suite_cleanup(void)
{
	unlink(idpath);
	rmdir(root);
	return rmdir(tmpdir);
}

/* ------------------------------------------------------------------ */

static void test_round_trip(void)
{
	char err[256] = "", *id = NULL, *raw;
	size_t len = 0;
	struct stat st;

	CU_ASSERT_EQUAL_FATAL(saba_idfile_write(root, "4abcDEF1234", err, sizeof(err)), 0);
	raw = read_raw(idpath, &len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(raw);
	CU_ASSERT_EQUAL(len, strlen("4abcDEF1234")); /* no newline */
	CU_ASSERT_STRING_EQUAL(raw, "4abcDEF1234");
	free(raw);
	CU_ASSERT_EQUAL(stat(idpath, &st), 0);
	CU_ASSERT_EQUAL(st.st_mode & 0777, 0644);
	CU_ASSERT_EQUAL(saba_idfile_read(root, &id, err, sizeof(err)), 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(id);
	CU_ASSERT_STRING_EQUAL(id, "4abcDEF1234");
	free(id);

	/* overwrite */
	CU_ASSERT_EQUAL(saba_idfile_write(root, "second", err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(saba_idfile_read(root, &id, err, sizeof(err)), 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(id);
	CU_ASSERT_STRING_EQUAL(id, "second");
	free(id);

	/* atomic: no temp file left behind */
	CU_ASSERT_EQUAL(count_other_entries(root, "id"), 0);
}

static void test_read_trims_crlf(void)
{
	char err[256] = "", *id = NULL;

	CU_ASSERT_EQUAL_FATAL(write_raw(idpath, "abc\r\n"), 0);
	CU_ASSERT_EQUAL(saba_idfile_read(root, &id, err, sizeof(err)), 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(id);
	CU_ASSERT_STRING_EQUAL(id, "abc");
	free(id);

	CU_ASSERT_EQUAL_FATAL(write_raw(idpath, "abc\n\n\r\n"), 0);
	CU_ASSERT_EQUAL(saba_idfile_read(root, &id, err, sizeof(err)), 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(id);
	CU_ASSERT_STRING_EQUAL(id, "abc");
	free(id);

	/* only CR/LF, as upstream: other whitespace stays, and an id with
	 * it is no Mackerel id */
	CU_ASSERT_EQUAL_FATAL(write_raw(idpath, "abc \n"), 0);
	CU_ASSERT_EQUAL(saba_idfile_read(root, &id, err, sizeof(err)), -1);
	CU_ASSERT_PTR_NULL(id);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "not a Mackerel host id"));
}

/* The id becomes a path of every request: what a Mackerel id is not made
 * of ("h#x" retires /hosts/h, "h?x=" poisons posts) is refused, the file
 * named, its content escaped by the log, never used. */
static void test_read_refuses_foreign_ids(void)
{
	static const char *const bad[] = {"HOSTID#x", "HOSTID?x=", "../h", "h/retire",
					  "h\x1b[2J", "h%00",	   "h x"};
	char err[512], *id = (char *)"unset";

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CU_ASSERT_EQUAL_FATAL(write_raw(idpath, bad[i]), 0);
		CU_ASSERT_EQUAL(saba_idfile_read(root, &id, err, sizeof(err)), -1);
		CU_ASSERT_PTR_NULL(id);
		CU_ASSERT_PTR_NOT_NULL(strstr(err, idpath));
	}
	CU_ASSERT_EQUAL_FATAL(write_raw(idpath, "3Ab_c-9"), 0);
	CU_ASSERT_EQUAL(saba_idfile_read(root, &id, err, sizeof(err)), 0);
	CU_ASSERT_STRING_EQUAL(id, "3Ab_c-9");
	free(id);
	CU_ASSERT(saba_host_id_valid("3Ab_c-9"));
	CU_ASSERT(!saba_host_id_valid(""));
	CU_ASSERT(!saba_host_id_valid(NULL));
}

/* A FIFO planted as the id never blocks the read. */
static void test_read_fifo(void)
{
	char err[512], *id = NULL;

	unlink(idpath);
	CU_ASSERT_EQUAL_FATAL(mkfifo(idpath, 0644), 0);
	CU_ASSERT_EQUAL(saba_idfile_read(root, &id, err, sizeof(err)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "not a regular file"));
	unlink(idpath);
}

static void test_empty_and_missing(void)
{
	char err[256] = "", *id = (char *)1;

	CU_ASSERT_EQUAL_FATAL(write_raw(idpath, ""), 0);
	CU_ASSERT_EQUAL(saba_idfile_read(root, &id, err, sizeof(err)), 1);
	CU_ASSERT_PTR_NULL(id);

	id = (char *)1;
	CU_ASSERT_EQUAL_FATAL(write_raw(idpath, "\r\n"), 0);
	CU_ASSERT_EQUAL(saba_idfile_read(root, &id, err, sizeof(err)), 1);
	CU_ASSERT_PTR_NULL(id);

	id = (char *)1;
	unlink(idpath);
	CU_ASSERT_EQUAL(saba_idfile_read(root, &id, err, sizeof(err)), 1);
	CU_ASSERT_PTR_NULL(id);
}

static void test_remove(void)
{
	char err[256] = "", *id = NULL;

	CU_ASSERT_EQUAL_FATAL(saba_idfile_write(root, "gone-soon", err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(saba_idfile_remove(root, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(access(idpath, F_OK), -1);
	CU_ASSERT_EQUAL(saba_idfile_read(root, &id, err, sizeof(err)), 1);
	CU_ASSERT_PTR_NULL(id);
	/* removing a missing file is fine */
	CU_ASSERT_EQUAL(saba_idfile_remove(root, err, sizeof(err)), 0);
}

/* The state dir and its missing parents are created. */
static void test_write_creates_root(void)
{
	char deep[sizeof(tmpdir) + 64], a[sizeof(deep)], ab[sizeof(deep)], id[sizeof(deep)];
	char err[256] = "", *got = NULL;

	unit_path(a, sizeof(a), tmpdir, "a");
	unit_path(ab, sizeof(ab), a, "b");
	unit_path(deep, sizeof(deep), ab, "c");
	unit_path(id, sizeof(id), deep, "id");
	CU_ASSERT_EQUAL(saba_idfile_write(deep, "deep-id", err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(saba_idfile_read(deep, &got, err, sizeof(err)), 0);
	CU_ASSERT_PTR_NOT_NULL(got);
	if (got != NULL)
		CU_ASSERT_STRING_EQUAL(got, "deep-id");
	free(got);
	unlink(id);
	rmdir(deep);
	rmdir(ab);
	rmdir(a);
}

/* A failed write reports an error and leaves the old id file intact. */
static void check_old_id_intact(const char *what)
{
	char err[256] = "", *id = NULL;

	CU_ASSERT_EQUAL(saba_idfile_read(root, &id, err, sizeof(err)), 0);
	CU_ASSERT_PTR_NOT_NULL(id);
	if (id == NULL || strcmp(id, "old-id") != 0)
		fprintf(stderr, "%s: id file is now \"%s\"\n", what, id ? id : "(none)");
	else
		CU_ASSERT_STRING_EQUAL(id, "old-id");
	free(id);
	CU_ASSERT_EQUAL(count_other_entries(root, "id"), 0);
}

static void test_write_read_only_dir(void)
{
	char err[256] = "";
	int rc;

	CU_ASSERT_EQUAL_FATAL(saba_idfile_write(root, "old-id", err, sizeof(err)), 0);
	if (geteuid() == 0) {
		/* root ignores permissions: checked by the next tests instead */
		fprintf(stderr, "running as root: chmod 0555 check skipped\n");
		return;
	}
	CU_ASSERT_EQUAL_FATAL(chmod(root, 0555), 0);
	err[0] = '\0';
	rc = saba_idfile_write(root, "new-id", err, sizeof(err));
	chmod(root, 0755);
	CU_ASSERT_EQUAL(rc, -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, root));
	check_old_id_intact("read-only dir");
}

/* Works as root too: a root that is a regular file cannot hold the id. */
static void test_write_root_is_file(void)
{
	char file[sizeof(tmpdir) + 32], err[256] = "";

	unit_path(file, sizeof(file), tmpdir, "plainfile");
	CU_ASSERT_EQUAL_FATAL(write_raw(file, "x"), 0);
	CU_ASSERT_EQUAL(saba_idfile_write(file, "new-id", err, sizeof(err)), -1);
	CU_ASSERT(err[0] != '\0');
	CU_ASSERT_PTR_NOT_NULL(strstr(err, file));
	unlink(file);
}

/* Works as root too: no file descriptor left for the temp file. */
static void test_write_no_fds_keeps_old(void)
{
	struct rlimit old, lim;
	char err[256] = "";
	int fds[64], n = 0, rc;

	CU_ASSERT_EQUAL_FATAL(saba_idfile_write(root, "old-id", err, sizeof(err)), 0);
	CU_ASSERT_EQUAL_FATAL(getrlimit(RLIMIT_NOFILE, &old), 0);
	lim = old;
	lim.rlim_cur = 32;
	CU_ASSERT_EQUAL_FATAL(setrlimit(RLIMIT_NOFILE, &lim), 0);
	while (n < 64) {
		int fd = open("/dev/null", O_RDONLY);

		if (fd < 0)
			break;
		fds[n++] = fd;
	}
	err[0] = '\0';
	rc = saba_idfile_write(root, "new-id", err, sizeof(err));
	while (n > 0)
		close(fds[--n]);
	setrlimit(RLIMIT_NOFILE, &old);
	CU_ASSERT_EQUAL(rc, -1);
	CU_ASSERT(err[0] != '\0');
	check_old_id_intact("no fds");
}

/* The registration record: a fresh token each time, read back with the
 * name it was saved for; removed without touching the id file. */
static void test_pending_round_trip(void)
{
	struct saba_pending a, b, c;
	char err[256] = "", path[sizeof(root) + 16];

	unlink(idpath);
	unit_path(path, sizeof(path), root, "id.pending");
	CU_ASSERT_EQUAL(saba_pending_read(root, &a, err, sizeof(err)), 1);
	CU_ASSERT_EQUAL_FATAL(saba_pending_new(&a, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL_FATAL(saba_pending_new(&b, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(strlen(a.token), 32);
	CU_ASSERT_EQUAL(strspn(a.token, "0123456789abcdef"), 32);
	CU_ASSERT(strcmp(a.token, b.token) != 0);
	CU_ASSERT_EQUAL_FATAL(saba_pending_save(root, &a, "web-1", err, sizeof(err)), 0);
	CU_ASSERT(a.since_ms > 0);
	CU_ASSERT_EQUAL_FATAL(saba_pending_read(root, &c, err, sizeof(err)), 0);
	CU_ASSERT_STRING_EQUAL(c.token, a.token);
	CU_ASSERT_STRING_EQUAL(c.name, "web-1");
	CU_ASSERT_EQUAL(c.since_ms, a.since_ms);
	saba_pending_clear(&c);
	/* a renamed machine: the next save records the new name */
	CU_ASSERT_EQUAL(saba_pending_save(root, &a, "web-2", err, sizeof(err)), 0);
	CU_ASSERT_EQUAL_FATAL(saba_pending_read(root, &c, err, sizeof(err)), 0);
	CU_ASSERT_STRING_EQUAL(c.name, "web-2");
	CU_ASSERT_STRING_EQUAL(c.token, a.token);
	CU_ASSERT_EQUAL(c.via, SABA_VIA_META);
	CU_ASSERT_PTR_NULL(c.ci);
	saba_pending_clear(&c);
	/* where the POST carried the token, read back as saved */
	a.via = SABA_VIA_CUSTOM_IDENTIFIER;
	a.ci = strdup("saba-registration-x");
	CU_ASSERT_EQUAL(saba_pending_save(root, &a, "web-2", err, sizeof(err)), 0);
	CU_ASSERT_EQUAL_FATAL(saba_pending_read(root, &c, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(c.via, SABA_VIA_CUSTOM_IDENTIFIER);
	CU_ASSERT_STRING_EQUAL(c.ci, "saba-registration-x");
	saba_pending_clear(&c);
	free(a.ci);
	a.ci = NULL;
	a.via = SABA_VIA_NONE;
	CU_ASSERT_EQUAL(saba_pending_save(root, &a, "web-2", err, sizeof(err)), 0);
	CU_ASSERT_EQUAL_FATAL(saba_pending_read(root, &c, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(c.via, SABA_VIA_NONE);
	CU_ASSERT_PTR_NULL(c.ci);
	saba_pending_clear(&c);
	CU_ASSERT_EQUAL(count_other_entries(root, "id.pending"), 0);
	CU_ASSERT_EQUAL(saba_pending_remove(root, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(saba_pending_remove(root, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(access(path, F_OK), -1);
	saba_pending_clear(&a);
	saba_pending_clear(&b);
}

/* Anything else in id.pending is an error naming the file, never taken
 * as "no registration in flight". */
static void test_pending_rejects_foreign_content(void)
{
	static const char *const bad[] = {
		"",
		"{not json",
		"[]",
		"{\"token\":\"abc\",\"name\":\"h\",\"since\":1}",
		"{\"token\":\"0123456789abcdef0123456789ABCDEF\",\"name\":\"h\",\"since\":1}",
		"{\"token\":\"0123456789abcdef0123456789abcdef\",\"name\":\"\",\"since\":1}",
		"{\"token\":\"0123456789abcdef0123456789abcdef\",\"name\":\"h\"}",
		"{\"token\":\"0123456789abcdef0123456789abcdef\",\"token\":\"x\",\"name\":\"h\","
		"\"since\":1}",
		"{\"token\":\"0123456789abcdef0123456789abcdef\",\"name\":\"h\",\"since\":1,"
		"\"via\":\"machine-id\"}",
		"{\"token\":\"0123456789abcdef0123456789abcdef\",\"name\":\"h\",\"since\":1,"
		"\"via\":\"customIdentifier\"}",
		"{\"token\":\"0123456789abcdef0123456789abcdef\",\"name\":\"h\",\"since\":1,"
		"\"via\":\"customIdentifier\",\"customIdentifier\":\"\"}",
	};
	char err[512], path[sizeof(root) + 16];
	struct saba_pending p;

	unit_path(path, sizeof(path), root, "id.pending");
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CU_ASSERT_EQUAL_FATAL(write_raw(path, bad[i]), 0);
		err[0] = '\0';
		CU_ASSERT_EQUAL(saba_pending_read(root, &p, err, sizeof(err)), -1);
		CU_ASSERT_PTR_NOT_NULL(strstr(err, path));
		CU_ASSERT_PTR_NULL(p.name);
	}
	unlink(path);
}

/* Temp files of a killed write go; nothing else does. */
static void test_clean_temps(void)
{
	char t1[sizeof(root) + 16], t2[sizeof(root) + 16], keep[sizeof(root) + 16];
	char err[256];

	unit_path(t1, sizeof(t1), root, ".id.a1B2c3");
	unit_path(t2, sizeof(t2), root, ".id.zzzzzz");
	unit_path(keep, sizeof(keep), root, ".id.keep-me");
	CU_ASSERT_EQUAL_FATAL(write_raw(t1, "x"), 0);
	CU_ASSERT_EQUAL_FATAL(write_raw(t2, ""), 0);
	CU_ASSERT_EQUAL_FATAL(write_raw(keep, "x"), 0);
	CU_ASSERT_EQUAL_FATAL(saba_idfile_write(root, "the-id", err, sizeof(err)), 0);
	saba_idfile_clean_temps(root);
	CU_ASSERT_EQUAL(access(t1, F_OK), -1);
	CU_ASSERT_EQUAL(access(t2, F_OK), -1);
	CU_ASSERT_EQUAL(access(keep, F_OK), 0);
	CU_ASSERT_EQUAL(access(idpath, F_OK), 0);
	unlink(keep);
	saba_idfile_clean_temps("/nonexistent/saba-test"); /* no crash, nothing to do */
	CU_ASSERT_EQUAL(saba_idfile_remove(root, err, sizeof(err)), 0);
}

static const struct unit_test tests[] = {
	UNIT_TEST(test_round_trip),	    UNIT_TEST(test_read_trims_crlf),
	UNIT_TEST(test_empty_and_missing),  UNIT_TEST(test_remove),
	UNIT_TEST(test_write_creates_root), UNIT_TEST(test_write_read_only_dir),
	UNIT_TEST(test_write_root_is_file), UNIT_TEST(test_write_no_fds_keeps_old),
	UNIT_TEST(test_pending_round_trip), UNIT_TEST(test_pending_rejects_foreign_content),
	UNIT_TEST(test_clean_temps),	    UNIT_TEST(test_read_refuses_foreign_ids),
	UNIT_TEST(test_read_fifo),
};

int main(void)
{
	return unit_run_suite("idfile", tests, sizeof(tests) / sizeof(tests[0]), suite_init,
			      suite_cleanup);
}
