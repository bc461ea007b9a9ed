/* Wine test helper for the exec and check plugins:
 *
 *   cmdhelper metric ARGS...  a mackerel-agent metric plugin: with
 *                             MACKEREL_AGENT_PLUGIN_META=1 its graph
 *                             definitions, else wine.exe.* values; argv_ok
 *                             is 1 when ARGS arrived as the test passes
 *                             them (see expected[]), env_ok when
 *                             SABA_TEST_ENV is "from config" and the meta
 *                             variable is set and empty
 *   cmdhelper quoted ARG      wine.quoted.ok 1 when ARG is "a b"
 *   cmdhelper check CODE      prints a line and exits with CODE
 *   cmdhelper hang DIR        a command that never ends: writes
 *                             DIR\run-PID\start.txt, starts "beat
 *                             DIR\run-PID\child.txt" and itself beats
 *                             DIR\run-PID\parent.txt forever
 *   cmdhelper beat FILE       FILE holds the time (Unix ms), every 100 ms
 *
 * Arguments are read with CommandLineToArgvW, as any program reads them. */
#include <windows.h>
#include <shellapi.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

static const wchar_t *const expected[] = {
	L"a b", L"q\"uote", L"back\\slash\\", L"", L"tab\there", L"x\\\\\"y", L"caf\u00e9",
};

static unsigned long long now_ms(void)
{
	FILETIME ft;
	ULARGE_INTEGER u;

	GetSystemTimeAsFileTime(&ft);
	u.LowPart = ft.dwLowDateTime;
	u.HighPart = ft.dwHighDateTime;
	return (u.QuadPart - 116444736000000000ULL) / 10000;
}

static void put_time(const wchar_t *file)
{
	wchar_t tmp[MAX_PATH + 8];
	FILE *f;

	/* a whole file or none: the test reads it meanwhile */
	swprintf(tmp, MAX_PATH + 8, L"%ls.tmp", file);
	f = _wfopen(tmp, L"w");
	if (f == NULL)
		return;
	fprintf(f, "%llu\n", now_ms());
	fclose(f);
	MoveFileExW(tmp, file, MOVEFILE_REPLACE_EXISTING);
}

static int beat(const wchar_t *file)
{
	for (;;) {
		put_time(file);
		Sleep(100);
	}
	return 0;
}

static int hang(const wchar_t *self, const wchar_t *dir)
{
	wchar_t run[MAX_PATH], file[MAX_PATH], line[3 * MAX_PATH];
	STARTUPINFOW si;
	PROCESS_INFORMATION pi;

	swprintf(run, MAX_PATH, L"%ls\\run-%lu", dir, (unsigned long)GetCurrentProcessId());
	CreateDirectoryW(run, NULL);
	swprintf(file, MAX_PATH, L"%ls\\start.txt", run);
	put_time(file);
	swprintf(line, 3 * MAX_PATH, L"\"%ls\" beat \"%ls\\child.txt\"", self, run);
	memset(&si, 0, sizeof(si));
	si.cb = sizeof(si);
	if (!CreateProcessW(NULL, line, NULL, NULL, FALSE, 0, NULL, NULL, &si, &pi)) {
		fprintf(stderr, "hang: cannot start the child: error %lu\n",
			(unsigned long)GetLastError());
		return 1;
	}
	printf("wine.hang.started 1 %llu\n", now_ms() / 1000);
	fflush(stdout);
	swprintf(file, MAX_PATH, L"%ls\\parent.txt", run);
	return beat(file);
}

static int metric(int argc, wchar_t **argv)
{
	const char *meta = getenv("MACKEREL_AGENT_PLUGIN_META");
	const char *env = getenv("SABA_TEST_ENV");
	int n = (int)(sizeof(expected) / sizeof(expected[0])), argv_ok = argc == n + 2;
	unsigned long long t = now_ms() / 1000;

	if (meta != NULL && strcmp(meta, "1") == 0) {
		printf("# mackerel-agent-plugin\n"
		       "{\"graphs\": {\"wine.exe\": {\"label\": \"Wine exe\", \"unit\": "
		       "\"integer\", \"metrics\": [{\"name\": \"argv_ok\", \"label\": \"argv\"}, "
		       "{\"name\": \"env_ok\", \"label\": \"env\"}]}}}\n");
		return 0;
	}
	for (int i = 0; argv_ok && i < n; i++)
		argv_ok = wcscmp(argv[i + 2], expected[i]) == 0;
	printf("wine.exe.argv_ok\t%d\t%llu\n", argv_ok, t);
	printf("wine.exe.env_ok\t%d\t%llu\n",
	       env != NULL && strcmp(env, "from config") == 0 && meta != NULL && *meta == '\0', t);
	return 0;
}

int main(void)
{
	int argc = 0;
	wchar_t **argv = CommandLineToArgvW(GetCommandLineW(), &argc);

	if (argv == NULL || argc < 3) {
		fprintf(stderr, "usage: cmdhelper metric|quoted|check|hang|beat ARG...\n");
		return 2;
	}
	if (wcscmp(argv[1], L"metric") == 0)
		return metric(argc, argv);
	if (wcscmp(argv[1], L"quoted") == 0) {
		printf("wine.quoted.ok %d %llu\n", wcscmp(argv[2], L"a b") == 0, now_ms() / 1000);
		return 0;
	}
	if (wcscmp(argv[1], L"check") == 0) {
		printf("cmdhelper check %ls\n", argv[2]);
		return _wtoi(argv[2]);
	}
	if (wcscmp(argv[1], L"hang") == 0)
		return hang(argv[0], argv[2]);
	if (wcscmp(argv[1], L"beat") == 0)
		return beat(argv[2]);
	fprintf(stderr, "cmdhelper: unknown mode\n");
	return 2;
}
