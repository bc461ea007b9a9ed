/*
 * Whole-file writes: the mode, and "only if absent" that leaves an
 * existing file and no temporary file behind.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "atomic.h"
#include "unit.h"

static void test_atomic_no_replace(void)
{
	char dir[] = "/tmp/saba-test-import.XXXXXX", path[64], err[256], buf[16] = "";
	struct stat st;
	FILE *f;

	CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/out.conf", dir);
	CU_ASSERT_EQUAL(saba_atomic_write(path, "out.conf", "one", 3, 0600, 0, err, sizeof(err)),
			0);
	CU_ASSERT_EQUAL(stat(path, &st), 0);
	CU_ASSERT_EQUAL(st.st_mode & 0777, 0600);
	CU_ASSERT_EQUAL(saba_atomic_write(path, "out.conf", "two", 3, 0600, 0, err, sizeof(err)),
			-1);
	CU_ASSERT_EQUAL(errno, EEXIST);
	f = fopen(path, "r");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CU_ASSERT_PTR_NOT_NULL(fgets(buf, sizeof(buf), f));
	fclose(f);
	CU_ASSERT_STRING_EQUAL(buf, "one");
	CU_ASSERT_EQUAL(saba_atomic_write(path, "out.conf", "two", 3, 0600, 1, err, sizeof(err)),
			0);
	unlink(path);
	CU_ASSERT_EQUAL(rmdir(dir), 0); /* no temporary file left behind */
}

static const struct unit_test tests[] = {
	UNIT_TEST(test_atomic_no_replace),
};

int main(void)
{
	return UNIT_RUN("atomic", tests);
}
