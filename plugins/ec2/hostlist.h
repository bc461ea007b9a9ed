/* Reads the Mackerel host list ({"hosts": [ {...}, ... ]}) as it streams in,
 * one host at a time: each element of the top-level "hosts" array is decoded
 * by jansson on its own and handed to a callback, then freed, so memory holds
 * one host (and the bytes not yet decoded), never the whole list as a tree.
 * Other top-level keys are decoded and skipped. */
#ifndef SABA_EC2_HOSTLIST_H
#define SABA_EC2_HOSTLIST_H

#include <jansson.h>
#include <stddef.h>

/* Called once per element of "hosts" (any JSON value; the callee checks).
 * Return non-zero to stop: the list then fails. */
typedef int (*saba_hostlist_fn)(void *arg, json_t *host);

struct saba_hostlist;

struct saba_hostlist *saba_hostlist_new(saba_hostlist_fn fn, void *arg);
void saba_hostlist_free(struct saba_hostlist *l);

/* The next piece of the answer.  0, or -1 once the list is unusable. */
int saba_hostlist_feed(struct saba_hostlist *l, const char *data, size_t len);
/* After the last piece: 0 when the document was complete and had a "hosts"
 * array, else -1. */
int saba_hostlist_finish(struct saba_hostlist *l);
/* Why it failed ("" while it has not). */
const char *saba_hostlist_error(const struct saba_hostlist *l);

#endif
