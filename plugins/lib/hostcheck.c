/* The own-host check of the cloud plugins; see hostcheck.h. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "hostcheck.h"

/* A short, printable copy of the answer's text for the evidence line. */
static void saba_hostcheck_printable(const char *s, char *out, size_t len)
{
	size_t i = 0;

	for (; s != NULL && *s != '\0' && i + 1 < len && i < 64; s++)
		out[i++] = isprint((unsigned char)*s) ? *s : '?';
	out[i] = '\0';
}

int saba_host_matches(long status, const char *body, size_t body_len, const char *want_ci,
		      char *evidence, size_t len)
{
	json_t *doc = NULL, *host;
	const char *ci, *id;
	char shown[80], shown_id[80];
	int ok = 0;

	if (status < 0) {
		snprintf(evidence, len, "the Mackerel API did not answer");
		return 0;
	}
	if (status != 200) {
		snprintf(evidence, len, "the Mackerel API answered HTTP %ld", status);
		return 0;
	}
	if (body != NULL)
		doc = json_loadb(body, body_len, 0, NULL);
	host = json_object_get(doc, "host");
	if (!json_is_object(host)) {
		snprintf(evidence, len, "the Mackerel API's answer has no host object");
		goto out;
	}
	id = json_string_value(json_object_get(host, "id"));
	ci = json_string_value(json_object_get(host, "customIdentifier"));
	saba_hostcheck_printable(id != NULL ? id : "?", shown_id, sizeof(shown_id));
	if (json_is_true(json_object_get(host, "isRetired"))) {
		snprintf(evidence, len, "host %s is already retired", shown_id);
		goto out;
	}
	if (ci == NULL || want_ci == NULL || strcmp(ci, want_ci) != 0) {
		saba_hostcheck_printable(ci != NULL ? ci : "(none)", shown, sizeof(shown));
		snprintf(evidence, len, "host %s has customIdentifier %s, not %s", shown_id, shown,
			 want_ci != NULL ? want_ci : "(unknown)");
		goto out;
	}
	snprintf(evidence, len, "host %s has customIdentifier %s", shown_id, ci);
	ok = 1;
out:
	json_decref(doc);
	return ok;
}
