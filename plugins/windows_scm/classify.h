/* The windows_scm trigger's decisions, as pure functions over what the SCM
 * and the event log said, so they are unit-tested natively on Linux (linked
 * into the plugin and the test). */
#ifndef SABA_WINDOWS_SCM_CLASSIFY_H
#define SABA_WINDOWS_SCM_CLASSIFY_H

#include <stddef.h>
#include <stdint.h>

#include <saba/plugin.h>

/* SCM control codes (winsvc.h's values, spelled out so Linux builds this). */
#define SABA_SCM_CONTROL_STOP	     0x01u
#define SABA_SCM_CONTROL_INTERROGATE 0x04u
#define SABA_SCM_CONTROL_SHUTDOWN    0x05u
#define SABA_SCM_CONTROL_PRESHUTDOWN 0x0Fu
/* Test builds (--enable-test-controls) only: a user-defined control (128
 * to 255; Wine and Windows refuse to send SHUTDOWN and PRESHUTDOWN) that
 * takes the PRESHUTDOWN path. */
#define SABA_SCM_TEST_CONTROL 200u

/*
 * The stop a control starts: SABA_STOP_STOP for STOP (an administrator,
 * `sc stop`, an installer's upgrade or uninstall), SABA_STOP_SHUTDOWN for
 * PRESHUTDOWN and SHUTDOWN (the OS is going down, restart or power off
 * unknown) and for test_code when it is in 128..255 (0: none), and -1 for
 * every other control (INTERROGATE, ...), which starts nothing.
 */
int saba_scm_classify(uint32_t control, uint32_t test_code);

/* The newest System event 1074 (source User32), as the plugin read it. */
struct saba_scm_event {
	int found;		   /* 0: none, or the log could not be read */
	const char *shutdown_type; /* its "Shutdown Type" (param5): "power off", "restart" */
	int64_t age;		   /* seconds between the event and now */
};

/* What the trigger wants from the core. */
struct saba_scm_policy {
	uint32_t retire_on;    /* bit (1 << kind) per kind that may retire */
	int require_event;     /* off-cloud: event 1074 must say power off */
	int64_t event_max_age; /* seconds; an older event is a past shutdown's */
};

/*
 * Should a stop of kind (from saba_scm_classify, or -1: no control came)
 * ask the core's retire routine, which then asks a cloud plugin when one
 * is loaded?  Only a SHUTDOWN in retire_on; with require_event only when
 * the newest event 1074 is fresh and says "power off" (any case, trimmed;
 * a localized or missing type means no).  Writes the reason to why
 * (always NUL-terminated when len > 0).  Returns 1 to retire, 0 not.
 */
int saba_scm_decide(int kind, const struct saba_scm_policy *p, const struct saba_scm_event *ev,
		    char *why, size_t len);

#endif
