#include "config.h"

#include <windows.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "os/win32/compat.h"
#include "util.h"

int saba_pthread_timedjoin_np(pthread_t t, void **ret, const struct timespec *abstime)
{
	struct timespec now;
	int64_t ms;

	clock_gettime(CLOCK_REALTIME, &now);
	ms = ((int64_t)abstime->tv_sec - now.tv_sec) * 1000 +
	     (abstime->tv_nsec - now.tv_nsec) / 1000000;
	if (ms < 0)
		ms = 0;
	/* winpthreads keeps the thread's Win32 handle: wait on it, then
	 * join, which no longer blocks. */
	if (WaitForSingleObject(pthread_gethandle(t), (DWORD)ms) != WAIT_OBJECT_0)
		return ETIMEDOUT;
	return pthread_join(t, ret);
}

wchar_t *saba_win_wide(const char *s)
{
	int n = MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, s, -1, NULL, 0);
	wchar_t *w;

	if (n <= 0)
		return NULL;
	w = saba_calloc((size_t)n, sizeof(*w));
	MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, s, -1, w, n);
	return w;
}

char *saba_win_utf8(const wchar_t *w)
{
	int n = WideCharToMultiByte(CP_UTF8, 0, w, -1, NULL, 0, NULL, NULL);
	char *s;

	if (n <= 0)
		return NULL;
	s = saba_calloc((size_t)n, 1);
	WideCharToMultiByte(CP_UTF8, 0, w, -1, s, n, NULL, NULL);
	return s;
}

char *saba_win_exe_path(const char *name)
{
	wchar_t w[32768];
	DWORD n = GetModuleFileNameW(NULL, w, sizeof(w) / sizeof(w[0]));
	char *dir, *out;
	wchar_t *slash;

	if (n == 0 || n >= sizeof(w) / sizeof(w[0]))
		return saba_asprintf(".\\%s", name);
	slash = wcsrchr(w, L'\\');
	if (slash != NULL)
		*slash = L'\0';
	dir = saba_win_utf8(w);
	out = saba_asprintf("%s\\%s", dir != NULL ? dir : ".", name);
	free(dir);
	return out;
}

char *saba_win_strerror(unsigned long code, char *buf, size_t len)
{
	DWORD n = FormatMessageA(FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS, NULL,
				 (DWORD)code, 0, buf, (DWORD)len, NULL);

	if (n == 0) {
		snprintf(buf, len, "error %lu", code);
		return buf;
	}
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r' || buf[n - 1] == ' '))
		buf[--n] = '\0';
	return buf;
}
