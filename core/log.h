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

#define saba_err(...)	 saba_log(SABA_LOG_ERR, __VA_ARGS__)
#define saba_warn(...)	 saba_log(SABA_LOG_WARNING, __VA_ARGS__)
#define saba_notice(...) saba_log(SABA_LOG_NOTICE, __VA_ARGS__)
#define saba_info(...)	 saba_log(SABA_LOG_INFO, __VA_ARGS__)
#define saba_debug(...)	 saba_log(SABA_LOG_DEBUG, __VA_ARGS__)

#endif
