/* windows_scm: the newest System event 1074 (User32: a program started a
 * shutdown or restart) through the Windows Event Log API. */
#ifndef SABA_WINDOWS_SCM_EVENT_H
#define SABA_WINDOWS_SCM_EVENT_H

#include <stddef.h>

#include "classify.h"

/* Fill ev (its shutdown_type points into type, of type_len bytes).  Waits
 * at most timeout_ms for the log.  On any failure ev->found is 0 and err
 * says why (a missing or unreadable event never retires). */
void saba_scm_read_1074(struct saba_scm_event *ev, char *type, size_t type_len,
			unsigned long timeout_ms, char *err, size_t err_len);

#endif
