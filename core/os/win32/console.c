#include "config.h"

#include <windows.h>

#include "os/win32/console.h"
#include "util.h"

/* A console control handler gets no context argument, so the runtime it
 * stops is the one file-level pointer; set before the handler is installed
 * and cleared after it is removed. */
static struct saba_runtime *volatile saba_console_rt;
static int64_t saba_console_first;

static BOOL WINAPI saba_console_handler(DWORD type)
{
	struct saba_runtime *rt = saba_console_rt;

	switch (type) {
	case CTRL_C_EVENT:
	case CTRL_BREAK_EVENT:
	case CTRL_CLOSE_EVENT:
		break;
	default:
		/* Logoff and shutdown reach service processes too: the SCM's
		 * controls decide what a shutdown means, and a logoff means
		 * nothing to a service.  TRUE keeps the default handler from
		 * ending the process. */
		return TRUE;
	}
	if (rt == NULL)
		return FALSE;
	pthread_mutex_lock(&rt->lock);
	if (rt->stop_requested && saba_now_ms() - saba_console_first >= 1000) {
		static const char msg[] = "saba-agent: second interrupt, exiting at once\n";
		DWORD n;

		WriteFile(GetStdHandle(STD_ERROR_HANDLE), msg, sizeof(msg) - 1, &n, NULL);
		ExitProcess(1);
	}
	if (!rt->stop_requested) {
		rt->stop_requested = 1;
		saba_console_first = saba_now_ms();
	}
	pthread_cond_broadcast(&rt->wake);
	pthread_mutex_unlock(&rt->lock);
	return TRUE;
}

void saba_console_start(struct saba_runtime *rt)
{
	saba_console_rt = rt;
	SetConsoleCtrlHandler(saba_console_handler, TRUE);
}

void saba_console_stop(void)
{
	SetConsoleCtrlHandler(saba_console_handler, FALSE);
	saba_console_rt = NULL;
}
