/*
 * windows_scm: hosts the agent as a Windows service and is its shutdown
 * trigger.  `saba-agent run --service` hands the process to service_main(),
 * which connects to the SCM (StartServiceCtrlDispatcherW); the service main
 * runs the core's loop.  The handler only records which control came and
 * wakes a worker thread, which asks the core to stop and reports
 * SERVICE_STOP_PENDING with rising checkpoints until the core is done.
 *
 * STOP (an administrator, `sc stop`, an MSI upgrade or uninstall) never
 * retires.  PRESHUTDOWN (and SHUTDOWN) mean the OS is going down, restart or
 * power off unknown: the core's retire routine is asked only when
 * retire_on names "shutdown", and, unless require_event_1074 is off, only
 * when the newest System event 1074 is fresh and says "power off"; the
 * routine then asks a cloud plugin (ec2) when one is loaded.  A process
 * killed without a control (Wine, Windows after its timeouts) never
 * retires.
 *
 * Settings: saba_scm_settings below (`saba-agent plugins windows_scm` lists them
 * with their defaults).
 */
#include "config.h"

#include <windows.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <saba/plugin.h>

#include "lib/plugconf.h"
#include "lib/retire_on.h"
#include "classify.h"
#include "event.h"

#ifdef SABA_TEST_CONTROLS
#define SABA_SCM_TEST_CODE SABA_SCM_TEST_CONTROL
#else
#define SABA_SCM_TEST_CODE 0u
#endif

#define SABA_SCM_WAIT_HINT_MS 5000 /* promised between checkpoints */
#define SABA_SCM_TICK_MS      1000 /* a checkpoint this often */
#define SABA_SCM_EVENT_MS     5000 /* at most this long for the event log */

struct saba_scm {
	const struct saba_host *host;
	saba_ctx *ctx;
	uint32_t retire_on;
	int require_event;
	int event_max_age;
	int preshutdown_s;

	/* The service, while service_main() runs. */
	wchar_t *name;
	SERVICE_STATUS_HANDLE status_handle;
	CRITICAL_SECTION lock; /* guards status */
	SERVICE_STATUS status;
	HANDLE stop_event;  /* the handler saw a stop control */
	HANDLE done_event;  /* run() returned */
	volatile LONG kind; /* first stop control's kind; -1: none */
	int (*run)(void *arg);
	void (*request_stop)(void *arg);
	void *arg;
	int rc;
};

static const char *const saba_scm_allowed[] = {"shutdown", NULL};

static const struct saba_setting saba_scm_settings[] = {
	SABA_RETIRE_ON_SETTING(saba_scm_allowed, "[\"shutdown\"]"),
	{.name = "require_event_1074",
	 .type = SABA_CFG_BOOL,
	 .def = "true",
	 .description = "retire on a shutdown only when the newest event 1074 says power off "
			"(false: the cloud alone decides; then set retire.confirm = \"always\")"},
	{.name = "event_max_age",
	 .type = SABA_CFG_INT,
	 .def = "600",
	 .min = 10,
	 .max = 86400,
	 .description = "seconds an event 1074 counts as this shutdown's"},
	{.name = "preshutdown_timeout",
	 .type = SABA_CFG_INT,
	 .def = "60",
	 .min = 10,
	 .max = 3600,
	 .description = "seconds Windows waits for the agent at a shutdown (to cover "
			"retire.timeout + shutdown.timeout)"},
	{.name = NULL},
};

/* StartServiceCtrlDispatcherW's service main gets no context argument: the
 * one instance hosting the service is the only file-level state, set
 * before the dispatcher starts and cleared after it returns. */
static struct saba_scm *saba_scm_hosted;

static void saba_scm_log_error(struct saba_scm *t, int level, const char *what)
{
	char msg[200] = "";
	DWORD code = GetLastError();

	if (FormatMessageA(FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS, NULL, code,
			   0, msg, sizeof(msg), NULL) == 0)
		snprintf(msg, sizeof(msg), "error %lu", (unsigned long)code);
	msg[strcspn(msg, "\r\n")] = '\0';
	t->host->log(t->ctx, level, "%s: %s", what, msg);
}

/* Report a state; checkpoints rise on every pending report. */
static void saba_scm_report(struct saba_scm *t, DWORD state, DWORD exit_code)
{
	EnterCriticalSection(&t->lock);
	t->status.dwCurrentState = state;
	t->status.dwControlsAccepted =
		state == SERVICE_RUNNING ? SERVICE_ACCEPT_STOP | SERVICE_ACCEPT_PRESHUTDOWN : 0;
	if (state == SERVICE_START_PENDING || state == SERVICE_STOP_PENDING) {
		t->status.dwCheckPoint++;
		t->status.dwWaitHint = SABA_SCM_WAIT_HINT_MS;
	} else {
		t->status.dwCheckPoint = 0;
		t->status.dwWaitHint = 0;
	}
	if (state == SERVICE_STOPPED && exit_code != 0) {
		t->status.dwWin32ExitCode = ERROR_SERVICE_SPECIFIC_ERROR;
		t->status.dwServiceSpecificExitCode = exit_code;
	}
	if (!SetServiceStatus(t->status_handle, &t->status))
		saba_scm_log_error(t, SABA_LOG_WARNING, "SetServiceStatus");
	LeaveCriticalSection(&t->lock);
}

/* Runs on the dispatcher's thread: record, wake the worker, return. */
static DWORD WINAPI saba_scm_handler(DWORD control, DWORD type, LPVOID data, LPVOID context)
{
	struct saba_scm *t = context;
	int kind;

	(void)type;
	(void)data;
	if (control == SERVICE_CONTROL_INTERROGATE)
		return NO_ERROR;
	kind = saba_scm_classify(control, SABA_SCM_TEST_CODE);
	if (kind < 0)
		return ERROR_CALL_NOT_IMPLEMENTED;
	/* The first stop control decides: nothing later turns it into
	 * another kind. */
	InterlockedCompareExchange(&t->kind, kind, -1);
	SetEvent(t->stop_event);
	return NO_ERROR;
}

/* The worker: on a stop control, ask the core to stop and keep the SCM
 * informed with rising checkpoints until run() returns. */
static DWORD WINAPI saba_scm_worker(LPVOID arg)
{
	struct saba_scm *t = arg;
	HANDLE both[2] = {t->stop_event, t->done_event};

	if (WaitForMultipleObjects(2, both, FALSE, INFINITE) != WAIT_OBJECT_0)
		return 0;
	saba_scm_report(t, SERVICE_STOP_PENDING, 0);
	t->host->log(t->ctx, SABA_LOG_NOTICE, "service control received (%s): stopping",
		     saba_stop_kind_name((int)t->kind));
	t->request_stop(t->arg);
	while (WaitForSingleObject(t->done_event, SABA_SCM_TICK_MS) == WAIT_TIMEOUT)
		saba_scm_report(t, SERVICE_STOP_PENDING, 0);
	return 0;
}

/* Make Windows wait long enough at a shutdown for the retire call (the
 * default is 10 s on current Windows). */
static void saba_scm_set_preshutdown(struct saba_scm *t)
{
	SERVICE_PRESHUTDOWN_INFO info = {.dwPreshutdownTimeout = (DWORD)t->preshutdown_s * 1000};
	SC_HANDLE scm = OpenSCManagerW(NULL, NULL, SC_MANAGER_CONNECT), svc = NULL;

	if (scm != NULL)
		svc = OpenServiceW(scm, t->name, SERVICE_CHANGE_CONFIG);
	if (svc == NULL || !ChangeServiceConfig2W(svc, SERVICE_CONFIG_PRESHUTDOWN_INFO, &info))
		saba_scm_log_error(t, SABA_LOG_WARNING, "cannot set the pre-shutdown timeout");
	else
		t->host->log(t->ctx, SABA_LOG_INFO, "pre-shutdown timeout set to %d s",
			     t->preshutdown_s);
	if (svc != NULL)
		CloseServiceHandle(svc);
	if (scm != NULL)
		CloseServiceHandle(scm);
}

static void WINAPI saba_scm_service_main(DWORD argc, LPWSTR *argv)
{
	struct saba_scm *t = saba_scm_hosted;
	HANDLE worker = NULL;

	t->name = _wcsdup(argc > 0 && argv[0] != NULL ? argv[0] : L"saba-agent");
	t->status_handle = RegisterServiceCtrlHandlerExW(t->name, saba_scm_handler, t);
	if (t->status_handle == NULL) {
		saba_scm_log_error(t, SABA_LOG_ERR, "RegisterServiceCtrlHandlerEx");
		t->rc = 1;
		return;
	}
	saba_scm_report(t, SERVICE_START_PENDING, 0);
	saba_scm_set_preshutdown(t);
	worker = CreateThread(NULL, 0, saba_scm_worker, t, 0, NULL);
	if (worker == NULL) {
		saba_scm_log_error(t, SABA_LOG_ERR, "cannot start the service's worker thread");
		t->rc = 1;
		saba_scm_report(t, SERVICE_STOPPED, 1);
		return;
	}
	saba_scm_report(t, SERVICE_RUNNING, 0);
	t->host->log(t->ctx, SABA_LOG_NOTICE, "running as service %ls%s", t->name,
		     SABA_SCM_TEST_CODE != 0 ? " (TEST BUILD: control 200 acts as PRESHUTDOWN)"
					     : "");
	t->rc = t->run(t->arg);
	SetEvent(t->done_event);
	WaitForSingleObject(worker, INFINITE);
	CloseHandle(worker);
	saba_scm_report(t, SERVICE_STOPPED, (DWORD)t->rc);
}

static int saba_scm_service(void *instance, int (*run)(void *arg), void (*request_stop)(void *arg),
			    void *arg)
{
	struct saba_scm *t = instance;
	SERVICE_TABLE_ENTRYW table[] = {
		{(LPWSTR)L"", saba_scm_service_main},
		{NULL, NULL},
	};

	if (saba_scm_hosted != NULL) {
		t->host->log(t->ctx, SABA_LOG_ERR, "another instance already hosts the service");
		return 2;
	}
	t->run = run;
	t->request_stop = request_stop;
	t->arg = arg;
	t->rc = 0;
	saba_scm_hosted = t;
	if (!StartServiceCtrlDispatcherW(table)) {
		if (GetLastError() == ERROR_FAILED_SERVICE_CONTROLLER_CONNECT)
			t->host->log(t->ctx, SABA_LOG_ERR,
				     "--service: not started by the service control manager "
				     "(install it with `saba-agent service install`, or run "
				     "without --service)");
		else
			saba_scm_log_error(t, SABA_LOG_ERR, "StartServiceCtrlDispatcher");
		t->rc = 2;
	}
	saba_scm_hosted = NULL;
	return t->rc;
}

/* The core is stopping (on a worker thread): classify and maybe retire. */
static int saba_scm_shutdown(void *instance)
{
	struct saba_scm *t = instance;
	const struct saba_host *host = t->host;
	struct saba_scm_policy p = {
		.retire_on = t->retire_on,
		.require_event = t->require_event,
		.event_max_age = t->event_max_age,
	};
	struct saba_scm_event ev = {0};
	struct saba_retire_request req;
	char type[128] = "", err[256] = "", why[384];
	int kind = (int)InterlockedCompareExchange(&t->kind, -1, -1);
	int budget = host->shutdown_budget(t->ctx);

	if (kind == SABA_STOP_SHUTDOWN && (t->retire_on & (1u << SABA_STOP_SHUTDOWN)) &&
	    t->require_event) {
		unsigned long ms = SABA_SCM_EVENT_MS;

		if (budget > 0 && (unsigned long)budget * 1000 < ms)
			ms = (unsigned long)budget * 1000;
		saba_scm_read_1074(&ev, type, sizeof(type), ms, err, sizeof(err));
		if (!ev.found)
			host->log(t->ctx, SABA_LOG_NOTICE, "event 1074: %s", err);
	}
	if (!saba_scm_decide(kind, &p, &ev, why, sizeof(why))) {
		host->log(t->ctx, SABA_LOG_NOTICE, "not retiring: %s", why);
		return kind < 0 ? SABA_STOP_UNKNOWN : kind;
	}
	req = (struct saba_retire_request){
		.struct_size = sizeof(req),
		.kind = kind,
		.reason = why,
	};
	host->retire(t->ctx, &req);
	return kind;
}

static int saba_scm_create(const struct saba_host *host, saba_ctx *ctx, void **instance)
{
	struct saba_scm *t = calloc(1, sizeof(*t));
	int rc;

	if (t == NULL) {
		host->log(ctx, SABA_LOG_ERR, "out of memory");
		return SABA_ERROR;
	}
	t->host = host;
	t->ctx = ctx;
	t->kind = -1;
	InitializeCriticalSection(&t->lock);
	t->status.dwServiceType = SERVICE_WIN32_OWN_PROCESS;
	t->stop_event = CreateEventW(NULL, TRUE, FALSE, NULL);
	t->done_event = CreateEventW(NULL, TRUE, FALSE, NULL);
	if (t->stop_event == NULL || t->done_event == NULL) {
		host->log(ctx, SABA_LOG_ERR, "cannot create events");
		rc = SABA_ERROR;
		goto out;
	}
	rc = saba_retire_on(host, ctx, &t->retire_on);
	if (rc == SABA_OK &&
	    host->config_bool(ctx, "require_event_1074", &t->require_event) != SABA_OK)
		rc = SABA_INVALID;
	if (rc == SABA_OK)
		rc = saba_plugconf_int(host, ctx, "event_max_age", &t->event_max_age);
	if (rc == SABA_OK)
		rc = saba_plugconf_int(host, ctx, "preshutdown_timeout", &t->preshutdown_s);
	if (rc != SABA_OK)
		goto out;
	*instance = t;
	t = NULL;
out:
	if (t != NULL) {
		if (t->stop_event != NULL)
			CloseHandle(t->stop_event);
		if (t->done_event != NULL)
			CloseHandle(t->done_event);
		DeleteCriticalSection(&t->lock);
		free(t);
	}
	return rc;
}

static void saba_scm_destroy(void *instance)
{
	struct saba_scm *t = instance;

	if (t == NULL)
		return;
	CloseHandle(t->stop_event);
	CloseHandle(t->done_event);
	DeleteCriticalSection(&t->lock);
	free(t->name);
	free(t);
}

static const struct saba_plugin saba_scm_plugin = {
	SABA_PLUGIN_HEADER,
	.name = "windows_scm",
	.version = "1.0",
	.description = "Windows service host; retires on a power-off shutdown, never on a "
		       "service stop",
	.settings = saba_scm_settings,
	.create = saba_scm_create,
	.destroy = saba_scm_destroy,
	.shutdown = saba_scm_shutdown,
	.service_main = saba_scm_service,
};

SABA_PLUGIN_EXPORT const struct saba_plugin *saba_plugin_entry(void)
{
	return &saba_scm_plugin;
}
