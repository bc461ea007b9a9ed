/*
 * Small files kept open (plugins/lib/textfile.c): a file rewritten in place
 * is read anew from the same descriptor, a file larger than the buffer is
 * still read whole, a failed read opens the file again, and a missing file
 * is an error naming errno.  procfs's mount table tells of a mount through
 * poll() (plugins/lib/mounts.c); any other file counts as changed.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* unshare() */
#endif
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "lib/mounts.h"
#include "lib/textfile.h"
#include "unit.h"

static char dir[256], path[300];

/* Write text over path, in place (the same inode, as procfs changes). */
static void put(const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	size_t n = strlen(text);

	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_FATAL(write(fd, text, n) == (ssize_t)n);
	close(fd);
}

static int setup(void)
{
	snprintf(dir, sizeof(dir), "%s/textfile-XXXXXX", unit_env("TMPDIR", "/tmp"));
	if (mkdtemp(dir) == NULL)
		return -1;
	snprintf(path, sizeof(path), "%s/stat", dir);
	return 0;
}

static void cleanup(void)
{
	unlink(path);
	rmdir(dir);
}

static void test_reread_in_place(void)
{
	struct saba_textfile f = SABA_TEXTFILE_INIT;
	char *text;
	size_t len;
	int fd;

	put("cpu 1 2 3\n");
	CU_ASSERT_EQUAL_FATAL(saba_textfile_reread(&f, path, &text, &len), 0);
	CU_ASSERT_STRING_EQUAL(text, "cpu 1 2 3\n");
	CU_ASSERT_EQUAL(len, 10);
	fd = f.fd;
	CU_ASSERT(fd >= 0);
	CU_ASSERT(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	/* shorter now: nothing of the old text is left */
	put("cpu 4\n");
	CU_ASSERT_EQUAL_FATAL(saba_textfile_reread(&f, path, &text, &len), 0);
	CU_ASSERT_STRING_EQUAL(text, "cpu 4\n");
	CU_ASSERT_EQUAL(len, 6);
	CU_ASSERT_EQUAL(f.fd, fd); /* the same descriptor, not reopened */
	saba_textfile_close(&f);
	CU_ASSERT_EQUAL(f.fd, -1);
	CU_ASSERT_PTR_NULL(f.buf);
	CU_ASSERT_EQUAL(fcntl(fd, F_GETFD), -1); /* closed */
}

static void test_larger_than_buffer(void)
{
	struct saba_textfile f = SABA_TEXTFILE_INIT;
	size_t n = 3 * 4096 + 17, len;
	char *big = malloc(n + 1), *text;

	CU_ASSERT_FATAL(big != NULL);
	for (size_t i = 0; i < n; i++)
		big[i] = (char)('a' + i % 26);
	big[n] = '\0';
	put("small\n");
	CU_ASSERT_EQUAL_FATAL(saba_textfile_reread(&f, path, &text, &len), 0);
	put(big);
	CU_ASSERT_EQUAL_FATAL(saba_textfile_reread(&f, path, &text, &len), 0);
	CU_ASSERT_EQUAL(len, n);
	CU_ASSERT_STRING_EQUAL(text, big);
	/* exactly the buffer's size less the NUL: still whole */
	CU_ASSERT_FATAL(f.cap > n);
	free(big);
	big = malloc(f.cap);
	CU_ASSERT_FATAL(big != NULL);
	memset(big, 'x', f.cap - 1);
	big[f.cap - 1] = '\0';
	put(big);
	CU_ASSERT_EQUAL_FATAL(saba_textfile_reread(&f, path, &text, &len), 0);
	CU_ASSERT_EQUAL(len, strlen(big));
	CU_ASSERT_STRING_EQUAL(text, big);
	saba_textfile_close(&f);
	free(big);
}

/* A read that fails (here: the descriptor closed behind its back) opens
 * the file again. */
static void test_reopen_on_failure(void)
{
	struct saba_textfile f = SABA_TEXTFILE_INIT;
	char *text;
	size_t len;

	put("one\n");
	CU_ASSERT_EQUAL_FATAL(saba_textfile_reread(&f, path, &text, &len), 0);
	close(f.fd);
	put("two\n");
	CU_ASSERT_EQUAL_FATAL(saba_textfile_reread(&f, path, &text, &len), 0);
	CU_ASSERT_STRING_EQUAL(text, "two\n");
	CU_ASSERT(f.fd >= 0);
	saba_textfile_close(&f);
}

static void test_missing(void)
{
	struct saba_textfile f = SABA_TEXTFILE_INIT;
	char *text = (char *)"x";
	size_t len = 1;

	unlink(path);
	CU_ASSERT_EQUAL(saba_textfile_reread(&f, path, &text, &len), ENOENT);
	CU_ASSERT_PTR_NULL(text);
	CU_ASSERT_EQUAL(len, 0);
	CU_ASSERT_EQUAL(f.fd, -1);
	/* there again: the next read opens it */
	put("back\n");
	CU_ASSERT_EQUAL(saba_textfile_reread(&f, path, &text, &len), 0);
	CU_ASSERT_STRING_EQUAL(text, "back\n");
	saba_textfile_close(&f);
}

/* The one-shot read hands its buffer over and keeps no descriptor. */
static void test_read_once(void)
{
	char *text = NULL;
	size_t len;

	put("once\n");
	CU_ASSERT_EQUAL_FATAL(saba_textfile_read(path, &text, &len), 0);
	CU_ASSERT_STRING_EQUAL(text, "once\n");
	CU_ASSERT_EQUAL(len, 5);
	free(text);
}

/* Not procfs: never trusted to tell. */
static void test_mounts_changed_plain_file(void)
{
	struct saba_textfile f = SABA_TEXTFILE_INIT;
	int fd = -1, pollable = -1;
	char *text;
	size_t len;

	put("/dev/sda1 / ext4 rw 0 0\n");
	CU_ASSERT_EQUAL(saba_mounts_changed(&f, &fd, &pollable), 1); /* not open yet */
	CU_ASSERT_EQUAL_FATAL(saba_textfile_reread(&f, path, &text, &len), 0);
	CU_ASSERT_EQUAL(saba_mounts_changed(&f, &fd, &pollable), 1);
	CU_ASSERT_EQUAL(saba_mounts_changed(&f, &fd, &pollable), 1);
	CU_ASSERT_EQUAL(pollable, 0);
	saba_textfile_close(&f);
}

/* In a mount namespace of its own (a child, as root): the table is
 * unchanged after the read, changed once after a mount, then unchanged.
 * Exit status: 0 as expected, 77 no namespace to be had, else the step. */
static int mounts_child(void)
{
	struct saba_textfile f = SABA_TEXTFILE_INIT;
	int fd = -1, pollable = -1;
	char *text;
	size_t len;

	if (unshare(CLONE_NEWNS) != 0 || mount("none", "/", "none", MS_REC | MS_PRIVATE, NULL) != 0)
		return 77;
	if (saba_textfile_reread(&f, "/proc/self/mounts", &text, &len) != 0)
		return 1;
	if (saba_mounts_changed(&f, &fd, &pollable) != 0 || pollable != 1)
		return 2;
	if (mount("saba-test", dir, "tmpfs", 0, "size=64k") != 0)
		return 77;
	if (saba_mounts_changed(&f, &fd, &pollable) != 1)
		return 3;
	if (saba_mounts_changed(&f, &fd, &pollable) != 0)
		return 4;
	umount(dir);
	return saba_mounts_changed(&f, &fd, &pollable) == 1 ? 0 : 5;
}

static void test_mounts_changed_procfs(void)
{
	struct saba_textfile f = SABA_TEXTFILE_INIT;
	int fd = -1, pollable = -1, status = -1;
	char *text;
	size_t len;
	pid_t pid;

	/* Here: the table as read is unchanged. */
	CU_ASSERT_EQUAL_FATAL(saba_textfile_reread(&f, "/proc/self/mounts", &text, &len), 0);
	CU_ASSERT_EQUAL(saba_mounts_changed(&f, &fd, &pollable), 0);
	CU_ASSERT_EQUAL(pollable, 1);
	saba_textfile_close(&f);
	pid = fork();
	CU_ASSERT_FATAL(pid >= 0);
	if (pid == 0)
		_exit(mounts_child());
	CU_ASSERT_EQUAL_FATAL(waitpid(pid, &status, 0), pid);
	CU_ASSERT_TRUE(WIFEXITED(status));
	if (WEXITSTATUS(status) == 77 && geteuid() != 0)
		printf("\n  (not root: the mount half of test_mounts_changed_procfs did not "
		       "run)\n");
	else
		CU_ASSERT_EQUAL(WEXITSTATUS(status), 0);
}

static const struct unit_test tests[] = {
	UNIT_TEST(test_reread_in_place),
	UNIT_TEST(test_larger_than_buffer),
	UNIT_TEST(test_reopen_on_failure),
	UNIT_TEST(test_missing),
	UNIT_TEST(test_read_once),
	UNIT_TEST(test_mounts_changed_plain_file),
	UNIT_TEST(test_mounts_changed_procfs),
};

int main(void)
{
	int rc;

	if (setup() != 0) {
		perror("test_textfile: mkdtemp");
		return UNIT_EXIT_HARD;
	}
	rc = UNIT_RUN("textfile", tests);
	cleanup();
	return rc;
}
