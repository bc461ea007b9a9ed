/*
 * cmdtree: find and end every process a command started (cmdtree.h).
 */
#define _GNU_SOURCE

#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#include "cmdtree.h"

/* A tree that keeps forking while it is being stopped: give up after
 * this many scans rather than loop; the process group still gets sig. */
#define SABA_CMD_TREE_SCANS 8

void saba_cmd_tree_adopt(void)
{
#if defined(__linux__) && defined(PR_SET_CHILD_SUBREAPER)
	prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
#endif
}

/* pid's parent and start time from /proc/PID/stat; -1 when it is gone. */
static int saba_cmd_proc_stat(pid_t pid, pid_t *ppid, unsigned long long *start)
{
	char path[64], buf[1024], *p;
	size_t n;
	FILE *f;
	int ok;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "re");
	if (f == NULL)
		return -1;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* the command name may hold anything, ')' too: fields follow the last */
	p = strrchr(buf, ')');
	if (p == NULL)
		return -1;
	ok = sscanf(p + 1,
		    " %*c %d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d %*d %*d %*d "
		    "%llu",
		    ppid, start) == 2;
	return ok ? 0 : -1;
}

static int saba_cmd_tree_has(const struct saba_cmd_tree *t, pid_t pid)
{
	for (size_t i = 0; i < t->n; i++)
		if (t->v[i].pid == pid)
			return 1;
	return 0;
}

static int saba_cmd_tree_add(struct saba_cmd_tree *t, pid_t pid, unsigned long long start)
{
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 16;
		struct saba_cmd_proc *v = realloc(t->v, cap * sizeof(*v));

		if (v == NULL)
			return -1;
		t->v = v;
		t->cap = cap;
	}
	t->v[t->n++] = (struct saba_cmd_proc){pid, start};
	return 0;
}

/* Every process now: pid, parent and start time. */
static struct saba_cmd_proc *saba_cmd_procs(pid_t **ppids, size_t *n)
{
	struct saba_cmd_tree all = {0};
	pid_t *pp = NULL;
	struct dirent *e;
	DIR *d;

	*n = 0;
	d = opendir("/proc");
	if (d == NULL)
		return NULL;
	while ((e = readdir(d)) != NULL) {
		unsigned long long start;
		pid_t pid, ppid, *p;
		char *end;

		pid = (pid_t)strtol(e->d_name, &end, 10);
		if (*end != '\0' || pid <= 1 || saba_cmd_proc_stat(pid, &ppid, &start) != 0)
			continue;
		if (saba_cmd_tree_add(&all, pid, start) != 0)
			break;
		p = realloc(pp, all.cap * sizeof(*pp));
		if (p == NULL) {
			all.n--;
			break;
		}
		pp = p;
		pp[all.n - 1] = ppid;
	}
	closedir(d);
	*ppids = pp;
	*n = all.n;
	return all.v;
}

size_t saba_cmd_tree_scan(struct saba_cmd_tree *t, pid_t root)
{
	size_t n, added = 0, more;
	pid_t *ppid = NULL;
	struct saba_cmd_proc *all = saba_cmd_procs(&ppid, &n);

	/* a child of root or of one found, until none is left to find */
	do {
		more = 0;
		for (size_t i = 0; i < n; i++) {
			if (all[i].pid == root || saba_cmd_tree_has(t, all[i].pid) ||
			    (ppid[i] != root && !saba_cmd_tree_has(t, ppid[i])))
				continue;
			if (saba_cmd_tree_add(t, all[i].pid, all[i].start) == 0)
				more++;
		}
		added += more;
	} while (more > 0);
	free(all);
	free(ppid);
	return added;
}

/* Signal each process of t that is still the one found (not a reused pid). */
static void saba_cmd_tree_signal(const struct saba_cmd_tree *t, int sig)
{
	for (size_t i = 0; i < t->n; i++) {
		unsigned long long start;
		pid_t ppid;

		if (saba_cmd_proc_stat(t->v[i].pid, &ppid, &start) == 0 && start == t->v[i].start)
			kill(t->v[i].pid, sig);
	}
}

void saba_cmd_tree_end(struct saba_cmd_tree *t, pid_t root, int sig)
{
	for (int i = 0; i < SABA_CMD_TREE_SCANS; i++) {
		if (saba_cmd_tree_scan(t, root) == 0)
			break;
		saba_cmd_tree_signal(t, SIGSTOP);
	}
	saba_cmd_tree_signal(t, sig);
	saba_cmd_tree_signal(t, SIGCONT);
}

void saba_cmd_tree_free(struct saba_cmd_tree *t)
{
	free(t->v);
	memset(t, 0, sizeof(*t));
}
