/* The pidfile (config `pidfile`, -pidfile), as mackerel-agent keeps one. */
#ifndef SABA_PIDFILE_H
#define SABA_PIDFILE_H

#include <stddef.h>

/* Write this process's id (no newline) to path, creating its directory.  A
 * pidfile naming another live saba-agent is an error; one naming a dead or
 * other process, or no number, is replaced with a warning.  0, or -1 with
 * a message in err. */
int saba_pidfile_create(const char *path, char *err, size_t errlen);

/* Remove path if it still holds this process's id. */
void saba_pidfile_remove(const char *path);

#endif
