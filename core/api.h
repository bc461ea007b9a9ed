/* The Mackerel API calls the agent makes, each classified the same way:
 * done, worth retrying (network, 5xx, 429), or refused (other 4xx). */
#ifndef SABA_API_H
#define SABA_API_H

#include <jansson.h>

#include "http.h"

enum saba_api_status {
	SABA_API_OK = 0,
	SABA_API_RETRY,	    /* network error, 5xx, 429, unparsable answer */
	SABA_API_REFUSED,   /* 4xx other than 429 */
	SABA_API_NOT_FOUND, /* 404, kept apart: retire and host lookups care */
};

struct saba_api_result {
	int status;	  /* enum saba_api_status */
	long http_status; /* 0 on a transport error */
	int dry_run;	  /* --dry-run: nothing was sent (status is SABA_API_OK) */
	long retry_after; /* seconds, or -1 */
	char message[512];
	json_t *json;  /* parsed response body when OK, else NULL */
	int permanent; /* a RETRY no retry can cure (the settings): callers
			* that would give up anyway give up at once */
};

/* One request; body is stolen (may be NULL).  The message names the
 * request ("POST /api/v0/hosts: ...") and never contains the API key. */
int saba_api_call(struct saba_http *h, const char *method, const char *path, json_t *body,
		  int64_t deadline_ms, struct saba_api_result *r);
/* The same with the body as JSON text (may be NULL), not taken. */
int saba_api_call_text(struct saba_http *h, const char *method, const char *path, const char *text,
		       int64_t deadline_ms, struct saba_api_result *r);
void saba_api_result_clear(struct saba_api_result *r);

/* Every status a live host can have: GET /api/v0/hosts lists only working
 * and standby ones unless asked, and mackerel-agent asks for all four. */
#define SABA_API_LIVE_STATUSES "status=working&status=standby&status=maintenance&status=poweroff"

/* URL-encode a query component. */
char *saba_api_escape(const char *s);

#endif
