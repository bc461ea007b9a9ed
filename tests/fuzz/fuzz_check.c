/*
 * fuzz_check: what a check plugin leaves behind (its exit, stdout and
 * stderr), through the check plugin's verdict (saba_check_result): the
 * status, the message cut to 1024 characters, stderr to the log, and the
 * filter that does not repeat an unchanged OK.  Two instances: a plain one
 * and one with prevent_alert_auto_close.  The command is not run.
 * Input: runs separated by "%%", each a first line "exit N", "signal N",
 * "timeout" or "nostart", then stdout, then optionally a NUL byte and
 * stderr.
 */
#include "plugins/check/check.c"

#include <signal.h>

#include <saba/plugin-test.h>
#include "fuzz.h"

/* A saba_cmd_result as saba_cmd_run() would leave it; 0 when the first
 * line is none of the four forms. */
static int fuzz_check_run(const struct fuzz_part *p, struct saba_cmd_result *res)
{
	const char *nl = memchr(p->data, '\n', p->len), *body, *nul;
	size_t head = nl != NULL ? (size_t)(nl - p->data) : p->len, len;
	char first[32];
	int num = 0;

	memset(res, 0, sizeof(*res));
	snprintf(first, sizeof(first), "%.*s", (int)(head < 31 ? head : 31), p->data);
	if (sscanf(first, "exit %d", &num) == 1) {
		res->started = res->exited = 1;
		res->code = num & 0xff;
	} else if (sscanf(first, "signal %d", &num) == 1) {
		res->started = 1;
		res->signal = num & 0x7f;
		snprintf(res->error, sizeof(res->error), "killed by signal %d", res->signal);
	} else if (strcmp(first, "timeout") == 0) {
		res->started = res->timed_out = 1;
		res->signal = SIGKILL;
		snprintf(res->error, sizeof(res->error), "command timed out after 30 s");
	} else if (strcmp(first, "nostart") == 0) {
		snprintf(res->error, sizeof(res->error), "check: command not found");
	} else {
		return 0;
	}
	body = nl != NULL ? nl + 1 : p->data + p->len;
	len = (size_t)(p->data + p->len - body);
	nul = memchr(body, '\0', len);
	res->out_len = nul != NULL ? (size_t)(nul - body) : len;
	res->err_len = nul != NULL ? len - res->out_len - 1 : 0;
	/* the caps of a real run */
	res->out_truncated = res->out_len > SABA_CHECK_OUT_CAP;
	res->err_truncated = res->err_len > SABA_CHECK_ERR_CAP;
	if (res->out_truncated)
		res->out_len = SABA_CHECK_OUT_CAP;
	if (res->err_truncated)
		res->err_len = SABA_CHECK_ERR_CAP;
	res->out = fuzz_str(&(struct fuzz_part){body, res->out_len});
	res->err = fuzz_str(&(struct fuzz_part){nul != NULL ? nul + 1 : "", res->err_len});
	return 1;
}

/* Characters of UTF-8 text as saba_check_cut() counts them: bytes that
 * do not continue a sequence. */
static size_t fuzz_chars(const char *s)
{
	size_t n = 0;

	for (; *s != '\0'; s++)
		n += ((unsigned char)*s & 0xc0) != 0x80;
	return n;
}

static void fuzz_check_once(const struct fuzz_part *runs, size_t nruns, const char *config,
			    int prevent_close)
{
	const struct saba_plugin *p = saba_plugin_entry();
	struct saba_test_host *fh = fuzz_host("%s", config);
	struct saba_check *ck = fuzz_create(fh, p);
	char *last_ok = NULL;

	for (size_t i = 0; i < nruns; i++) {
		struct saba_cmd_result res;
		struct saba_check_report rep;
		size_t before = saba_test_nchecks(fh);
		int want, expect;

		if (!fuzz_check_run(&runs[i], &res))
			continue;
		want = res.started && !res.timed_out && res.exited && res.code <= 3
			       ? res.code
			       : SABA_CHECK_UNKNOWN;
		saba_check_result(ck, &res, 1700000000);
		fuzz_host_check(fh, 1);
		if (saba_test_nchecks(fh) > before + 1)
			fuzz_fail("one run sent %zu reports", saba_test_nchecks(fh) - before);
		if (ck->last_status != want)
			fuzz_fail("status %d, want %d", ck->last_status, want);
		/* sent unless an OK that closes nothing or repeats itself */
		expect = want != SABA_CHECK_OK ||
			 (!prevent_close &&
			  (last_ok == NULL || strcmp(last_ok, ck->last_message) != 0));
		if ((saba_test_nchecks(fh) == before + 1) != expect)
			fuzz_fail("status %d %s sent", want, expect ? "not" : "wrongly");
		if (expect) {
			saba_test_check_at(fh, before, &rep);
			if (rep.status != want || fuzz_chars(rep.message) > 1024 ||
			    strcmp(rep.message, ck->last_message) != 0)
				fuzz_fail("report: status %d, %zu characters", rep.status,
					  fuzz_chars(rep.message));
		}
		free(last_ok);
		last_ok = want == SABA_CHECK_OK ? strdup(ck->last_message) : NULL;
		saba_cmd_result_free(&res);
	}
	free(last_ok);
	saba_check_destroy(ck);
	saba_test_host_free(fh);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_part runs[8];
	size_t n = fuzz_split(data, size, runs, 8);

	fuzz_check_once(runs, n, "command = \"true\";", 0);
	fuzz_check_once(runs, n,
			"command = \"true\"; prevent_alert_auto_close = true; memo = \"fuzz\"; "
			"custom_identifier = \"fuzz-ci\"; notification_interval = 10;",
			1);
	return 0;
}
