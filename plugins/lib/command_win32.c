/*
 * command (Windows): run a prepared command with CreateProcessW, as
 * mackerel-agent runs it there (see command.h for the contract).
 *
 * A string is the command line of `cmd.exe /U /S /C "LINE"` (/S: the line
 * reaches cmd unchanged, quotes and all); a list names the program, found
 * along PATH with PATHEXT as Go's exec.LookPath does, and its arguments
 * quoted by CommandLineToArgvW's rules (cmdline.c).  The child starts
 * suspended, joins a job object that ends everything in it when its handle
 * closes, and only then runs: nothing it starts escapes the timeout or a
 * cancel, both of which end the whole job at once (Windows has no SIGTERM
 * a console-less child could act on).  What the command leaves running
 * when it exits ends with the job too.  stdout and stderr are named pipes
 * read with overlapped I/O on the calling thread; the child inherits its
 * three standard handles and nothing else (PROC_THREAD_ATTRIBUTE_HANDLE_LIST),
 * so a command another thread starts meanwhile cannot hold our pipes open.
 */
#include <windows.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "cmdline.h"
#include "clock.h"
#include "command.h"
#include "command_os.h"

#define SABA_CMD_CHUNK	   65536
#define SABA_CMD_KILL_WAIT 1000 /* ms for the pipes to close after the job ended */
#define SABA_CMD_PATHEXT   L".COM;.EXE;.BAT;.CMD"
#define SABA_CMD_JOB_LIMITS                                                                        \
	(JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE | JOB_OBJECT_LIMIT_DIE_ON_UNHANDLED_EXCEPTION)

/* ------------------------------------------------------------------ */
/* strings                                                              */

/* UTF-8 -> UTF-16, malloc'd; NULL for invalid UTF-8 or no memory. */
static wchar_t *saba_cmd_wide(const char *s)
{
	int n = MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, s, -1, NULL, 0);
	wchar_t *w;

	if (n <= 0)
		return NULL;
	w = malloc((size_t)n * sizeof(*w));
	if (w != NULL)
		MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, s, -1, w, n);
	return w;
}

/* UTF-16 -> UTF-8, malloc'd. */
static char *saba_cmd_utf8(const wchar_t *w)
{
	int n = WideCharToMultiByte(CP_UTF8, 0, w, -1, NULL, 0, NULL, NULL);
	char *s;

	if (n <= 0)
		return NULL;
	s = malloc((size_t)n);
	if (s != NULL)
		WideCharToMultiByte(CP_UTF8, 0, w, -1, s, n, NULL, NULL);
	return s;
}

/* The system's message for a Win32 error, without the trailing newline. */
static const char *saba_cmd_errstr(DWORD code, char *buf, size_t len)
{
	DWORD n = FormatMessageA(FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS, NULL,
				 code, 0, buf, (DWORD)len, NULL);

	while (n > 0 &&
	       (buf[n - 1] == '\n' || buf[n - 1] == '\r' || buf[n - 1] == ' ' || buf[n - 1] == '.'))
		buf[--n] = '\0';
	if (n == 0)
		snprintf(buf, len, "error %lu", (unsigned long)code);
	return buf;
}

/* res->error = what: the last error's message. */
static void saba_cmd_fail(struct saba_cmd_result *res, const char *what)
{
	char msg[160];

	snprintf(res->error, sizeof(res->error), "%s: %s", what,
		 saba_cmd_errstr(GetLastError(), msg, sizeof(msg)));
}

/* ------------------------------------------------------------------ */
/* settings                                                             */

int saba_cmd_os_shell(struct saba_cmd *cmd, const char *line)
{
	const char *argv[] = {line};
	size_t len = strlen(line);

	/* as mackerel-agent: a command line ending in line breaks (a
	 * multi-line string) loses them; one inside would end the command
	 * there for cmd.exe, silently, so it is refused */
	while (len > 0 && (line[len - 1] == '\r' || line[len - 1] == '\n'))
		len--;
	if (len == 0 || memchr(line, '\n', len) != NULL || memchr(line, '\r', len) != NULL)
		return SABA_INVALID;
	if (saba_cmd_set_argv(cmd, argv, 1) != SABA_OK)
		return SABA_ERROR;
	cmd->argv[0][len] = '\0';
	return SABA_OK;
}

int saba_cmd_set_user(struct saba_cmd *cmd, const char *user, char *err, size_t errlen)
{
	/* mackerel-agent ignores it on Windows, with a warning */
	snprintf(err, errlen,
		 "user \"%s\" is ignored on Windows: commands run as the agent's own account",
		 user);
	return SABA_NOTFOUND;
}

void saba_cmd_os_free(struct saba_cmd *cmd)
{
	(void)cmd;
}

int saba_cmd_os_check(const struct saba_cmd *cmd, char *err, size_t errlen)
{
	char *line;

	if (cmd->shell || !saba_cmdline_is_batch(cmd->argv[0]))
		return SABA_OK;
	line = saba_cmdline_join((const char *const *)cmd->argv, cmd->argc, 1, err, errlen);
	free(line);
	return line != NULL ? SABA_OK : SABA_INVALID;
}

void saba_cmd_make_workdir(const char *dir)
{
	wchar_t *w = saba_cmd_wide(dir);

	if (w != NULL)
		CreateDirectoryW(w, NULL);
	free(w);
}

/* ------------------------------------------------------------------ */
/* cancel                                                               */

int saba_cmd_os_cancel_init(struct saba_cmd_cancel *c)
{
	c->event = CreateEventW(NULL, TRUE, FALSE, NULL);
	return c->event != NULL ? SABA_OK : SABA_ERROR;
}

void saba_cmd_os_cancel_destroy(struct saba_cmd_cancel *c)
{
	if (c->event != NULL)
		CloseHandle(c->event);
}

void saba_cmd_os_interrupt(struct saba_cmd_cancel *c)
{
	/* at once, even if the agent exits before the run's thread gets
	 * to it; the job handle is cleared before it is closed */
	if (c->job != NULL)
		TerminateJobObject(c->job, 1);
	SetEvent(c->event);
}

void saba_cmd_os_rearm(struct saba_cmd_cancel *c)
{
	ResetEvent(c->event);
}

/* The running job in c (NULL: none), for saba_cmd_os_interrupt(). */
static void saba_cmd_track_job(struct saba_cmd_cancel *c, HANDLE job)
{
	if (c == NULL)
		return;
	pthread_mutex_lock(&c->lock);
	c->job = job;
	if (job != NULL && c->cancelled)
		TerminateJobObject(job, 1);
	pthread_mutex_unlock(&c->lock);
}

/* ------------------------------------------------------------------ */
/* environment                                                          */

/* Length of the name of "NAME=value" (a leading '=' belongs to names such
 * as "=C:", the current directory of a drive). */
static size_t saba_cmd_name_len(const wchar_t *kv)
{
	const wchar_t *eq = wcschr(kv + (kv[0] == L'='), L'=');

	return eq != NULL ? (size_t)(eq - kv) : wcslen(kv);
}

static int saba_cmd_name_cmp(const void *a, const void *b)
{
	const wchar_t *x = *(const wchar_t *const *)a, *y = *(const wchar_t *const *)b;
	int r = CompareStringOrdinal(x, (int)saba_cmd_name_len(x), y, (int)saba_cmd_name_len(y),
				     TRUE);

	return r - CSTR_EQUAL;
}

/* Set kv (owned by the caller) in list of n entries, replacing an entry
 * of the same name in any case: Windows names ignore case. */
static size_t saba_cmd_env_set(const wchar_t **list, size_t n, const wchar_t *kv)
{
	size_t len = saba_cmd_name_len(kv), i;

	for (i = 0; i < n; i++)
		if (CompareStringOrdinal(list[i], (int)saba_cmd_name_len(list[i]), kv, (int)len,
					 TRUE) == CSTR_EQUAL)
			break;
	list[i] = kv;
	return i == n ? n + 1 : n;
}

/* The child's environment: the agent's, then the configured env, then
 * extra (later wins); a sorted block, as CreateProcessW expects.  *path
 * points at its PATH value (or NULL).  Frees nothing it was given. */
struct saba_cmd_env {
	wchar_t *block;
	const wchar_t *path, *pathext;
};

static int saba_cmd_environ(const struct saba_cmd *cmd, const char *const *extra,
			    struct saba_cmd_env *out)
{
	wchar_t *parent = GetEnvironmentStringsW(), **mine = NULL;
	const wchar_t **list = NULL;
	size_t n = 0, cap = 1, nmine = 0, total = 1;
	int rc = SABA_ERROR;
	wchar_t *p;

	memset(out, 0, sizeof(*out));
	for (p = parent; p != NULL && *p != L'\0'; p += wcslen(p) + 1)
		cap++;
	for (size_t i = 0; i < cmd->nenv; i++)
		cap++;
	for (size_t i = 0; extra != NULL && extra[i] != NULL; i++)
		cap++;
	list = calloc(cap, sizeof(*list));
	mine = calloc(cap, sizeof(*mine));
	if (list == NULL || mine == NULL)
		goto out;
	for (p = parent; p != NULL && *p != L'\0'; p += wcslen(p) + 1)
		list[n++] = p;
	for (int l = 0; l < 2; l++) {
		const char *const *kvs = l == 0 ? (const char *const *)cmd->env : extra;

		for (size_t i = 0; kvs != NULL && kvs[i] != NULL; i++) {
			mine[nmine] = saba_cmd_wide(kvs[i]);
			if (mine[nmine] == NULL)
				goto out;
			n = saba_cmd_env_set(list, n, mine[nmine++]);
		}
	}
	qsort(list, n, sizeof(*list), saba_cmd_name_cmp);
	for (size_t i = 0; i < n; i++)
		total += wcslen(list[i]) + 1;
	out->block = malloc(total * sizeof(wchar_t));
	if (out->block == NULL)
		goto out;
	p = out->block;
	for (size_t i = 0; i < n; i++) {
		size_t len = wcslen(list[i]) + 1, nl = saba_cmd_name_len(list[i]);

		memcpy(p, list[i], len * sizeof(wchar_t));
		if (nl == 4 && _wcsnicmp(p, L"PATH", 4) == 0 && p[4] == L'=')
			out->path = p + 5;
		if (nl == 7 && _wcsnicmp(p, L"PATHEXT", 7) == 0 && p[7] == L'=')
			out->pathext = p + 8;
		p += len;
	}
	*p = L'\0';
	rc = SABA_OK;
out:
	for (size_t i = 0; i < nmine; i++)
		free(mine[i]);
	free(mine);
	free(list);
	if (parent != NULL)
		FreeEnvironmentStringsW(parent);
	return rc;
}

/* ------------------------------------------------------------------ */
/* the program                                                          */

static int saba_cmd_is_file(const wchar_t *path)
{
	DWORD a = GetFileAttributesW(path);

	return a != INVALID_FILE_ATTRIBUTES && !(a & FILE_ATTRIBUTE_DIRECTORY);
}

/* file itself when it has an extension and exists, else file + the first
 * extension of PATHEXT that exists (Go's findExecutable). */
static wchar_t *saba_cmd_try(const wchar_t *file, const wchar_t *pathext)
{
	const wchar_t *dot = wcsrchr(file, L'.'), *sep = wcspbrk(file, L":\\/");
	size_t len = wcslen(file);

	while (sep != NULL && wcspbrk(sep + 1, L":\\/") != NULL)
		sep = wcspbrk(sep + 1, L":\\/");
	if (dot != NULL && (sep == NULL || dot > sep) && saba_cmd_is_file(file))
		return _wcsdup(file);
	while (*pathext != L'\0') {
		size_t elen = wcscspn(pathext, L";");
		wchar_t *cand = elen > 0 ? malloc((len + elen + 1) * sizeof(wchar_t)) : NULL;

		if (cand != NULL) {
			memcpy(cand, file, len * sizeof(wchar_t));
			memcpy(cand + len, pathext, elen * sizeof(wchar_t));
			cand[len + elen] = L'\0';
			if (saba_cmd_is_file(cand))
				return cand;
			free(cand);
		}
		pathext += elen + (pathext[elen] == L';');
	}
	return NULL;
}

/* The program's file, as Go's exec.LookPath finds it: a name with a
 * directory or drive as it is, else along PATH (never the current
 * directory); PATHEXT's extensions are tried when it has none. */
static wchar_t *saba_cmd_find(const wchar_t *prog, const struct saba_cmd_env *env)
{
	const wchar_t *pathext =
		env->pathext != NULL && *env->pathext ? env->pathext : SABA_CMD_PATHEXT;
	const wchar_t *path = env->path != NULL ? env->path : L"";
	size_t plen = wcslen(prog);

	if (wcspbrk(prog, L":\\/") != NULL)
		return saba_cmd_try(prog, pathext);
	while (*path != L'\0') {
		size_t len = wcscspn(path, L";");
		const wchar_t *dir = path;
		wchar_t *file, *found = NULL;

		path += len + (path[len] == L';');
		/* "C:\Program Files\x";... : quotes are not part of it */
		if (len >= 2 && dir[0] == L'"' && dir[len - 1] == L'"') {
			dir++;
			len -= 2;
		}
		if (len == 0)
			continue;
		file = malloc((len + plen + 2) * sizeof(wchar_t));
		if (file == NULL)
			return NULL;
		swprintf(file, len + plen + 2, L"%.*ls%ls%ls", (int)len, dir,
			 dir[len - 1] == L'\\' || dir[len - 1] == L'/' ? L"" : L"\\", prog);
		found = saba_cmd_try(file, pathext);
		free(file);
		if (found != NULL)
			return found;
	}
	return NULL;
}

/* The application and command line of cmd: cmd.exe from the system
 * directory for a string; else the program found along PATH, which also
 * stands as argv[0] so cmd.exe cannot find another (for a .bat). */
static int saba_cmd_line(const struct saba_cmd *cmd, const struct saba_cmd_env *env, wchar_t **app,
			 wchar_t **line, struct saba_cmd_result *res)
{
	wchar_t sys[MAX_PATH], *prog = NULL;
	char *app8 = NULL, *line8 = NULL, **argv = NULL;
	UINT n;
	int rc = SABA_ERROR;

	*app = *line = NULL;
	if (cmd->shell) {
		const char *fmt = "\"%s\" /U /S /C \"%s\"";

		n = GetSystemDirectoryW(sys, MAX_PATH - 9);
		if (n == 0 || n >= MAX_PATH - 9) {
			saba_cmd_fail(res, "GetSystemDirectory");
			return SABA_ERROR;
		}
		wcscat(sys, L"\\cmd.exe");
		app8 = saba_cmd_utf8(sys);
		line8 = app8 != NULL ? malloc(strlen(app8) + strlen(cmd->argv[0]) + 16) : NULL;
		if (line8 == NULL)
			goto oom;
		sprintf(line8, fmt, app8, cmd->argv[0]);
		*app = _wcsdup(sys);
	} else {
		prog = saba_cmd_wide(cmd->argv[0]);
		if (prog == NULL)
			goto oom;
		*app = saba_cmd_find(prog, env);
		if (*app == NULL) {
			snprintf(res->error, sizeof(res->error), "%s: command not found",
				 cmd->argv[0]);
			goto out;
		}
		app8 = saba_cmd_utf8(*app);
		argv = malloc((cmd->argc + 1) * sizeof(*argv));
		if (app8 == NULL || argv == NULL)
			goto oom;
		memcpy(argv, cmd->argv, (cmd->argc + 1) * sizeof(*argv));
		argv[0] = app8;
		line8 = saba_cmdline_join((const char *const *)argv, cmd->argc,
					  saba_cmdline_is_batch(app8), res->error,
					  sizeof(res->error));
		if (line8 == NULL)
			goto out;
	}
	*line = saba_cmd_wide(line8);
	if (*app == NULL || *line == NULL)
		goto oom;
	rc = SABA_OK;
	goto out;
oom:
	snprintf(res->error, sizeof(res->error), "out of memory");
out:
	if (rc != SABA_OK) {
		free(*app);
		free(*line);
		*app = *line = NULL;
	}
	free(prog);
	free(argv);
	free(app8);
	free(line8);
	return rc;
}

/* ------------------------------------------------------------------ */
/* pipes                                                                */

/* Where one of the two output streams goes. */
struct saba_cmd_sink {
	HANDLE pipe; /* our end; NULL at EOF */
	OVERLAPPED ov;
	int pending; /* a ReadFile is in flight */
	char *chunk;
	struct saba_cmd_buf b;
};

static LONG saba_cmd_pipe_seq;

/* A pipe the child writes (*child, inheritable) and we read with
 * overlapped I/O (*ours).  A named pipe, since anonymous ones cannot be
 * read that way; one instance, local clients only. */
static int saba_cmd_pipe(HANDLE *ours, HANDLE *child)
{
	SECURITY_ATTRIBUTES sa = {sizeof(sa), NULL, TRUE};
	wchar_t name[96];

	swprintf(name, 96, L"\\\\.\\pipe\\saba-agent-%lu-%ld-%llu",
		 (unsigned long)GetCurrentProcessId(),
		 (long)InterlockedIncrement(&saba_cmd_pipe_seq),
		 (unsigned long long)GetTickCount64());
	*ours = CreateNamedPipeW(
		name, PIPE_ACCESS_INBOUND | FILE_FLAG_OVERLAPPED | FILE_FLAG_FIRST_PIPE_INSTANCE,
		PIPE_TYPE_BYTE | PIPE_READMODE_BYTE | PIPE_WAIT | PIPE_REJECT_REMOTE_CLIENTS, 1,
		SABA_CMD_CHUNK, SABA_CMD_CHUNK, 0, NULL);
	if (*ours == INVALID_HANDLE_VALUE) {
		*ours = *child = NULL;
		return -1;
	}
	*child = CreateFileW(name, GENERIC_WRITE, 0, &sa, OPEN_EXISTING, 0, NULL);
	if (*child == INVALID_HANDLE_VALUE) {
		CloseHandle(*ours);
		*ours = *child = NULL;
		return -1;
	}
	return 0;
}

static void saba_cmd_eof(struct saba_cmd_sink *s)
{
	CloseHandle(s->pipe);
	s->pipe = NULL;
}

/* Start reads on s until one is left in flight, or EOF. */
static void saba_cmd_read(struct saba_cmd_sink *s)
{
	while (s->pipe != NULL && !s->pending) {
		DWORD got = 0;

		ResetEvent(s->ov.hEvent);
		if (ReadFile(s->pipe, s->chunk, SABA_CMD_CHUNK, &got, &s->ov)) {
			saba_cmd_buf_add(&s->b, s->chunk, got);
		} else if (GetLastError() == ERROR_IO_PENDING) {
			s->pending = 1;
		} else {
			/* ERROR_BROKEN_PIPE: every writer is gone */
			saba_cmd_eof(s);
		}
	}
}

/* The read in flight on s completed. */
static void saba_cmd_read_done(struct saba_cmd_sink *s)
{
	DWORD got = 0;

	s->pending = 0;
	if (GetOverlappedResult(s->pipe, &s->ov, &got, FALSE))
		saba_cmd_buf_add(&s->b, s->chunk, got);
	else
		saba_cmd_eof(s);
}

/* Stop s: a read still in flight is cancelled and waited for, so it
 * cannot write into freed memory. */
static void saba_cmd_sink_close(struct saba_cmd_sink *s)
{
	DWORD got;

	if (s->pipe != NULL && s->pending) {
		CancelIoEx(s->pipe, &s->ov);
		GetOverlappedResult(s->pipe, &s->ov, &got, TRUE);
	}
	if (s->pipe != NULL)
		CloseHandle(s->pipe);
	if (s->ov.hEvent != NULL)
		CloseHandle(s->ov.hEvent);
	free(s->chunk);
	s->pipe = s->ov.hEvent = NULL;
	s->chunk = NULL;
	s->pending = 0;
}

/* ------------------------------------------------------------------ */
/* running                                                              */

/* Read both streams until EOF with the child gone, the deadline, or a
 * cancel, ending the job as the timeout rules say.  Returns 1 when the
 * process exited by itself (before the job was ended). */
static int saba_cmd_wait(const struct saba_cmd *cmd, HANDLE proc, HANDLE job,
			 struct saba_cmd_sink *sinks, struct saba_cmd_cancel *cancel,
			 struct saba_cmd_result *res)
{
	enum { SABA_WAIT_PROC = -1, SABA_WAIT_CANCEL = 2 };
	int64_t deadline = saba_clock_ms() + cmd->timeout_ms;
	int exited = 0, by_itself = 0, ended = 0; /* ended: the job was terminated */

	for (;;) {
		HANDLE h[4];
		int what[4], nh = 0;
		int64_t now;
		DWORD r;

		saba_cmd_read(&sinks[0]);
		saba_cmd_read(&sinks[1]);
		if (exited && sinks[0].pipe == NULL && sinks[1].pipe == NULL)
			break;
		now = saba_clock_ms();
		if (now >= deadline) {
			if (ended)
				break; /* a pipe outlives the job: give up on it */
			/* still running: a timeout; exited: what it started
			 * still holds stdout, and is not waited for longer */
			res->timed_out = !exited;
			TerminateJobObject(job, 1);
			ended = 1;
			deadline = now + SABA_CMD_KILL_WAIT;
			continue;
		}
		if (!exited) {
			h[nh] = proc;
			what[nh++] = SABA_WAIT_PROC;
		}
		for (int i = 0; i < 2; i++) {
			if (sinks[i].pending) {
				h[nh] = sinks[i].ov.hEvent;
				what[nh++] = i;
			}
		}
		if (cancel != NULL && !ended) {
			h[nh] = cancel->event;
			what[nh++] = SABA_WAIT_CANCEL;
		}
		r = WaitForMultipleObjects((DWORD)nh, h, FALSE, (DWORD)(deadline - now));
		if (r == WAIT_TIMEOUT)
			continue;
		if (r >= WAIT_OBJECT_0 + (DWORD)nh) {
			saba_cmd_fail(res, "WaitForMultipleObjects");
			TerminateJobObject(job, 1);
			break;
		}
		switch (what[r - WAIT_OBJECT_0]) {
		case SABA_WAIT_PROC:
			exited = 1;
			by_itself = !ended;
			break;
		case SABA_WAIT_CANCEL:
			/* saba_cmd_cancel() has ended the job already */
			res->cancelled = 1;
			TerminateJobObject(job, 1);
			ended = 1;
			deadline = saba_clock_ms() + SABA_CMD_KILL_WAIT;
			break;
		default:
			saba_cmd_read_done(&sinks[what[r - WAIT_OBJECT_0]]);
		}
	}
	return by_itself;
}

/* A job object that ends every process in it when it is terminated or its
 * last handle closes. */
static HANDLE saba_cmd_job(void)
{
	JOBOBJECT_EXTENDED_LIMIT_INFORMATION li;
	HANDLE job = CreateJobObjectW(NULL, NULL);

	if (job == NULL)
		return NULL;
	memset(&li, 0, sizeof(li));
	li.BasicLimitInformation.LimitFlags = SABA_CMD_JOB_LIMITS;
	if (!SetInformationJobObject(job, JobObjectExtendedLimitInformation, &li, sizeof(li))) {
		CloseHandle(job);
		return NULL;
	}
	return job;
}

/* The child's standard handles: NUL, and the write ends of the pipes. */
struct saba_cmd_stdio {
	HANDLE h[3];
	LPPROC_THREAD_ATTRIBUTE_LIST attrs;
};

static void saba_cmd_stdio_close(struct saba_cmd_stdio *io)
{
	for (int i = 0; i < 3; i++)
		if (io->h[i] != NULL)
			CloseHandle(io->h[i]);
	if (io->attrs != NULL) {
		DeleteProcThreadAttributeList(io->attrs);
		free(io->attrs);
	}
	memset(io, 0, sizeof(*io));
}

static int saba_cmd_stdio(struct saba_cmd_stdio *io, struct saba_cmd_sink *sinks,
			  struct saba_cmd_result *res)
{
	SECURITY_ATTRIBUTES sa = {sizeof(sa), NULL, TRUE};
	SIZE_T size = 0;

	memset(io, 0, sizeof(*io));
	io->h[0] = CreateFileW(L"NUL", GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_WRITE, &sa,
			       OPEN_EXISTING, 0, NULL);
	if (io->h[0] == INVALID_HANDLE_VALUE) {
		io->h[0] = NULL;
		saba_cmd_fail(res, "cannot open NUL");
		return SABA_ERROR;
	}
	for (int i = 0; i < 2; i++) {
		sinks[i].chunk = malloc(SABA_CMD_CHUNK);
		sinks[i].ov.hEvent = CreateEventW(NULL, TRUE, FALSE, NULL);
		if (sinks[i].chunk == NULL || sinks[i].ov.hEvent == NULL ||
		    saba_cmd_pipe(&sinks[i].pipe, &io->h[i + 1]) != 0) {
			saba_cmd_fail(res, "cannot set up pipes");
			return SABA_ERROR;
		}
	}
	/* the child inherits these three and nothing else */
	InitializeProcThreadAttributeList(NULL, 1, 0, &size);
	io->attrs = malloc(size);
	if (io->attrs == NULL || !InitializeProcThreadAttributeList(io->attrs, 1, 0, &size)) {
		free(io->attrs);
		io->attrs = NULL;
		saba_cmd_fail(res, "InitializeProcThreadAttributeList");
		return SABA_ERROR;
	}
	if (!UpdateProcThreadAttribute(io->attrs, 0, PROC_THREAD_ATTRIBUTE_HANDLE_LIST, io->h,
				       sizeof(io->h), NULL, NULL)) {
		saba_cmd_fail(res, "UpdateProcThreadAttribute");
		return SABA_ERROR;
	}
	return SABA_OK;
}

/* Start the command suspended, put it in job, let it run. */
static int saba_cmd_spawn(const wchar_t *app, wchar_t *line, wchar_t *env,
			  struct saba_cmd_stdio *io, HANDLE job, HANDLE *proc,
			  struct saba_cmd_result *res)
{
	STARTUPINFOEXW si;
	PROCESS_INFORMATION pi;
	DWORD flags = CREATE_SUSPENDED | CREATE_UNICODE_ENVIRONMENT | CREATE_NO_WINDOW |
		      CREATE_NEW_PROCESS_GROUP | EXTENDED_STARTUPINFO_PRESENT;
	char what[64];

	memset(&si, 0, sizeof(si));
	si.StartupInfo.cb = sizeof(si);
	si.StartupInfo.dwFlags = STARTF_USESTDHANDLES;
	si.StartupInfo.hStdInput = io->h[0];
	si.StartupInfo.hStdOutput = io->h[1];
	si.StartupInfo.hStdError = io->h[2];
	si.lpAttributeList = io->attrs;
	if (!CreateProcessW(app, line, NULL, NULL, TRUE, flags, env, NULL, &si.StartupInfo, &pi)) {
		saba_cmd_fail(res, "cannot run it");
		return SABA_ERROR;
	}
	/* before it runs a single instruction: nothing escapes the job */
	if (!AssignProcessToJobObject(job, pi.hProcess)) {
		snprintf(what, sizeof(what), "cannot put it in a job object");
		saba_cmd_fail(res, what);
		TerminateProcess(pi.hProcess, 1);
		CloseHandle(pi.hThread);
		CloseHandle(pi.hProcess);
		return SABA_ERROR;
	}
	ResumeThread(pi.hThread);
	CloseHandle(pi.hThread);
	*proc = pi.hProcess;
	return SABA_OK;
}

/* Hand the sink's bytes over to the result, UTF-16 made UTF-8 as
 * mackerel-agent does with `cmd /U` output. */
static int saba_cmd_take(struct saba_cmd_sink *s, char **out, size_t *len, int *truncated)
{
	char *text;
	size_t n;
	int conv = saba_cmdline_utf16_text(s->b.buf != NULL ? s->b.buf : "", s->b.len, &text, &n);

	if (conv < 0)
		return SABA_ERROR;
	if (conv > 0) {
		free(s->b.buf);
		s->b.buf = text;
		s->b.len = n;
	}
	*out = s->b.buf != NULL ? s->b.buf : calloc(1, 1);
	*len = s->b.len;
	*truncated = s->b.truncated;
	s->b.buf = NULL;
	if (*out == NULL)
		return SABA_ERROR;
	(*out)[*len] = '\0';
	return SABA_OK;
}

int saba_cmd_run(const struct saba_cmd *cmd, const char *const *extra_env, size_t out_cap,
		 size_t err_cap, struct saba_cmd_cancel *cancel, struct saba_cmd_result *res)
{
	struct saba_cmd_sink sinks[2] = {{.b.cap = out_cap}, {.b.cap = err_cap}};
	struct saba_cmd_stdio io = {0};
	struct saba_cmd_env env = {0};
	int64_t t0 = saba_clock_ms();
	wchar_t *app = NULL, *line = NULL;
	HANDLE job = NULL, proc = NULL;
	int rc = SABA_ERROR, by_itself = 0;
	DWORD code = 0;

	memset(res, 0, sizeof(*res));
	if (saba_cmd_track(cancel, 1)) {
		snprintf(res->error, sizeof(res->error), "the agent is stopping");
		goto out;
	}
	if (saba_cmd_environ(cmd, extra_env, &env) != SABA_OK) {
		snprintf(res->error, sizeof(res->error), "out of memory");
		goto out;
	}
	if (saba_cmd_line(cmd, &env, &app, &line, res) != SABA_OK ||
	    saba_cmd_stdio(&io, sinks, res) != SABA_OK)
		goto out;
	job = saba_cmd_job();
	if (job == NULL) {
		saba_cmd_fail(res, "cannot create a job object");
		goto out;
	}
	if (saba_cmd_spawn(app, line, env.block, &io, job, &proc, res) != SABA_OK)
		goto out;
	saba_cmd_track_job(cancel, job);
	/* our copies of the child's ends: EOF comes when its copies go */
	saba_cmd_stdio_close(&io);
	res->started = 1;
	by_itself = saba_cmd_wait(cmd, proc, job, sinks, cancel, res);
	rc = SABA_OK;
out:
	saba_cmd_track_job(cancel, NULL);
	if (proc != NULL) {
		/* exited or ended by now: this does not wait long */
		WaitForSingleObject(proc, SABA_CMD_KILL_WAIT);
		if (by_itself && GetExitCodeProcess(proc, &code)) {
			res->exited = 1;
			res->code = (int)code;
		}
		CloseHandle(proc);
	}
	/* ends whatever the command left running (KILL_ON_JOB_CLOSE) */
	if (job != NULL)
		CloseHandle(job);
	saba_cmd_stdio_close(&io);
	for (int i = 0; i < 2; i++)
		saba_cmd_sink_close(&sinks[i]);
	if (saba_cmd_take(&sinks[0], &res->out, &res->out_len, &res->out_truncated) != SABA_OK ||
	    saba_cmd_take(&sinks[1], &res->err, &res->err_len, &res->err_truncated) != SABA_OK)
		rc = SABA_ERROR;
	free(sinks[0].b.buf);
	free(sinks[1].b.buf);
	saba_cmd_finish(cmd, res);
	res->elapsed_ms = saba_clock_ms() - t0;
	free(app);
	free(line);
	free(env.block);
	saba_cmd_track(cancel, 0);
	return rc;
}
