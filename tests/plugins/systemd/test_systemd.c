/*
 * The systemd trigger's shutdown() against a bus that never answers: a
 * socket that accepts the connection (the kernel's backlog does) and says
 * nothing, not even to the authentication.  The stop must keep the bound
 * the shutdown budget gives it, classify the stop as unknown and not
 * retire.  A shutdown() still blocked after SABA_WATCHDOG seconds fails the
 * test from a SIGALRM handler.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "plugtest.h"
#include "unit.h"

#define SABA_WATCHDOG 20 /* seconds */

static const struct saba_plugin *sd;
static void *sd_dl;

static int suite_init(void)
{
	sd = plugtest_load("systemd", &sd_dl);
	return sd != NULL ? 0 : -1;
}

static int suite_cleanup(void)
{
	saba_test_unload(sd_dl);
	return 0;
}

static void watchdog(int sig)
{
	static const char msg[] = "FAIL: shutdown() still blocked after the watchdog's "
				  "seconds: the stop does not keep its bound\n";

	(void)sig;
	(void)!write(2, msg, sizeof(msg) - 1);
	_exit(1);
}

/* A listening unix socket at <dir>/bus that nobody serves; -1 on error. */
static int silent_bus(const char *dir, char *path, size_t len)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	snprintf(path, len, "%s/bus", dir);
	if (strlen(path) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "silent bus: %s is too long for a socket\n", path);
		if (fd >= 0)
			close(fd);
		return -1;
	}
	memcpy(sa.sun_path, path, strlen(path) + 1);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 || listen(fd, 8) != 0) {
		perror("silent bus");
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

static void test_silent_bus_keeps_the_bound(void)
{
	char dir[] = "/tmp/saba-test-systemd.XXXXXX", path[128];
	struct saba_test_host *fh;
	void *inst;
	double t0, took;
	int fd, kind;

	CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
	fd = silent_bus(dir, path, sizeof(path));
	CU_ASSERT_FATAL(fd >= 0);
	inst = plugtest_create(sd, &fh, "bus = \"unix:path=%s\";", path);
	saba_test_set_shutdown_budget(fh, 1);
	signal(SIGALRM, watchdog);
	alarm(SABA_WATCHDOG);
	t0 = plugtest_now();
	kind = sd->shutdown(inst);
	took = plugtest_now() - t0;
	alarm(0);
	CU_ASSERT_EQUAL(kind, SABA_STOP_UNKNOWN);
	/* the budget (1 s), and a little */
	if (took >= 2.0)
		fprintf(stderr, "shutdown() took %.2f s\n", took);
	CU_ASSERT(took < 2.0);
	CU_ASSERT_EQUAL(saba_test_nretires(fh), 0);
	CU_ASSERT_EQUAL(saba_test_log_count(fh, SABA_LOG_WARNING, "no answer from"), 1);
	plugtest_destroy(sd, fh, inst);
	close(fd);
	unlink(path);
	rmdir(dir);
}

static const struct unit_test tests[] = {
	UNIT_TEST(test_silent_bus_keeps_the_bound),
};

int main(void)
{
	return unit_run_suite("systemd", tests, sizeof(tests) / sizeof(tests[0]), suite_init,
			      suite_cleanup);
}
