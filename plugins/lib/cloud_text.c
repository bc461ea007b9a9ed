/* Text helpers for cloud answers; see cloud_text.h. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "cloud_text.h"

void saba_cloud_printable(const char *s, char *out, size_t len)
{
	size_t i = 0;

	if (len == 0)
		return;
	for (; s != NULL && *s != '\0' && i + 1 < len && i < 64; s++)
		out[i++] = isprint((unsigned char)*s) ? *s : '?';
	out[i] = '\0';
}

const char *saba_cloud_json_str(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

int saba_cloud_json_copy(json_t *o, const char *key, char *buf, size_t len)
{
	json_t *v = json_object_get(o, key);
	const char *s = json_string_value(v);

	buf[0] = '\0';
	if (v == NULL || json_is_null(v))
		return 0;
	if (s == NULL || strlen(s) >= len)
		return -1;
	memcpy(buf, s, strlen(s) + 1);
	return 0;
}

size_t saba_cloud_chomp(const char *s, size_t n)
{
	while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == '\r'))
		n--;
	return n;
}

const char *saba_cloud_last_segment(const char *s)
{
	const char *slash = strrchr(s, '/');

	return slash != NULL ? slash + 1 : s;
}

int saba_cloud_token_ok(const char *s, size_t max, const char *set)
{
	size_t n;

	if (s == NULL)
		return 0;
	n = strlen(s);
	return n > 0 && n <= max && strspn(s, set) == n;
}

void saba_cloud_api_error(long status, const char *body, size_t len, const char *code_key,
			  char *err, size_t err_len)
{
	json_t *doc = body != NULL ? json_loadb(body, len, 0, NULL) : NULL;
	json_t *e = json_object_get(doc, "error");
	char code[80] = "", msg[80] = "";

	if (json_is_object(e)) {
		saba_cloud_printable(saba_cloud_json_str(e, code_key), code, sizeof(code));
		saba_cloud_printable(saba_cloud_json_str(e, "message"), msg, sizeof(msg));
	} else {
		/* IMDS: {"error": "..."}; its token endpoint adds an OAuth
		 * error_description */
		saba_cloud_printable(json_string_value(e), code, sizeof(code));
		saba_cloud_printable(saba_cloud_json_str(doc, "error_description"), msg,
				     sizeof(msg));
		if (msg[0] == '\0') {
			memcpy(msg, code, sizeof(msg));
			code[0] = '\0';
		}
	}
	if (status < 0)
		snprintf(err, err_len, "no answer");
	else
		snprintf(err, err_len, "HTTP %ld%s%s%s%s", status, code[0] ? " " : "", code,
			 msg[0] ? ": " : "", msg);
	json_decref(doc);
}
