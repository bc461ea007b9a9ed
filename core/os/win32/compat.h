/* Windows build only (config.h includes this on _WIN32): the POSIX pieces
 * mingw-w64's runtime and winpthreads lack, and where the agent's files
 * live by default (next to the executable, as upstream does). */
#ifndef SABA_COMPAT_WIN_H
#define SABA_COMPAT_WIN_H

#include <pthread.h>
#include <stddef.h>
#include <time.h>

/* Files are bytes, and no child inherits them. */
#ifndef O_CLOEXEC
#define O_CLOEXEC (O_BINARY | O_NOINHERIT)
#endif
/* No FIFOs or terminals to guard against when opening a file. */
#ifndef O_NONBLOCK
#define O_NONBLOCK 0
#endif
#ifndef O_NOCTTY
#define O_NOCTTY 0
#endif

/* glibc's pthread_timedjoin_np (abstime on CLOCK_REALTIME). */
#define pthread_timedjoin_np saba_pthread_timedjoin_np
int saba_pthread_timedjoin_np(pthread_t t, void **ret, const struct timespec *abstime);

/* <directory of saba-agent.exe>\name, UTF-8, malloc'd (never NULL). */
char *saba_win_exe_path(const char *name);

/* UTF-8 <-> UTF-16 for the W APIs; malloc'd, NULL only on bad input. */
wchar_t *saba_win_wide(const char *s);
char *saba_win_utf8(const wchar_t *w);

/* The system's message for a Win32 error code, without the trailing
 * newline, in buf; returns buf. */
char *saba_win_strerror(unsigned long code, char *buf, size_t len);

#endif
