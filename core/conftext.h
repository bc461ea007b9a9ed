/* The config file's text, checked before libconfig parses it. */
#ifndef SABA_CONFTEXT_H
#define SABA_CONFTEXT_H

/* Far above any real config; libconfig's scanner is quadratic in a line's
 * length, so anything near this size would take seconds to parse. */
#define SABA_CONF_MAX_BYTES (1024 * 1024)

/* The text of file (a regular file of at most SABA_CONF_MAX_BYTES, with no
 * integer libconfig would wrap), malloc'd; NULL when not, each problem
 * printed as FILE:LINE: message and counted in *problems. */
char *saba_conf_text_read(const char *file, int *problems);

/* The integer check alone, over a NUL-terminated text: the number of
 * problems printed. */
int saba_conf_text_check(const char *file, const char *text);

#endif
