/* The retire routine: the one place a host is retired, whoever asks (a
 * trigger plugin, a cloud signal, `saba-agent retire`).  It owns the policy
 * (what may retire, cloud confirmation), once-only, the deadline and the
 * audit line.  Retirement cannot be undone: on doubt it declines. */
#ifndef SABA_RETIRE_H
#define SABA_RETIRE_H

#include <stdint.h>
#include <saba/plugin.h>

#include "api.h"
#include "runtime.h"

struct saba_retire;

/* How the request goes on the wire; replaceable for unit tests. */
typedef int (*saba_retire_send_fn)(void *arg, struct saba_runtime *rt, const char *host_id,
				   int64_t deadline_ms, struct saba_api_result *r);

struct saba_retire *saba_retire_new(void);
void saba_retire_free(struct saba_retire *r);
void saba_retire_set_sender(struct saba_retire *r, saba_retire_send_fn fn, void *arg);
/* The file whose fresh presence means "the package is being removed"
 * (default /run/saba-agent.removing; NULL: none); for unit tests. */
void saba_retire_set_removal_marker(struct saba_retire *r, const char *path);

/* Run a request from `who` ("plugin/instance" or "command line").
 * Returns enum saba_retire_result.  DONE, FAILED and DRY_RUN are final:
 * later calls return them at once; a call made while another runs waits for
 * it.  DECLINED is not final, so a later request with better evidence (a
 * cloud termination notice) can still retire. */
int saba_retire_run(struct saba_runtime *rt, const char *who,
		    const struct saba_retire_request *req);

/* Retire another machine's host (the EC2 fleet sweeper): only
 * SABA_STOP_TERMINATE, never this agent's own host, not once-only (several
 * sweepers may race; 404 counts as done).  Same sending path, deadline and
 * audit lines as saba_retire_run(). */
int saba_retire_other(struct saba_runtime *rt, const char *who, const char *host_id,
		      const struct saba_retire_request *req);

/* Did a retire of this agent's host reach the API (retired, failed or
 * dry-run)?  The stop then keeps to retire.timeout + 1 s in all. */
int saba_retire_reached_api(struct saba_retire *r);

const char *saba_retire_result_name(int result);

#endif
