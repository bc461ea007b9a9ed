/* Plugin hooks the main thread waits for, each bounded (hook.c). */
#ifndef SABA_HOOK_H
#define SABA_HOOK_H

#include <stdint.h>

/* Bounds: create(), start() and host_spec() may ask the network (a
 * cloud's metadata); stop() and destroy() must return promptly. */
#define SABA_HOOK_TIMEOUT_MS	  60000
#define SABA_HOOK_STOP_TIMEOUT_MS 5000

typedef void (*saba_hook_fn)(void *arg);

/*
 * Run fn(arg) as plugin label's hook (for the crash report and the log)
 * on a thread of its own, and wait up to timeout_ms, or until give_up(
 * give_up_arg) is true (give_up may be NULL).  0 when fn returned; -1 when
 * it did not (logged): it keeps running with arg, so arg and whatever the
 * hook uses must stay (abandon the instance, pin its module).
 */
int saba_hook_run(const char *label, const char *hook, saba_hook_fn fn, void *arg,
		  int64_t timeout_ms, int (*give_up)(void *), void *give_up_arg);

#endif
