/*
 * command (POSIX): run a prepared command, started by spawn.h (see command.h):
 * its own process group, poll() on the output pipes and a pidfd, SIGTERM
 * to the group at the timeout and SIGKILL SABA_CMD_GRACE_MS later.  Also
 * the POSIX shell (/bin/sh -c) and the account a command runs as.
 */
#define _GNU_SOURCE /* pipe2, asprintf, getgrouplist */

#include <errno.h>
#include <fcntl.h>
#include <grp.h> /* setgroups */
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "command.h"
#include "command_os.h"
#include "cmdtree.h"
#include "spawn.h"

extern char **environ;

#define SABA_CMD_DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

/* ------------------------------------------------------------------ */
/* the shell and the account                                            */

/* What saba_cmd_set_user() found: the child switches to it. */
struct saba_cmd_user {
	uid_t uid;
	gid_t gid;
	gid_t *groups;
	int ngroups;
	char *env[4]; /* USER=, LOGNAME=, HOME= of that user */
};

int saba_cmd_os_shell(struct saba_cmd *cmd, const char *line)
{
	const char *argv[] = {"/bin/sh", "-c", line};

	return saba_cmd_set_argv(cmd, argv, 3);
}

int saba_cmd_os_check(const struct saba_cmd *cmd, char *err, size_t errlen)
{
	(void)cmd;
	(void)err;
	(void)errlen;
	return SABA_OK;
}

void saba_cmd_os_free(struct saba_cmd *cmd)
{
	struct saba_cmd_user *u = cmd->user;

	if (u == NULL)
		return;
	free(u->groups);
	for (int i = 0; i < 3; i++)
		free(u->env[i]);
	free(u);
	cmd->user = NULL;
}

int saba_cmd_set_user(struct saba_cmd *cmd, const char *user, char *err, size_t errlen)
{
	struct passwd pw, *res = NULL;
	long size = sysconf(_SC_GETPW_R_SIZE_MAX);
	struct saba_cmd_user *u = NULL;
	char *buf = NULL;
	gid_t *groups = NULL;
	int n = 32, rc = SABA_INVALID, e;

	if (size < 1024)
		size = 16384;
	buf = malloc((size_t)size);
	if (buf == NULL)
		goto oom;
	e = getpwnam_r(user, &pw, buf, (size_t)size, &res);
	if (res == NULL) {
		snprintf(err, errlen, "no such user \"%s\"%s%s", user, e ? ": " : "",
			 e ? strerror(e) : "");
		goto out;
	}
	if (geteuid() != 0) {
		/* switching needs root; running as ourselves needs nothing */
		if (pw.pw_uid != geteuid()) {
			snprintf(err, errlen,
				 "cannot run commands as \"%s\": the agent does not run as root",
				 user);
			goto out;
		}
		rc = SABA_OK;
		goto out;
	}
	/* resolved here, not in the child: it may only make system calls
	 * (spawn.h) */
	for (;;) {
		int want = n;
		gid_t *g = realloc(groups, (size_t)n * sizeof(*groups));

		if (g == NULL)
			goto oom;
		groups = g;
		if (getgrouplist(user, pw.pw_gid, groups, &want) >= 0) {
			n = want;
			break;
		}
		n = want > n ? want : n * 2;
	}
	u = calloc(1, sizeof(*u));
	if (u == NULL)
		goto oom;
	u->groups = groups;
	groups = NULL;
	u->ngroups = n;
	u->uid = pw.pw_uid;
	u->gid = pw.pw_gid;
	if (asprintf(&u->env[0], "USER=%s", pw.pw_name) < 0)
		u->env[0] = NULL;
	if (asprintf(&u->env[1], "LOGNAME=%s", pw.pw_name) < 0)
		u->env[1] = NULL;
	if (asprintf(&u->env[2], "HOME=%s", pw.pw_dir) < 0)
		u->env[2] = NULL;
	saba_cmd_os_free(cmd);
	cmd->user = u;
	if (u->env[0] == NULL || u->env[1] == NULL || u->env[2] == NULL)
		goto oom;
	rc = SABA_OK;
	goto out;
oom:
	snprintf(err, errlen, "out of memory");
	rc = SABA_ERROR;
out:
	free(groups);
	free(buf);
	return rc;
}

/* ------------------------------------------------------------------ */
/* cancel                                                               */

int saba_cmd_os_cancel_init(struct saba_cmd_cancel *c)
{
	return pipe2(c->fd, O_CLOEXEC | O_NONBLOCK) == 0 ? SABA_OK : SABA_ERROR;
}

void saba_cmd_os_cancel_destroy(struct saba_cmd_cancel *c)
{
	close(c->fd[0]);
	close(c->fd[1]);
}

void saba_cmd_os_interrupt(struct saba_cmd_cancel *c)
{
	/* at once, even if the agent exits before the run's thread gets
	 * to it; pgid is cleared before the leader is reaped, so it cannot
	 * name a recycled group */
	if (c->pgid > 0) {
		kill(-c->pgid, SIGTERM);
		kill(-c->pgid, SIGCONT);
	}
	/* wakes the poll() of a running command */
	if (write(c->fd[1], "x", 1) < 0) {
		/* full pipe: already awake */
	}
}

void saba_cmd_os_rearm(struct saba_cmd_cancel *c)
{
	char buf[16];

	while (read(c->fd[0], buf, sizeof(buf)) > 0)
		;
}

/* The running command's group in c (0: none), for saba_cmd_os_interrupt(). */
static void saba_cmd_track_group(struct saba_cmd_cancel *c, pid_t pgid)
{
	if (c == NULL)
		return;
	pthread_mutex_lock(&c->lock);
	c->pgid = pgid;
	pthread_mutex_unlock(&c->lock);
}

/* ------------------------------------------------------------------ */
/* running                                                              */

/* Where one of the two output streams goes. */
struct saba_cmd_sink {
	int fd; /* -1 at EOF */
	struct saba_cmd_buf b;
};

void saba_cmd_make_workdir(const char *dir)
{
	/* shared by plugins running as other users, hence sticky and
	 * world-writable like /var/tmp (mackerel-agent's is 0777) */
	if (mkdir(dir, 01777) == 0)
		chmod(dir, 01777);
}

/* What mackerel-agent gives every command on top of its own environment:
 * PATH with the system directories first and `mkr plugin install`'s last,
 * the C locale (parseable output), and the plugins' state directory. */
static void saba_cmd_upstream_env(char **env)
{
	const char *path = getenv("PATH");

	env[0] = NULL;
	if (asprintf(&env[0], "PATH=/sbin:/usr/sbin:/bin:/usr/bin%s%s:" SABA_CMD_PLUGIN_BIN,
		     path != NULL && *path != '\0' ? ":" : "", path != NULL ? path : "") < 0)
		env[0] = NULL;
	env[1] = (char *)"LANG=C";
	env[2] = (char *)"LC_ALL=C";
	env[3] = NULL;
	if (asprintf(&env[3], SABA_CMD_WORKDIR_VAR "=%s", saba_cmd_default_workdir()) < 0)
		env[3] = NULL;
	env[4] = NULL;
}

/* environ, mackerel-agent's additions, the configured env, the user's,
 * extra: later wins.  The one place a command's environment is made. */
static const char **saba_cmd_environ(const struct saba_cmd *cmd, char **upstream,
				     const char *const *extra)
{
	const char *const *lists[4] = {
		(const char *const *)upstream, (const char *const *)cmd->env,
		cmd->user != NULL ? (const char *const *)cmd->user->env : NULL, extra};
	size_t n = 0, cap = 1;
	const char **env;

	for (char **e = environ; e != NULL && *e != NULL; e++)
		cap++;
	for (int l = 0; l < 4; l++)
		for (size_t i = 0; lists[l] != NULL && lists[l][i] != NULL; i++)
			cap++;
	env = calloc(cap, sizeof(*env));
	if (env == NULL)
		return NULL;
	for (char **e = environ; e != NULL && *e != NULL; e++)
		env[n++] = *e;
	for (int l = 0; l < 4; l++) {
		for (size_t i = 0; lists[l] != NULL && lists[l][i] != NULL; i++) {
			const char *kv = lists[l][i];
			size_t klen = strcspn(kv, "=") + 1, j;

			for (j = 0; j < n && strncmp(env[j], kv, klen) != 0; j++)
				;
			env[j] = kv;
			if (j == n)
				n++;
		}
	}
	env[n] = NULL;
	return env;
}

/* The file execve() gets: argv[0] itself when it has a slash, else the
 * first executable regular file along PATH (of the command's env). */
static char *saba_cmd_resolve(const char *prog, const char **env)
{
	const char *path = SABA_CMD_DEFAULT_PATH;

	if (strchr(prog, '/') != NULL)
		return strdup(prog);
	for (size_t i = 0; env[i] != NULL; i++)
		if (strncmp(env[i], "PATH=", 5) == 0)
			path = env[i] + 5;
	while (*path != '\0') {
		size_t len = strcspn(path, ":");
		char *file = NULL;
		struct stat st;

		/* an empty PATH element is the current directory */
		if (asprintf(&file, "%.*s/%s", (int)(len ? len : 1), len ? path : ".", prog) < 0)
			file = NULL;
		if (file != NULL && stat(file, &st) == 0 && S_ISREG(st.st_mode) &&
		    access(file, X_OK) == 0)
			return file;
		free(file);
		path += len + (path[len] == ':');
	}
	return NULL;
}

/* Append what fd has to s; discard beyond its cap. */
static void saba_cmd_drain(struct saba_cmd_sink *s)
{
	char chunk[65536];
	ssize_t n = read(s->fd, chunk, sizeof(chunk));

	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n <= 0) {
		close(s->fd);
		s->fd = -1;
		return;
	}
	saba_cmd_buf_add(&s->b, chunk, (size_t)n);
}

/* Has the child exited?  Leaves it a zombie (WNOWAIT) so its process
 * group id cannot be reused before the final kill. */
static int saba_cmd_exited(pid_t pid)
{
	siginfo_t si;

	memset(&si, 0, sizeof(si));
	return waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0 && si.si_pid == pid;
}

static void saba_cmd_signal_group(pid_t pgid, int sig)
{
	kill(-pgid, sig);
	if (sig == SIGTERM)
		kill(-pgid, SIGCONT); /* a stopped process cannot act on TERM */
}

/* A timeout or a stop ends all the command started: its group, and what
 * left the group (tree: found while the command runs, kept for the KILL). */
static void saba_cmd_end(pid_t pid, struct saba_cmd_tree *tree, int sig)
{
	saba_cmd_tree_end(tree, pid, sig);
	saba_cmd_signal_group(pid, sig);
}

/* Read both streams until EOF with the child gone, the deadline, or a
 * cancel; signals all the command started as the timeout rules say. */
static void saba_cmd_wait(const struct saba_cmd *cmd, pid_t pid, struct saba_cmd_sink *sinks,
			  struct saba_cmd_cancel *cancel, struct saba_cmd_result *res)
{
	enum { RUNNING, TERMINATING } phase = RUNNING;
	int64_t deadline = saba_clock_ms() + cmd->timeout_ms;
	struct saba_cmd_tree tree = {0};
	int pidfd = -1, exited = 0;

#ifdef SYS_pidfd_open
	pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
#endif
	for (;;) {
		struct pollfd pfd[4];
		int nfd = 0, wait_ms;
		int64_t now;

		exited = exited || saba_cmd_exited(pid);
		if (exited && phase == TERMINATING) {
			/* the command is gone: what it left (holding the
			 * pipes or not) goes with it */
			saba_cmd_end(pid, &tree, SIGKILL);
			break;
		}
		if (exited && sinks[0].fd < 0 && sinks[1].fd < 0)
			break;
		now = saba_clock_ms();
		if (phase == RUNNING && saba_cmd_cancelled(cancel)) {
			res->cancelled = 1;
			saba_cmd_end(pid, &tree, SIGTERM);
			phase = TERMINATING;
			deadline = now + 1000; /* stop() must be prompt */
			continue;
		}
		if (now >= deadline) {
			if (exited) {
				/* something it started still holds stdout:
				 * stop waiting for it */
				saba_cmd_signal_group(pid, SIGKILL);
				break;
			}
			if (phase == TERMINATING) {
				saba_cmd_end(pid, &tree, SIGKILL);
				break;
			}
			res->timed_out = 1;
			saba_cmd_end(pid, &tree, SIGTERM);
			phase = TERMINATING;
			deadline = now + SABA_CMD_GRACE_MS;
			continue;
		}
		wait_ms = (int)(deadline - now);
		for (int i = 0; i < 2; i++)
			if (sinks[i].fd >= 0)
				pfd[nfd++] = (struct pollfd){.fd = sinks[i].fd, .events = POLLIN};
		if (!exited && pidfd >= 0)
			pfd[nfd++] = (struct pollfd){.fd = pidfd, .events = POLLIN};
		else if (!exited && wait_ms > 20)
			wait_ms = 20; /* no pidfd: look again soon */
		if (cancel != NULL && phase == RUNNING)
			pfd[nfd++] = (struct pollfd){.fd = cancel->fd[0], .events = POLLIN};
		if (poll(pfd, (nfds_t)nfd, wait_ms) < 0 && errno != EINTR)
			break;
		for (int i = 0; i < 2; i++)
			if (sinks[i].fd >= 0)
				for (int j = 0; j < nfd; j++)
					if (pfd[j].fd == sinks[i].fd && pfd[j].revents != 0)
						saba_cmd_drain(&sinks[i]);
	}
	if (pidfd >= 0)
		close(pidfd);
	saba_cmd_tree_free(&tree);
}

int saba_cmd_run(const struct saba_cmd *cmd, const char *const *extra_env, size_t out_cap,
		 size_t err_cap, struct saba_cmd_cancel *cancel, struct saba_cmd_result *res)
{
	struct saba_cmd_sink sinks[2] = {{.fd = -1, .b.cap = out_cap},
					 {.fd = -1, .b.cap = err_cap}};
	int outp[2] = {-1, -1}, errp[2] = {-1, -1}, devnull = -1;
	int64_t t0 = saba_clock_ms();
	struct saba_spawn sp;
	const char **env = NULL;
	char *file = NULL, *upstream[5] = {NULL};
	int rc = SABA_ERROR, status = 0, e;
	pid_t pid = -1;

	memset(res, 0, sizeof(*res));
	if (saba_cmd_track(cancel, 1)) {
		snprintf(res->error, sizeof(res->error), "the agent is stopping");
		goto out;
	}
	saba_cmd_upstream_env(upstream);
	env = upstream[0] != NULL && upstream[3] != NULL
		      ? saba_cmd_environ(cmd, upstream, extra_env)
		      : NULL;
	if (env == NULL) {
		snprintf(res->error, sizeof(res->error), "out of memory");
		goto out;
	}
	file = saba_cmd_resolve(cmd->argv[0], env);
	if (file == NULL) {
		snprintf(res->error, sizeof(res->error), "%s: command not found", cmd->argv[0]);
		goto out;
	}
	devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (devnull < 0 || pipe2(outp, O_CLOEXEC) != 0 || pipe2(errp, O_CLOEXEC) != 0) {
		snprintf(res->error, sizeof(res->error), "cannot set up pipes: %s",
			 strerror(errno));
		goto out;
	}
	sp = (struct saba_spawn){
		.file = file,
		.argv = cmd->argv,
		.envp = (char *const *)env,
		.fd = {devnull, outp[1], errp[1]},
	};
	if (cmd->user != NULL) {
		sp.switch_user = 1;
		sp.uid = cmd->user->uid;
		sp.gid = cmd->user->gid;
		sp.groups = cmd->user->groups;
		sp.ngroups = (size_t)cmd->user->ngroups;
	}
	pid = saba_spawn(&sp, &e);
	if (pid < 0) {
		snprintf(res->error, sizeof(res->error), "cannot run %s: %s", file, strerror(e));
		goto out;
	}
	/* the child leads its own group (and has exec'd) by now */
	saba_cmd_track_group(cancel, pid);
	close(outp[1]);
	close(errp[1]);
	outp[1] = errp[1] = -1;
	res->started = 1;
	sinks[0].fd = outp[0];
	sinks[1].fd = errp[0];
	outp[0] = errp[0] = -1;
	fcntl(sinks[0].fd, F_SETFL, O_NONBLOCK);
	fcntl(sinks[1].fd, F_SETFL, O_NONBLOCK);
	saba_cmd_wait(cmd, pid, sinks, cancel, res);
	rc = SABA_OK;
out:
	for (int i = 0; i < 2; i++)
		if (sinks[i].fd >= 0)
			close(sinks[i].fd);
	if (pid > 0) {
		saba_cmd_track_group(cancel, 0);
		/* killed or exited by now: reaping does not block for long */
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
		if (WIFEXITED(status)) {
			res->exited = 1;
			res->code = WEXITSTATUS(status);
		} else if (WIFSIGNALED(status)) {
			res->signal = WTERMSIG(status);
		}
	}
	saba_cmd_finish(cmd, res);
	if (res->started && res->error[0] == '\0' && res->signal != 0)
		snprintf(res->error, sizeof(res->error), "killed by signal %d (%s)", res->signal,
			 strsignal(res->signal));
	res->out = sinks[0].b.buf != NULL ? sinks[0].b.buf : calloc(1, 1);
	res->out_len = sinks[0].b.len;
	res->out_truncated = sinks[0].b.truncated;
	res->err = sinks[1].b.buf != NULL ? sinks[1].b.buf : calloc(1, 1);
	res->err_len = sinks[1].b.len;
	res->err_truncated = sinks[1].b.truncated;
	if (res->out != NULL)
		res->out[res->out_len] = '\0';
	if (res->err != NULL)
		res->err[res->err_len] = '\0';
	if (res->out == NULL || res->err == NULL)
		rc = SABA_ERROR;
	res->elapsed_ms = saba_clock_ms() - t0;
	for (int i = 0; i < 2; i++) {
		if (outp[i] >= 0)
			close(outp[i]);
		if (errp[i] >= 0)
			close(errp[i]);
	}
	if (devnull >= 0)
		close(devnull);
	free(file);
	free(env);
	free(upstream[0]);
	free(upstream[3]);
	saba_cmd_track(cancel, 0);
	return rc;
}
