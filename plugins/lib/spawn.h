/*
 * spawn: start one prepared command as a child process, the one place the
 * command plugins make a process.  The caller builds everything first (the
 * file to run, argv, envp, the three descriptors, the user); saba_spawn()
 * only starts it.
 *
 * The child gets a process group of its own, stdin/stdout/stderr from fd[],
 * every other descriptor closed on exec, every signal at its default
 * disposition and none blocked, and, when switch_user is set, the user's
 * groups, gid and uid (all three: it cannot get root back).  It is a
 * child subreaper (cmdtree.h), so what it starts stays in its tree.  It is made
 * with vfork(): the agent is large and multi-threaded, and fork() would
 * copy its page tables (and make every page it then writes a copy) for a
 * process that execs at once.
 */
#ifndef SABA_PLUGIN_SPAWN_H
#define SABA_PLUGIN_SPAWN_H

#include <stddef.h>
#include <sys/types.h>

struct saba_spawn {
	const char *file;  /* what execve() runs (a path, resolved already) */
	char *const *argv; /* NULL-terminated */
	char *const *envp; /* NULL-terminated: the child's whole environment */
	int fd[3];	   /* the child's stdin, stdout and stderr */
	int switch_user;   /* 0: keep the agent's user */
	uid_t uid;
	gid_t gid;
	const gid_t *groups;
	size_t ngroups;
};

/* Start sp.  Returns the child's pid (it leads its own process group), or
 * -1 with an errno value in *err: the child could not be made, or its
 * set-up or execve() failed (the child is then already reaped). */
pid_t saba_spawn(const struct saba_spawn *sp, int *err);

#endif
