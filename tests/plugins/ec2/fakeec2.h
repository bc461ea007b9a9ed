/*
 * The fake EC2 (tests/plugins/ec2/fakeec2.js) for CUnit tests.  Header only; needs
 * libcurl.
 *
 *	struct fakeec2 f;
 *	int rc = fakeec2_start(&f, tmpdir);   // 0, 77 (no node/python3) or 1
 *	fakeec2_post(&f, "/_fake/credentials", "{\"accessKeyId\":..}", NULL);
 *	... f.url is the endpoint ...
 *	fakeec2_stop(&f);
 *
 * aws4 comes from tests/plugins/ec2/aws4.py (under $SABA_SRCDIR, else ".").
 * FAKEEC2_MAIN() is a whole main(): an offline suite, then a suite against
 * the fake (include unit.h first).
 */
#ifndef SABA_TESTS_FAKEEC2_H
#define SABA_TESTS_FAKEEC2_H

#include <curl/curl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct fakeec2 {
	pid_t pid;
	int port;
	char url[64];
	char dir[512]; /* of aws4.js */
};

static inline int fakeec2_have(const char *prog)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "command -v %s >/dev/null 2>&1", prog);
	return system(cmd) == 0;
}

/* 0 started, 77 node or python3 missing (says so), 1 failed (says why). */
static inline int fakeec2_start(struct fakeec2 *f, const char *workdir)
{
	const char *src = getenv("SABA_SRCDIR");
	const char *node = fakeec2_have("node") ? "node" : "nodejs";
	char cmd[1024], port_file[512], script[512], log[512];
	FILE *p;
	size_t n;

	memset(f, 0, sizeof(*f));
	if (src == NULL || *src == '\0')
		src = ".";
	if (!fakeec2_have("node") && !fakeec2_have("nodejs")) {
		fprintf(stderr, "SKIP: node not found (Debian package nodejs): the fake EC2 "
				"runs on Node.js\n");
		return 77;
	}
	if (!fakeec2_have("python3")) {
		fprintf(stderr, "SKIP: python3 not found (it fetches aws4 for the fake EC2)\n");
		return 77;
	}
	snprintf(cmd, sizeof(cmd), "python3 '%s/tests/plugins/ec2/aws4.py'", src);
	p = popen(cmd, "r");
	if (p == NULL || fgets(f->dir, sizeof(f->dir), p) == NULL) {
		if (p != NULL)
			pclose(p);
		fprintf(stderr, "FAIL: %s gave no aws4 directory (its error is above)\n", cmd);
		return 1;
	}
	if (pclose(p) != 0) {
		fprintf(stderr, "FAIL: %s failed\n", cmd);
		return 1;
	}
	n = strlen(f->dir);
	while (n > 0 && (f->dir[n - 1] == '\n' || f->dir[n - 1] == '\r'))
		f->dir[--n] = '\0';
	snprintf(port_file, sizeof(port_file), "%s/fakeec2.port", workdir);
	snprintf(log, sizeof(log), "%s/fakeec2.log", workdir);
	snprintf(script, sizeof(script), "%s/tests/plugins/ec2/fakeec2.js", src);
	unlink(port_file);
	fflush(NULL);
	f->pid = fork();
	if (f->pid == 0) {
		FILE *l = freopen(log, "w", stdout);

		(void)l;
		dup2(1, 2);
		execlp(node, node, script, "--aws4", f->dir, "--port-file", port_file,
		       (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 1500; i++) { /* 15 s */
		struct stat st;
		struct timespec ts = {0, 10000000};
		int status;

		if (stat(port_file, &st) == 0) {
			FILE *pf = fopen(port_file, "r");

			if (pf != NULL && fscanf(pf, "%d", &f->port) == 1) {
				fclose(pf);
				snprintf(f->url, sizeof(f->url), "http://127.0.0.1:%d", f->port);
				return 0;
			}
			if (pf != NULL)
				fclose(pf);
		}
		if (waitpid(f->pid, &status, WNOHANG) == f->pid) {
			f->pid = 0;
			break;
		}
		nanosleep(&ts, NULL);
	}
	fprintf(stderr, "FAIL: the fake EC2 did not start (log: %s)\n", log);
	if (f->pid > 0) {
		kill(f->pid, SIGKILL);
		waitpid(f->pid, NULL, 0);
	}
	return 1;
}

static inline void fakeec2_stop(struct fakeec2 *f)
{
	if (f->pid > 0) {
		kill(f->pid, SIGTERM);
		waitpid(f->pid, NULL, 0);
		f->pid = 0;
	}
}

struct fakeec2_buf {
	char *data;
	size_t len;
};

static inline size_t fakeec2_on_body(char *d, size_t size, size_t nmemb, void *u)
{
	struct fakeec2_buf *b = u;
	size_t n = size * nmemb;
	char *p = realloc(b->data, b->len + n + 1);

	if (p == NULL)
		return 0;
	b->data = p;
	memcpy(b->data + b->len, d, n);
	b->len += n;
	b->data[b->len] = '\0';
	return n;
}

/* A control call: POST json (or GET when json is NULL) to path.  Returns
 * the HTTP status; *out (if not NULL) gets the malloc'd answer. */
static inline long fakeec2_call(struct fakeec2 *f, const char *path, const char *json, char **out)
{
	CURL *c = curl_easy_init();
	struct fakeec2_buf b = {NULL, 0};
	char url[512];
	long status = 0;

	snprintf(url, sizeof(url), "%s%s", f->url, path);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_PROXY, "");
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
	if (json != NULL)
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, json);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, fakeec2_on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
	if (curl_easy_perform(c) == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_cleanup(c);
	if (out != NULL)
		*out = b.data != NULL ? b.data : strdup("");
	else
		free(b.data);
	return status;
}

static inline long fakeec2_post(struct fakeec2 *f, const char *path, const char *json)
{
	return fakeec2_call(f, path, json, NULL);
}

#ifdef SABA_TESTS_UNIT_H
/* Run the offline suite, then start the fake in a temp dir and run the
 * suite that needs it; exit status as UNIT_RUN's, SKIP (77) when the fake
 * cannot run (no node) and the offline suite passed. */
static inline int fakeec2_main(struct fakeec2 *f, const char *offline_name,
			       const struct unit_test *offline, size_t noffline, const char *name,
			       const struct unit_test *tests, size_t n)
{
	char tmpdir[] = "/tmp/saba-test-fakeec2.XXXXXX", path[PATH_MAX];
	int rc, frc;

	curl_global_init(CURL_GLOBAL_DEFAULT);
	unsetenv("http_proxy");
	unsetenv("HTTP_PROXY");
	rc = unit_run_suite(offline_name, offline, noffline, NULL, NULL);
	if (mkdtemp(tmpdir) == NULL) {
		perror("mkdtemp");
		return UNIT_EXIT_HARD;
	}
	frc = fakeec2_start(f, tmpdir);
	if (frc == 0) {
		frc = unit_run_suite(name, tests, n, NULL, NULL);
		fakeec2_stop(f);
	} else if (frc == UNIT_EXIT_SKIP) {
		fprintf(stderr, "(the %s suite ran: %s)\n", offline_name,
			rc == UNIT_EXIT_PASS ? "passed" : "FAILED");
	}
	curl_global_cleanup();
	unlink(unit_path(path, sizeof(path), tmpdir, "fakeec2.port"));
	unlink(unit_path(path, sizeof(path), tmpdir, "fakeec2.log"));
	rmdir(tmpdir);
	return rc != UNIT_EXIT_PASS ? rc : frc;
}

#define FAKEEC2_MAIN(f, offline_name, offline, name, tests)                                        \
	fakeec2_main((f), (offline_name), (offline), sizeof(offline) / sizeof((offline)[0]),       \
		     (name), (tests), sizeof(tests) / sizeof((tests)[0]))
#endif

#endif
