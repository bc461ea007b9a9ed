#include <windows.h>
#include <winevt.h>

#include <stdio.h>
#include <string.h>

#include "event.h"

#define SABA_1074_QUERY L"*[System[Provider[@Name='User32'] and (EventID=1074)]]"

/* The two values we need, rendered by XPath: no XML to parse. */
static const wchar_t *const saba_1074_paths[] = {
	L"Event/System/TimeCreated/@SystemTime",
	L"Event/EventData/Data[@Name='param5']",
};

static void saba_last_error(const char *what, char *err, size_t len)
{
	char msg[200] = "";
	DWORD code = GetLastError();

	if (code == 0)
		snprintf(msg, sizeof(msg), "failed without saying why (no Event Log service?)");
	else if (FormatMessageA(FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS, NULL,
				code, 0, msg, sizeof(msg), NULL) == 0)
		snprintf(msg, sizeof(msg), "error %lu", (unsigned long)code);
	msg[strcspn(msg, "\r\n")] = '\0';
	snprintf(err, len, "%s: %s", what, msg);
}

static int64_t saba_filetime_s(ULONGLONG ft)
{
	return (int64_t)(ft / 10000000ull);
}

void saba_scm_read_1074(struct saba_scm_event *ev, char *type, size_t type_len,
			unsigned long timeout_ms, char *err, size_t err_len)
{
	EVT_HANDLE q = NULL, e = NULL, ctx = NULL;
	/* The values, then the strings they point to. */
	union {
		EVT_VARIANT v[2];
		BYTE raw[4096];
	} buf;
	const EVT_VARIANT *vals = buf.v;
	DWORD n = 0, used = 0, count = 0;
	FILETIME now;
	ULARGE_INTEGER u;

	*ev = (struct saba_scm_event){.shutdown_type = type};
	type[0] = '\0';
	err[0] = '\0';
	q = EvtQuery(NULL, L"System", SABA_1074_QUERY,
		     EvtQueryChannelPath | EvtQueryReverseDirection);
	if (q == NULL) {
		saba_last_error("querying the System log", err, err_len);
		goto out;
	}
	if (!EvtNext(q, 1, &e, timeout_ms, 0, &n) || n != 1) {
		if (GetLastError() == ERROR_NO_MORE_ITEMS)
			snprintf(err, err_len, "the System log has no event 1074");
		else
			saba_last_error("reading the System log", err, err_len);
		goto out;
	}
	ctx = EvtCreateRenderContext(2, (LPCWSTR *)saba_1074_paths, EvtRenderContextValues);
	if (ctx == NULL) {
		saba_last_error("preparing to read event 1074", err, err_len);
		goto out;
	}
	if (!EvtRender(ctx, e, EvtRenderEventValues, sizeof(buf), &buf, &used, &count) ||
	    count != 2 || vals[0].Type != EvtVarTypeFileTime || vals[1].Type != EvtVarTypeString ||
	    vals[1].StringVal == NULL) {
		snprintf(err, err_len, "event 1074 has no time or shutdown type");
		goto out;
	}
	if (WideCharToMultiByte(CP_UTF8, 0, vals[1].StringVal, -1, type, (int)type_len, NULL,
				NULL) == 0) {
		snprintf(err, err_len, "event 1074's shutdown type is too long");
		type[0] = '\0';
		goto out;
	}
	GetSystemTimeAsFileTime(&now);
	u.LowPart = now.dwLowDateTime;
	u.HighPart = now.dwHighDateTime;
	ev->age = saba_filetime_s(u.QuadPart) - saba_filetime_s(vals[0].FileTimeVal);
	ev->found = 1;
out:
	if (ctx != NULL)
		EvtClose(ctx);
	if (e != NULL)
		EvtClose(e);
	if (q != NULL)
		EvtClose(q);
}
