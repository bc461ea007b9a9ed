/* Host registration, wire-compatible with mackerel-agent: reuse the id in
 * <root>/id, else adopt a host by customIdentifier, else create one. */
#ifndef SABA_REGISTER_H
#define SABA_REGISTER_H

#include <jansson.h>

#include "http.h"
#include "runtime.h"

/* Sets rt->host_id.  Returns 0, or 1 on a fatal error (logged, with what
 * the operator should do). */
int saba_register(struct saba_runtime *rt, struct saba_http *h, json_t *spec);

/* PUT the spec; errors are logged only (upstream does not retry either). */
void saba_register_update_spec(struct saba_runtime *rt, struct saba_http *h, json_t *spec);

/* POST /api/v0/hosts/<id>/status; attempts >1 retries network/5xx. */
int saba_register_status(struct saba_runtime *rt, struct saba_http *h, const char *status,
			 int attempts, int64_t deadline_ms);

#endif
