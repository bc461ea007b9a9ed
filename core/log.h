/* Logging to stderr: timestamps for a terminal, <N> priority prefixes when
 * the journal captures stderr (JOURNAL_STREAM is set). */
#ifndef SABA_LOG_H
#define SABA_LOG_H

#include <stdarg.h>
#include <saba/plugin.h>

void saba_log_init(int max_level);
/* Send log lines (everything written to stderr) to the end of path
 * instead; a service has no stderr.  Prints why and returns -1 on error. */
int saba_log_file(const char *path);
int saba_log_level(void);
/* Change the level later (a config's log_level; SIGHUP). */
void saba_log_set_level(int max_level);
void saba_log(int level, const char *fmt, ...) SABA_PRINTF(2, 3);
/* prefix may be NULL; it is printed as "prefix: " before the message. */
void saba_logv(int level, const char *prefix, const char *fmt, va_list ap) SABA_PRINTF(3, 0);

/* Copy in to out (outlen bytes, always NUL-terminated) with its control
 * characters escaped (\n, \r, \t, \xNN, and \u00NN for the UTF-8 C1
 * controls): text from a server, a file or a plugin stays on one line and
 * never moves the terminal.  Returns the length written. */
size_t saba_log_escape(const char *in, char *out, size_t outlen);

#define saba_err(...)	 saba_log(SABA_LOG_ERR, __VA_ARGS__)
#define saba_warn(...)	 saba_log(SABA_LOG_WARNING, __VA_ARGS__)
#define saba_notice(...) saba_log(SABA_LOG_NOTICE, __VA_ARGS__)
#define saba_info(...)	 saba_log(SABA_LOG_INFO, __VA_ARGS__)
#define saba_debug(...)	 saba_log(SABA_LOG_DEBUG, __VA_ARGS__)

#endif
