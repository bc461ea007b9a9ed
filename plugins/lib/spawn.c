/*
 * spawn: start one prepared command as a child process (see spawn.h).
 */
#define _GNU_SOURCE /* close_range's flag */

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cmdtree.h"
#include "spawn.h"

/* 32-bit ids where the plain calls take 16-bit ones (i386, arm). */
#ifdef SYS_setresuid32
#define SABA_SYS_SETGROUPS SYS_setgroups32
#define SABA_SYS_SETRESGID SYS_setresgid32
#define SABA_SYS_SETRESUID SYS_setresuid32
#else
#define SABA_SYS_SETGROUPS SYS_setgroups
#define SABA_SYS_SETRESGID SYS_setresgid
#define SABA_SYS_SETRESUID SYS_setresuid
#endif

/* Put fd on target in the child. */
static int saba_spawn_move_fd(int fd, int target)
{
	if (fd == target)
		return fcntl(target, F_SETFD, 0); /* keep it across exec */
	return dup2(fd, target) < 0 ? -1 : 0;
}

/* Descriptors the agent's libraries opened without O_CLOEXEC stay out of
 * the command. */
static void saba_spawn_cloexec_from(int low)
{
	struct rlimit rl;
	int max;

#if defined(SYS_close_range) && defined(CLOSE_RANGE_CLOEXEC)
	if (syscall(SYS_close_range, (unsigned)low, ~0U, CLOSE_RANGE_CLOEXEC) == 0)
		return;
#endif
	max = getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < 65536 ? (int)rl.rlim_cur : 65536;
	for (int fd = low; fd < max; fd++)
		fcntl(fd, F_SETFD, FD_CLOEXEC);
}

/* The kernel's signal set size; signal calls below are the raw ones:
 * glibc's leave out the two signals it reserves (32 and 33). */
#define SABA_SIGSET_SIZE ((NSIG - 1) / 8)

static const unsigned long saba_spawn_zero[16];

/* Block every signal in this thread; the old mask goes to old. */
static void saba_spawn_block(unsigned long old[16])
{
	unsigned long all[16];

	for (int i = 0; i < 16; i++)
		all[i] = ~0UL;
	syscall(SYS_rt_sigprocmask, SIG_SETMASK, all, old, SABA_SIGSET_SIZE);
}

/* Every signal to its default action (an ignored one would stay ignored
 * in the command), then none blocked.  A kernel sigaction with SIG_DFL, no
 * flags and an empty mask is all zeros in every architecture's layout. */
static void saba_spawn_default_signals(void)
{
	for (int sig = 1; sig < NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			syscall(SYS_rt_sigaction, sig, saba_spawn_zero, NULL, SABA_SIGSET_SIZE);
	syscall(SYS_rt_sigprocmask, SIG_SETMASK, saba_spawn_zero, NULL, SABA_SIGSET_SIZE);
}

/*
 * The child, between vfork() and execve().  It shares the agent's memory
 * until then, so it writes nothing but its own stack and makes plain system
 * calls only: no allocation, no locks, and no glibc setuid() (which,
 * believing it runs in the multi-threaded agent, would ask the agent's
 * threads to change their ids too).  Signals are blocked when it starts
 * (saba_spawn() blocks them): no handler of the agent's runs here.  A
 * failure's errno goes to errfd, which the exec closes.
 */
static void __attribute__((noreturn)) saba_spawn_child(const struct saba_spawn *sp, int errfd)
{
	int e;

	if (setpgid(0, 0) != 0)
		goto fail;
	/* what leaves the group (setsid) stays in the command's tree */
	saba_cmd_tree_adopt();
	for (int i = 0; i < 3; i++)
		if (saba_spawn_move_fd(sp->fd[i], i) != 0)
			goto fail;
	saba_spawn_cloexec_from(3);
	if (sp->switch_user && (syscall(SABA_SYS_SETGROUPS, sp->ngroups, sp->groups) != 0 ||
				syscall(SABA_SYS_SETRESGID, sp->gid, sp->gid, sp->gid) != 0 ||
				syscall(SABA_SYS_SETRESUID, sp->uid, sp->uid, sp->uid) != 0))
		goto fail;
	/* handlers are reset by execve(), but one must not run before it:
	 * only now are signals unblocked */
	saba_spawn_default_signals();
	execve(sp->file, sp->argv, sp->envp);
fail:
	e = errno;
	if (write(errfd, &e, sizeof(e)) < 0) {
		/* nobody to tell: the exit status says 127 */
	}
	_exit(127);
}

pid_t saba_spawn(const struct saba_spawn *sp, int *err)
{
	unsigned long old[16];
	int ep[2], child_err = 0;
	ssize_t n;
	pid_t pid;

	if (pipe2(ep, O_CLOEXEC) != 0) {
		*err = errno;
		return -1;
	}
	/* above the three the child puts its descriptors on */
	if (ep[1] < 3) {
		int fd = fcntl(ep[1], F_DUPFD_CLOEXEC, 3);

		close(ep[1]);
		ep[1] = fd;
	}
	saba_spawn_block(old);
	pid = ep[1] < 0 ? -1 : vfork();
	if (pid == 0)
		saba_spawn_child(sp, ep[1]);
	*err = errno;
	syscall(SYS_rt_sigprocmask, SIG_SETMASK, old, NULL, SABA_SIGSET_SIZE);
	if (ep[1] >= 0)
		close(ep[1]);
	if (pid > 0) {
		/* EOF once the exec succeeded, an errno if the child failed */
		while ((n = read(ep[0], &child_err, sizeof(child_err))) < 0 && errno == EINTR)
			;
		if (n == (ssize_t)sizeof(child_err)) {
			while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
				;
			*err = child_err;
			pid = -1;
		} else {
			*err = 0;
		}
	}
	close(ep[0]);
	return pid;
}
