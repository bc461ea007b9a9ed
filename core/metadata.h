/* Host metadata from plugins (mackerel-agent's metadata plugins): the
 * newest value of each namespace waits here until the poster sends it as
 * PUT /api/v0/hosts/<id>/metadata/<namespace>, and only when it differs
 * from what was last sent to that host.  What was sent is kept in
 * <root>/metadata/<namespace>, written atomically, so a restart does not
 * send it again. */
#ifndef SABA_METADATA_H
#define SABA_METADATA_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

/* The API's limit on one namespace's JSON. */
#define SABA_METADATA_MAX_BYTES (100 * 1024)

struct saba_metadata;
struct saba_http;

/* dir: where the sent values are kept (created on first write). */
struct saba_metadata *saba_metadata_new(const char *dir);
void saba_metadata_free(struct saba_metadata *m);

/* Is ns a namespace the API takes ([-a-zA-Z0-9_]+, not beginning with
 * "mackerel", which Mackerel keeps for itself)?  1, or 0 with why. */
int saba_metadata_valid_ns(const char *ns, char *why, size_t len);

/* The JSON text of a value (any JSON: object, array, string, number,
 * boolean, null) as the API gets it; NULL with why when it is not JSON or
 * too big. */
json_t *saba_metadata_parse(const char *text, size_t len, char *why, size_t why_len);

/* Queue value (stolen) for ns, replacing an older one still waiting. */
void saba_metadata_put(struct saba_metadata *m, const char *ns, json_t *value);

/* Send what waits (dry_run: print it, keep nothing on disk).  Returns 0,
 * or the backoff (ms) wanted after a network error, 5xx or 429; a value
 * the API refuses otherwise is dropped with an error line and not
 * remembered as sent, so the plugin's next report of it is sent again. */
int64_t saba_metadata_send(struct saba_metadata *m, struct saba_http *h, const char *host_id,
			   int dry_run, int attempt, int64_t deadline_ms);

#endif
