/* A plugin that crashes takes the agent down (its memory can no longer be
 * trusted, and the service manager restarts the agent), but the last line the
 * agent writes names the plugin and the hook it was in.  Every call into a
 * plugin is bracketed by saba_crash_enter/leave; the marks are per thread. */
#ifndef SABA_CRASH_H
#define SABA_CRASH_H

struct saba_crash_frame {
	const char *label; /* "plugin/instance" */
	const char *hook;  /* "collect", ... */
	struct saba_crash_frame *prev;
};

/* Install the handlers for SIGSEGV, SIGBUS, SIGFPE, SIGILL and SIGABRT
 * (once; later calls do nothing). */
void saba_crash_install(void);

/* label and hook must outlive the call (the instance's label, a literal). */
void saba_crash_enter(struct saba_crash_frame *f, const char *label, const char *hook);
void saba_crash_leave(struct saba_crash_frame *f);

#endif
