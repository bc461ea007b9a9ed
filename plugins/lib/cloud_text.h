/* Small text helpers the cloud plugins (ec2, gce, azure) share for what a
 * metadata service or a cloud API answered: untrusted text goes into log
 * lines and evidence only as a short printable copy. */
#ifndef SABA_CLOUD_TEXT_H
#define SABA_CLOUD_TEXT_H

#include <stddef.h>

#include <jansson.h>

/* A printable copy of at most 64 characters of s (NULL: ""); other bytes
 * become '?'. */
void saba_cloud_printable(const char *s, char *out, size_t len);

/* The string member key of o, or NULL when o is not an object or the member
 * is absent or not a string. */
const char *saba_cloud_json_str(json_t *o, const char *key);

/* The string member key of o into buf: 0 ("" when absent or null), or -1
 * when it is another type or does not fit. */
int saba_cloud_json_copy(json_t *o, const char *key, char *buf, size_t len);

/* s[0..n) with trailing CR and LF left off: its new length. */
size_t saba_cloud_chomp(const char *s, size_t n);

/* The text after the last '/' of s (all of s without one). */
const char *saba_cloud_last_segment(const char *s);

/* Does s consist of 1..max characters, each of them in set? */
int saba_cloud_token_ok(const char *s, size_t max, const char *set);

/* A cloud API's error answer, short, for the log: "HTTP 403 <code>:
 * <message>" from {"error": {code_key: ..., "message": ...}} (Compute
 * Engine's code_key is "status", ARM's "code"), from {"error": "..."}
 * (IMDS) or {"error": code, "error_description": message} (OAuth); "no
 * answer" for status -1. */
void saba_cloud_api_error(long status, const char *body, size_t len, const char *code_key,
			  char *err, size_t err_len);

#define SABA_CLOUD_LOWER_DIGITS "abcdefghijklmnopqrstuvwxyz0123456789"

#endif
