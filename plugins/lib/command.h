/*
 * command: run an external command for the exec and check plugins (a
 * convenience library linked into both modules, never into the agent).
 *
 * A struct saba_cmd (cmdconf.h) is prepared once from an instance's
 * settings in create(); saba_cmd_run() then runs it with stdin empty,
 * stdout and stderr read up to a cap (the rest is drained and discarded),
 * and everything it started ended at the timeout.  command_shared.c holds
 * what is the same on every system; the rest is command.c (POSIX: its own
 * process group, poll(), SIGTERM at the timeout to the group and to what
 * left it (cmdtree.h), SIGKILL after SABA_CMD_GRACE_MS or as soon as the
 * command has ended, always reaped) or command_win32.c (a job
 * object ended at the timeout, overlapped pipes, output of `cmd /U` read
 * as UTF-16).
 */
#ifndef SABA_PLUGIN_COMMAND_H
#define SABA_PLUGIN_COMMAND_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include <saba/plugin.h>

#include "cmdconf.h"

/* The plugins' state directory (MACKEREL_PLUGIN_WORKDIR) unless the agent
 * runs with one, and where `mkr plugin install` puts plugins (last in the
 * commands' PATH, as mackerel-agent has it). */
#ifdef _WIN32
#define SABA_CMD_WORKDIR NULL
#else
#define SABA_CMD_WORKDIR "/var/tmp/saba-agent"
#endif
#define SABA_CMD_WORKDIR_VAR "MACKEREL_PLUGIN_WORKDIR"
#define SABA_CMD_PLUGIN_BIN  "/opt/mackerel-agent/plugins/bin"

#define SABA_CMD_GRACE_MS 3000 /* SIGTERM, then SIGKILL this much later */

/* Lets another thread (a plugin's stop()) interrupt a run.  One run at a
 * time per cancel object. */
struct saba_cmd_cancel {
	pthread_mutex_t lock;
	pthread_cond_t idle; /* busy went 0 */
	int cancelled;
	int busy; /* a run is in progress */
#ifdef _WIN32
	void *event; /* set on cancel; the run waits on it */
	void *job;   /* the running command's job object, until closed */
#else
	int fd[2];  /* self-pipe the run polls */
	pid_t pgid; /* the running command's group, until it is reaped */
#endif
};

struct saba_cmd_result {
	int started;   /* 0: the command could not start; error says why */
	int timed_out; /* still running at the timeout: signalled */
	int cancelled; /* interrupted by saba_cmd_cancel() */
	int exited;    /* exited by itself, with code */
	int code;
	int signal; /* or killed by this signal */
	char *out;  /* stdout, NUL-terminated (NULs inside are kept) */
	size_t out_len;
	int out_truncated; /* more than the cap was written */
	char *err;	   /* stderr, the same way */
	size_t err_len;
	int err_truncated;
	int64_t elapsed_ms;
	char error[256]; /* why it did not start, or how it ended badly */
};

/* Rate limit for stderr lines forwarded to the log, one per instance. */
struct saba_cmd_ratelimit {
	int64_t window_start; /* monotonic ms */
	int lines;	      /* logged in this window */
	unsigned long suppressed;
};

int saba_cmd_cancel_init(struct saba_cmd_cancel *c);
void saba_cmd_cancel_destroy(struct saba_cmd_cancel *c);
/* Interrupt the current run (POSIX: SIGTERM to its group at once, SIGKILL
 * a second later; Windows: its job ended at once) and refuse new ones
 * until reset. */
void saba_cmd_cancel(struct saba_cmd_cancel *c);
/* Wait up to timeout_ms for the current run to end; 1 when none runs. */
int saba_cmd_cancel_wait(struct saba_cmd_cancel *c, int timeout_ms);
void saba_cmd_cancel_reset(struct saba_cmd_cancel *c);
int saba_cmd_cancelled(struct saba_cmd_cancel *c);

/*
 * Run cmd to completion, its timeout or a cancel.  extra_env ("NAME=value",
 * NULL-terminated, may be NULL) overrides the agent's environment and the
 * configured env.  Up to out_cap/err_cap bytes of stdout/stderr are kept.
 * A child that exited while something it started still holds stdout open
 * is not waited for past the timeout: the group gets SIGKILL and reading
 * stops.  cancel may be NULL.  Returns SABA_OK when the command ran (see
 * res for how it ended) or SABA_ERROR when it could not start; free res
 * with saba_cmd_result_free() either way.
 */
int saba_cmd_run(const struct saba_cmd *cmd, const char *const *extra_env, size_t out_cap,
		 size_t err_cap, struct saba_cmd_cancel *cancel, struct saba_cmd_result *res);
void saba_cmd_result_free(struct saba_cmd_result *res);

/* Forward res's stderr to the log at level, one line per stderr line,
 * at most 10 lines a minute per ratelimit; control characters are
 * replaced.  Suppressed lines are counted in a later line. */
void saba_cmd_log_stderr(const struct saba_host *host, saba_ctx *ctx, int level,
			 struct saba_cmd_ratelimit *rl, const struct saba_cmd_result *res);

/* $MACKEREL_PLUGIN_WORKDIR of the agent, else SABA_CMD_WORKDIR (NULL on
 * Windows: none, and plugins use %TEMP%, as mackerel-agent has it). */
const char *saba_cmd_default_workdir(void);
/* Create a workdir if it is missing (POSIX: mode 01777, shared by commands
 * running as any user, like /var/tmp). */
void saba_cmd_make_workdir(const char *dir);

#endif /* SABA_PLUGIN_COMMAND_H */
