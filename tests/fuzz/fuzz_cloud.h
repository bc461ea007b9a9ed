/* What the cloud plugins' fuzz targets (fuzz_gce.c, fuzz_azure.c) share:
 * the token and error readers of plugins/lib, and the rule that evidence
 * is one printable line. */
#ifndef SABA_TESTS_FUZZ_CLOUD_H
#define SABA_TESTS_FUZZ_CLOUD_H

/* Abort unless s is one printable line (what names it). */
void fuzz_printable(const char *what, const char *s);

/* The token reader over token_text (never an unusable token) and the error
 * reader over error_text with code_key (one printable line). */
void fuzz_cloud_answers(const char *token_text, const char *error_text, const char *code_key);

#endif
