/* customIdentifier -> host id, for values and check reports a plugin sends
 * on behalf of another host (upstream's custom_identifier).  Looked up once
 * per identifier and remembered for the agent's lifetime. */
#ifndef SABA_HOSTMAP_H
#define SABA_HOSTMAP_H

#include <stdint.h>

#include "http.h"

struct saba_hostmap;

struct saba_hostmap *saba_hostmap_new(int dry_run);
void saba_hostmap_free(struct saba_hostmap *m);

/* The host id for ci: "" when the API has no such host (its data is
 * dropped), NULL when the API could not be asked (try again later).  The
 * string belongs to the map. */
const char *saba_hostmap_resolve(struct saba_hostmap *m, struct saba_http *h, const char *ci,
				 int64_t deadline_ms);

#endif
