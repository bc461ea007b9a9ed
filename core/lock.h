/* One agent per root: an exclusive lock held for the process's life. */
#ifndef SABA_LOCK_H
#define SABA_LOCK_H

#include <stddef.h>

#define SABA_LOCK_FILE "saba-agent.lock"

/* Lock <root>/saba-agent.lock (root must exist): 0 and *fd, or -1 with
 * why in err, naming the holder's pid when another agent has it. */
int saba_lock_root(const char *root, int *fd, char *err, size_t errlen);
/* Give it up (also what exit does). */
void saba_lock_release(int fd);

#endif
