/*
 * cmdtree: every process a command started, also those that left its
 * process group (setsid, a daemon's double fork).  The command runs as a
 * child subreaper (saba_cmd_tree_adopt() in the child before exec), so
 * what its descendants orphan is reparented to it rather than to init and
 * stays in its tree as long as the command runs.  Linux only: elsewhere
 * the tree is empty and the process group is all the runner ends.
 */
#ifndef SABA_PLUGIN_CMDTREE_H
#define SABA_PLUGIN_CMDTREE_H

#include <stddef.h>
#include <sys/types.h>

struct saba_cmd_proc {
	pid_t pid;
	unsigned long long start; /* clock ticks after boot: tells a reused pid */
};

struct saba_cmd_tree {
	struct saba_cmd_proc *v;
	size_t n, cap;
};

/* In the child between vfork() and exec (one system call). */
void saba_cmd_tree_adopt(void);

/* Add root's descendants running now (root itself not) to t; returns how
 * many were not in it yet. */
size_t saba_cmd_tree_scan(struct saba_cmd_tree *t, pid_t root);

/* Stop what is in root's tree, so nothing forks away meanwhile, and send
 * sig to all of it (then SIGCONT, so a stopped process acts on it). */
void saba_cmd_tree_end(struct saba_cmd_tree *t, pid_t root, int sig);

void saba_cmd_tree_free(struct saba_cmd_tree *t);

#endif
