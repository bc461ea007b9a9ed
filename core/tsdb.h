/* The body of POST /api/v0/tsdb, as text:
 * [{"hostId":..,"name":..,"time":..,"value":..},...].  jansson encodes
 * every token.  What stays the same from one post to the next, a value's
 * host id and name, is encoded once and kept, so a post encodes only its
 * numbers: dumping a fresh object per value cost more CPU than the rest of
 * the post but libcurl. */
#ifndef SABA_TSDB_H
#define SABA_TSDB_H

#include <stddef.h>

#include "queue.h"

struct saba_tsdb;

struct saba_tsdb *saba_tsdb_new(void);
void saba_tsdb_free(struct saba_tsdb *t);

/* The body for batches (malloc'd), *count the values in it.  Points for
 * another host (a customIdentifier) get host_for(arg, ci)'s id; NULL or ""
 * leaves them out.  A value jansson refuses (a name or host id that is not
 * UTF-8, a value that is not finite) is left out whole. */
char *saba_tsdb_body(struct saba_tsdb *t, const char *host_id, struct saba_batch **b, size_t n,
		     const char *(*host_for)(void *arg, const char *ci), void *arg, size_t *count);

#endif
