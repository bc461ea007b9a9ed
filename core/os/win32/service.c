#include "config.h"

#include <windows.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "os/win32/compat.h"
#include "log.h"
#include "os/win32/service.h"
#include "util.h"

#define SABA_SERVICE_DISPLAY L"saba-agent (Mackerel host agent)"
#define SABA_SERVICE_DESC                                                                          \
	L"Registers this host with Mackerel, posts its metrics, and retires it when the machine "  \
	L"is going away for good (never on a service stop)."
#define SABA_UNINSTALL_WAIT_MS 30000

static void saba_service_error(const char *what)
{
	char msg[256];

	saba_err("%s: %s", what, saba_win_strerror(GetLastError(), msg, sizeof(msg)));
}

/* An absolute path, quoted for a command line (paths cannot hold '"'). */
static wchar_t *saba_quoted_full_path(const char *path)
{
	wchar_t *w = saba_win_wide(path), *full = NULL, *out = NULL;
	DWORD n;

	if (w == NULL)
		goto out;
	n = GetFullPathNameW(w, 0, NULL, NULL);
	if (n == 0)
		goto out;
	full = saba_calloc(n + 1, sizeof(*full));
	if (GetFullPathNameW(w, n + 1, full, NULL) == 0)
		goto out;
	out = saba_calloc(wcslen(full) + 3, sizeof(*out));
	swprintf(out, wcslen(full) + 3, L"\"%ls\"", full);
out:
	free(w);
	free(full);
	return out;
}

/* "<exe>" run --service -c "<config>" --log-file "<log>" [--root ..] [--plugin-dir ..] */
static wchar_t *saba_service_command(const struct saba_options *o, const char *log_file)
{
	char *exe = saba_win_exe_path("saba-agent.exe");
	char *log = log_file != NULL ? saba_strdup(log_file) : saba_win_exe_path("saba-agent.log");
	const char *names[] = {NULL, "-c", "--log-file", "--root", "--plugin-dir"};
	const char *paths[] = {exe, o->config, log, o->ov.root, o->ov.plugin_dir};
	wchar_t *q[5] = {NULL}, *cmd = NULL;
	size_t len = 32;
	int ok = 1;

	for (int i = 0; i < 5; i++) {
		if (paths[i] == NULL)
			continue;
		q[i] = saba_quoted_full_path(paths[i]);
		if (q[i] == NULL) {
			saba_err("service install: bad path %s", paths[i]);
			ok = 0;
			goto out;
		}
		len += wcslen(q[i]) + 16;
	}
	cmd = saba_calloc(len, sizeof(*cmd));
	swprintf(cmd, len, L"%ls run --service", q[0]);
	for (int i = 1; i < 5; i++)
		if (q[i] != NULL)
			swprintf(cmd + wcslen(cmd), len - wcslen(cmd), L" %hs %ls", names[i], q[i]);
out:
	for (int i = 0; i < 5; i++)
		free(q[i]);
	free(exe);
	free(log);
	if (!ok) {
		free(cmd);
		cmd = NULL;
	}
	return cmd;
}

static int saba_service_install(SC_HANDLE scm, const struct saba_options *o, const char *log_file)
{
	SERVICE_DESCRIPTIONW desc = {.lpDescription = SABA_SERVICE_DESC};
	wchar_t *cmd = saba_service_command(o, log_file);
	SC_HANDLE svc = NULL;
	int rc = 1;

	if (cmd == NULL)
		goto out;
	if (GetFileAttributesA(o->config) == INVALID_FILE_ATTRIBUTES)
		saba_warn("service install: %s does not exist yet; the service will not start "
			  "without it",
			  o->config);
	/* Auto start after the RPC endpoint mapper and TCP/IP, as upstream. */
	svc = CreateServiceW(scm, SABA_SERVICE_NAME, SABA_SERVICE_DISPLAY, SERVICE_ALL_ACCESS,
			     SERVICE_WIN32_OWN_PROCESS, SERVICE_AUTO_START, SERVICE_ERROR_NORMAL,
			     cmd, NULL, NULL, L"RPCSS\0Tcpip\0", NULL, NULL);
	if (svc == NULL) {
		saba_service_error("service install: CreateService");
		goto out;
	}
	if (!ChangeServiceConfig2W(svc, SERVICE_CONFIG_DESCRIPTION, &desc))
		saba_service_error("service install: setting the description");
	printf("installed service %ls: %ls\n", SABA_SERVICE_NAME, cmd);
	rc = 0;
out:
	if (svc != NULL)
		CloseServiceHandle(svc);
	free(cmd);
	return rc;
}

/* Stop it first (a STOP control never retires), then delete. */
static int saba_service_uninstall(SC_HANDLE scm)
{
	SC_HANDLE svc =
		OpenServiceW(scm, SABA_SERVICE_NAME, DELETE | SERVICE_STOP | SERVICE_QUERY_STATUS);
	SERVICE_STATUS st;
	int64_t until = saba_now_ms() + SABA_UNINSTALL_WAIT_MS;
	int rc = 1;

	if (svc == NULL) {
		saba_service_error("service uninstall: OpenService");
		goto out;
	}
	if (QueryServiceStatus(svc, &st) && st.dwCurrentState != SERVICE_STOPPED) {
		if (!ControlService(svc, SERVICE_CONTROL_STOP, &st))
			saba_service_error("service uninstall: stopping the service");
		while (QueryServiceStatus(svc, &st) && st.dwCurrentState != SERVICE_STOPPED &&
		       saba_now_ms() < until)
			Sleep(250);
		if (st.dwCurrentState != SERVICE_STOPPED)
			saba_warn("service uninstall: the service did not stop within %d s; it is "
				  "deleted once it stops",
				  SABA_UNINSTALL_WAIT_MS / 1000);
	}
	if (!DeleteService(svc)) {
		saba_service_error("service uninstall: DeleteService");
		goto out;
	}
	printf("removed service %ls\n", SABA_SERVICE_NAME);
	rc = 0;
out:
	if (svc != NULL)
		CloseServiceHandle(svc);
	return rc;
}

int saba_cmd_service(const struct saba_options *o, const char *action, const char *log_file)
{
	SC_HANDLE scm = NULL;
	int install, rc = 2;

	if (action == NULL ||
	    (strcmp(action, "install") != 0 && strcmp(action, "uninstall") != 0)) {
		fprintf(stderr, "saba-agent: service needs \"install\" or \"uninstall\"\n");
		return 2;
	}
	install = strcmp(action, "install") == 0;
	scm = OpenSCManagerW(NULL, NULL, install ? SC_MANAGER_CREATE_SERVICE : SC_MANAGER_CONNECT);
	if (scm == NULL) {
		saba_service_error("cannot open the service control manager (run as an "
				   "administrator)");
		rc = 1;
		goto out;
	}
	rc = install ? saba_service_install(scm, o, log_file) : saba_service_uninstall(scm);
out:
	if (scm != NULL)
		CloseServiceHandle(scm);
	return rc;
}
