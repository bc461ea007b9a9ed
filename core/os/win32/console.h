/* Windows: Ctrl+C and Ctrl+Break stop `run` as SIGINT does on POSIX. */
#ifndef SABA_CONSOLE_WIN_H
#define SABA_CONSOLE_WIN_H

#include "runtime.h"

/* Install the console control handler for rt (one agent per process). */
void saba_console_start(struct saba_runtime *rt);
void saba_console_stop(void);

#endif
