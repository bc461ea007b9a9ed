/*
 * command_os: between the command runner's shared part (command_shared.c,
 * cmdconf.c) and its system part (command.c on POSIX, command_win32.c),
 * which defines saba_cmd_run(), saba_cmd_set_user() and these.
 */
#ifndef SABA_PLUGIN_COMMAND_OS_H
#define SABA_PLUGIN_COMMAND_OS_H

#include "command.h"

/* cmd runs line through the system's shell.  SABA_OK, SABA_INVALID (the
 * shell cannot take this line) or SABA_ERROR (out of memory). */
int saba_cmd_os_shell(struct saba_cmd *cmd, const char *line);
/* Free what the system part keeps in cmd (the account to run as). */
void saba_cmd_os_free(struct saba_cmd *cmd);
/* Can the system pass cmd's list as it is?  SABA_OK, or SABA_INVALID with
 * why in err (Windows: an argument cmd.exe would reinterpret for a batch
 * file). */
int saba_cmd_os_check(const struct saba_cmd *cmd, char *err, size_t errlen);

/* The cancel object's wake-up (a self-pipe, an event).  interrupt() and
 * rearm() are called with c->lock held: interrupt() ends the running
 * command and wakes its run, rearm() forgets a past interrupt. */
int saba_cmd_os_cancel_init(struct saba_cmd_cancel *c);
void saba_cmd_os_cancel_destroy(struct saba_cmd_cancel *c);
void saba_cmd_os_interrupt(struct saba_cmd_cancel *c);
void saba_cmd_os_rearm(struct saba_cmd_cancel *c);

/* What a run keeps of one output stream: at most cap bytes (NUL-terminated
 * in buf), truncated set when more came or memory ran out. */
struct saba_cmd_buf {
	char *buf;
	size_t len, size, cap;
	int truncated;
};
void saba_cmd_buf_add(struct saba_cmd_buf *b, const char *data, size_t n);

/* A run starts (busy 1) or ends (0); returns whether c (may be NULL) is
 * cancelled, and wakes saba_cmd_cancel_wait() at the end. */
int saba_cmd_track(struct saba_cmd_cancel *c, int busy);
/* res->error for a run that timed out or was cancelled, unless it has
 * one already. */
void saba_cmd_finish(const struct saba_cmd *cmd, struct saba_cmd_result *res);

#endif /* SABA_PLUGIN_COMMAND_OS_H */
