/* What plugins hand the agent to send besides metrics: graph definitions
 * and check reports.  Queued here by any thread, sent by the poster. */
#ifndef SABA_OUTBOX_H
#define SABA_OUTBOX_H

#include <jansson.h>
#include <stddef.h>
#include <saba/plugin.h>

#include "runtime.h"

struct saba_outbox;

struct saba_outbox *saba_outbox_new(void);
void saba_outbox_free(struct saba_outbox *o);

/* Queue graph definitions (an array; stolen).  Without an outbox (once,
 * configtest) they are dropped. */
void saba_outbox_graph_defs(struct saba_runtime *rt, json_t *defs);
/* Queue a check report as the API's JSON ("source.hostId" is filled in when
 * sent; "_ci" names another host by customIdentifier). */
void saba_outbox_check(struct saba_runtime *rt, const struct saba_check_report *r);

/* Take everything queued (an array, NULL when empty) / give it back at the
 * front after a failed post. */
json_t *saba_outbox_take_graph_defs(struct saba_outbox *o);
void saba_outbox_putback_graph_defs(struct saba_outbox *o, json_t *defs);
/* Take up to max check reports (NULL when none) / give them back. */
json_t *saba_outbox_take_checks(struct saba_outbox *o, size_t max);
void saba_outbox_putback_checks(struct saba_outbox *o, json_t *reports);

struct saba_http;
struct saba_hostmap;

/* Send what is queued: graph definitions, then check reports in requests of
 * at most 20.  Returns 0 when done, or the backoff (ms) wanted after a
 * network error, 5xx or 429 (the rest stays queued).  Refused ones (other
 * 4xx) are dropped with an error line. */
int64_t saba_outbox_send(struct saba_outbox *o, struct saba_http *h, struct saba_hostmap *m,
			 const char *host_id, int attempt, int64_t deadline_ms);

/* Text cut to max characters (UTF-8), invalid bytes replaced by '?'. */
json_t *saba_json_text(const char *s, size_t max_chars);

#endif
