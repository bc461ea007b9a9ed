/*
 * What a command leaves behind.  A daemon that setsid()s, or a process
 * started in the background whose parent then exits, is out of reach of
 * the signals to its command's process group, and its parent is gone.
 * The agent makes itself the child subreaper (PR_SET_CHILD_SUBREAPER):
 * such processes become its children rather than init's, under systemd
 * and without it, with no privilege needed.  A child of the agent that is
 * not a command's own process (those lead a process group of their own
 * in the agent's session, or are still in the agent's own group in the
 * instant after fork()) is a leftover: at the end of each command run,
 * every leftover started since that run began gets SIGTERM, then SIGKILL
 * after the grace.  Leftovers that ended are reaped.  Finding them reads
 * all of /proc, so it happens at most every SABA_LEFTOVER_SCAN_MS, for
 * every run ended since the last time.
 */
#define _GNU_SOURCE

#include <dirent.h>
#include <pthread.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "leftover.h"

#define SABA_LEFTOVER_MAX     256 /* per scan; more is a fork bomb, not a daemon */
#define SABA_LEFTOVER_SCAN_MS 10000

static pthread_mutex_t saba_leftover_lock = PTHREAD_MUTEX_INITIALIZER;
static uint64_t saba_leftover_since;	 /* oldest run start not scanned for; 0: none */
static uint64_t saba_leftover_scanned; /* saba_leftover_now() of the last scan */

static void saba_leftover_once(void)
{
	prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
}

void saba_leftover_prepare(void)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;

	pthread_once(&once, saba_leftover_once);
}

uint64_t saba_leftover_now(void)
{
	struct timespec ts;
	long hz = sysconf(_SC_CLK_TCK);

	clock_gettime(CLOCK_BOOTTIME, &ts);
	/* the tick the process started in may be the one before */
	return (uint64_t)ts.tv_sec * (uint64_t)hz + (uint64_t)ts.tv_nsec * (uint64_t)hz / 1000000000u -
	       1;
}

/* /proc/<pid>/stat of a child of ours: state, process group, session and
 * start time (clock ticks since boot).  0 when it is one. */
static int saba_leftover_stat(pid_t pid, char *state, pid_t *pgrp, pid_t *sid, uint64_t *start)
{
	char path[64], buf[1024], *p;
	unsigned long long starttime = 0;
	int ppid = 0, pg = 0, s = 0;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "re");
	if (f == NULL)
		return -1;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	p = strrchr(buf, ')'); /* the command name may hold anything */
	if (p == NULL || sscanf(p + 1,
				" %c %d %d %d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d %*d "
				"%*d %*d %llu",
				state, &ppid, &pg, &s, &starttime) != 5)
		return -1;
	if (ppid != (int)getpid())
		return -1;
	*pgrp = pg;
	*sid = s;
	*start = starttime;
	return 0;
}

/* The leftovers started at or after since, zombies reaped on the way. */
static size_t saba_leftover_find(uint64_t since, pid_t *out, size_t max)
{
	DIR *d = opendir("/proc");
	pid_t own_sid = getsid(0), own_pgrp = getpgrp();
	struct dirent *e;
	size_t n = 0;

	if (d == NULL)
		return 0;
	while ((e = readdir(d)) != NULL && n < max) {
		pid_t pid = (pid_t)atoi(e->d_name), pgrp, sid;
		uint64_t start;
		char state;

		if (pid <= 0 || saba_leftover_stat(pid, &state, &pgrp, &sid, &start) != 0)
			continue;
		/* A command's own process, maybe another module's; or one just
		 * forked, still in the agent's group until its setpgid(). */
		if ((pgrp == pid && sid == own_sid) || pgrp == own_pgrp)
			continue;
		if (state == 'Z') {
			waitpid(pid, NULL, WNOHANG);
			continue;
		}
		if (start >= since)
			out[n++] = pid;
	}
	closedir(d);
	return n;
}

/* Is a scan due?  Takes the runs' oldest start into *since. */
static int saba_leftover_due(uint64_t *since)
{
	uint64_t now = saba_leftover_now(), every;
	int due;

	every = (uint64_t)SABA_LEFTOVER_SCAN_MS * (uint64_t)sysconf(_SC_CLK_TCK) / 1000u;
	pthread_mutex_lock(&saba_leftover_lock);
	if (saba_leftover_since == 0 || *since < saba_leftover_since)
		saba_leftover_since = *since;
	due = saba_leftover_scanned == 0 || now - saba_leftover_scanned >= every;
	if (due) {
		*since = saba_leftover_since;
		saba_leftover_since = 0;
		saba_leftover_scanned = now;
	}
	pthread_mutex_unlock(&saba_leftover_lock);
	return due;
}

void saba_leftover_end(uint64_t since, int grace_ms)
{
	pid_t pids[SABA_LEFTOVER_MAX];
	size_t n, alive;
	struct timespec tick = {.tv_nsec = 50 * 1000000L};

	if (!saba_leftover_due(&since))
		return;
	n = saba_leftover_find(since, pids, SABA_LEFTOVER_MAX);
	alive = n;

	for (size_t i = 0; i < n; i++) {
		kill(pids[i], SIGTERM);
		kill(pids[i], SIGCONT); /* a stopped process cannot act on TERM */
	}
	for (int waited = 0; alive > 0 && waited < grace_ms; waited += 50) {
		nanosleep(&tick, NULL);
		alive = 0;
		for (size_t i = 0; i < n; i++) {
			if (pids[i] <= 0)
				continue;
			if (waitpid(pids[i], NULL, WNOHANG) == pids[i] ||
			    (kill(pids[i], 0) != 0 && errno == ESRCH))
				pids[i] = 0;
			else
				alive++;
		}
	}
	for (size_t i = 0; i < n; i++) {
		if (pids[i] <= 0)
			continue;
		kill(pids[i], SIGKILL);
		while (waitpid(pids[i], NULL, 0) < 0 && errno == EINTR)
			;
	}
}
