#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "util.h"

void saba_api_result_clear(struct saba_api_result *r)
{
	json_decref(r->json);
	memset(r, 0, sizeof(*r));
	r->retry_after = -1;
}

/* The API's own words when it sent {"error":{"message":...}} (or a string
 * "error"); else the start of the body if it is printable text. */
static void saba_api_message(const struct saba_http_result *hr, char *buf, size_t len)
{
	json_t *j = hr->body != NULL ? json_loads(hr->body, 0, NULL) : NULL;
	json_t *e = json_object_get(j, "error");
	const char *msg = NULL;

	if (json_is_object(e))
		msg = json_string_value(json_object_get(e, "message"));
	else if (json_is_string(e))
		msg = json_string_value(e);
	if (msg != NULL) {
		snprintf(buf, len, "%s", msg);
	} else if (hr->body != NULL && hr->len > 0) {
		size_t i, n = hr->len < 80 ? hr->len : 80;

		for (i = 0; i < n && i + 1 < len; i++)
			buf[i] = (hr->body[i] >= 0x20 && hr->body[i] < 0x7f) ? hr->body[i] : ' ';
		buf[i] = '\0';
	} else {
		snprintf(buf, len, "empty response");
	}
	json_decref(j);
}

/* The message goes into one log line: what the answer put in it (the
 * API's own words, the JSON parser's quote of the body) must not break the
 * line or forge others. */
static void saba_api_printable(char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = ' ';
}

int saba_api_call(struct saba_http *h, const char *method, const char *path, json_t *body,
		  int64_t deadline_ms, struct saba_api_result *r)
{
	char *text = NULL;
	int status;

	if (body != NULL)
		text = json_dumps(body, JSON_COMPACT | JSON_ENCODE_ANY | JSON_REAL_PRECISION(15));
	status = saba_api_call_text(h, method, path, text, deadline_ms, r);
	free(text);
	json_decref(body);
	return status;
}

int saba_api_call_text(struct saba_http *h, const char *method, const char *path, const char *text,
		       int64_t deadline_ms, struct saba_api_result *r)
{
	struct saba_http_result hr = {.retry_after = -1};
	char detail[300];
	json_error_t jerr;

	saba_api_result_clear(r);
	if (saba_http_do(h, method, path, text, deadline_ms, &hr) != 0) {
		r->status = SABA_API_RETRY;
		r->permanent = hr.permanent;
		snprintf(r->message, sizeof(r->message), "%s %s: %s%s", method, path, hr.error,
			 hr.permanent ? " (check apibase, http.proxy and http.ca_file)" : "");
		goto out;
	}
	r->http_status = hr.status;
	r->retry_after = hr.retry_after;
	if (hr.dry_run) {
		r->dry_run = 1;
		r->status = SABA_API_OK;
		r->json = json_object();
		goto out;
	}
	if (hr.status >= 200 && hr.status < 300) {
		r->json = hr.body != NULL && hr.len > 0 ? json_loads(hr.body, 0, &jerr) : NULL;
		if (r->json == NULL && hr.len > 0) {
			/* A garbled answer may be a proxy or a glitch: retry. */
			r->status = SABA_API_RETRY;
			snprintf(r->message, sizeof(r->message),
				 "%s %s: HTTP %ld with a response that is not JSON (%s)", method,
				 path, hr.status, jerr.text);
			goto out;
		}
		if (r->json == NULL)
			r->json = json_object();
		r->status = SABA_API_OK;
		goto out;
	}
	saba_api_message(&hr, detail, sizeof(detail));
	snprintf(r->message, sizeof(r->message), "%s %s: HTTP %ld: %s", method, path, hr.status,
		 detail);
	if (hr.status == 404)
		r->status = SABA_API_NOT_FOUND;
	else if (hr.status >= 400 && hr.status < 500 && hr.status != 429)
		r->status = SABA_API_REFUSED;
	else
		r->status = SABA_API_RETRY;
out:
	saba_api_printable(r->message);
	saba_http_result_clear(&hr);
	return r->status;
}

char *saba_api_escape(const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	char *out = saba_calloc(strlen(s) * 3 + 1, 1), *p = out;

	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '_' || c == '.' || c == '~') {
			*p++ = (char)c;
		} else {
			*p++ = '%';
			*p++ = hex[c >> 4];
			*p++ = hex[c & 15];
		}
	}
	return out;
}
