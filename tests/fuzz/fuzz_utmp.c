/*
 * fuzz_utmp: a utmp file through the sysv trigger: the reader
 * (saba_sysv_read_utmp) against a plain scan of the same bytes, and the
 * plugin's shutdown(), which may retire only on a halt, reboot or stop
 * that the newest runlevel record really says.
 * Input: the file (an array of struct utmpx).
 */
#include "plugins/sysv/sysv.c"

#include <stdio.h>
#include <stdlib.h>

#include <saba/plugin-test.h>
#include "fuzz.h"

/* The reader's answer, worked out independently. */
static int fuzz_utmp_expect(const uint8_t *data, size_t size, struct saba_sysv_record *rec)
{
	int found = 0;

	if (size % sizeof(struct utmpx) != 0)
		return SABA_SYSV_UNREADABLE;
	for (size_t off = 0; off < size; off += sizeof(struct utmpx)) {
		struct utmpx u;

		memcpy(&u, data + off, sizeof(u));
		if (u.ut_type < EMPTY || u.ut_type > ACCOUNTING)
			return SABA_SYSV_UNREADABLE;
		if (u.ut_type == RUN_LVL && (!found || u.ut_tv.tv_sec >= rec->time)) {
			rec->runlevel = u.ut_pid & 0xff;
			rec->previous = (u.ut_pid >> 8) & 0xff;
			rec->time = u.ut_tv.tv_sec;
			found = 1;
		}
	}
	return found ? SABA_SYSV_FOUND : SABA_SYSV_NONE;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct fuzz_part file = {(const char *)data, size};
	const struct saba_plugin *p = saba_plugin_entry();
	struct saba_sysv_record want = {0}, got = {0};
	char path[600], err[160] = "", evidence[512];
	int expect, rc, kind;
	struct saba_test_host *fh;
	struct saba_sysv *t;

	fuzz_write("utmp", &file);
	snprintf(path, sizeof(path), "%s/utmp", fuzz_dir());
	expect = fuzz_utmp_expect(data, size, &want);
	rc = saba_sysv_read_utmp(path, &got, err, sizeof(err));
	if (rc != expect || (rc == SABA_SYSV_FOUND && memcmp(&got, &want, sizeof(got)) != 0))
		fuzz_fail("saba_sysv_read_utmp() = %d (%s); want %d", rc, err, expect);
	saba_sysv_evidence(path, rc == SABA_SYSV_FOUND ? &got : NULL, err, 0, evidence,
			   sizeof(evidence));
	if (strlen(evidence) >= sizeof(evidence))
		fuzz_fail("evidence overflowed");

	/* the trigger, allowed to retire on everything it may: the only
	 * thing between a bad utmp and a retirement is its classification */
	fh = fuzz_host("utmp = \"%s\"; restart_marker = \"%s/no-marker\"; "
		       "retire_on = [\"halt\", \"reboot\", \"stop\"];",
		       path, fuzz_dir());
	t = fuzz_create(fh, p);
	kind = p->shutdown(t);
	fuzz_host_check(fh, 1);
	if (kind != saba_sysv_classify(rc == SABA_SYSV_FOUND ? &want : NULL, t->since, 0))
		fuzz_fail("shutdown() classified the stop as %d", kind);
	if (saba_test_nretires(fh) > 1)
		fuzz_fail("%zu retire requests", saba_test_nretires(fh));
	if (saba_test_nretires(fh) == 1) {
		int level = want.runlevel;

		if (rc != SABA_SYSV_FOUND ||
		    !(level == '0' || level == '6' || (level >= '2' && level <= '5')) ||
		    ((level == '0' || level == '6') && want.time < t->since))
			fuzz_fail("retired on runlevel %d of %lld (read %d)", level,
				  (long long)want.time, rc);
	}
	p->destroy(t);
	saba_test_host_free(fh);
	return 0;
}
