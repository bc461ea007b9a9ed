/* Service-manager notifications (systemd's sd_notify protocol), spoken
 * directly over $NOTIFY_SOCKET so libsystemd is not a core dependency. */
#ifndef SABA_NOTIFY_H
#define SABA_NOTIFY_H

#include <stdint.h>

/* Send "READY=1", "STOPPING=1", "RELOADING=1", ...; no-op without
 * $NOTIFY_SOCKET. */
void saba_notify(const char *state);
/* Ask for more time to stop: EXTEND_TIMEOUT_USEC=usec. */
void saba_notify_extend(uint64_t usec);

#endif
