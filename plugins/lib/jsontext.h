/* Building JSON text for spec_set() without a JSON library in the module. */
#ifndef SABA_JSONTEXT_H
#define SABA_JSONTEXT_H

#include <stddef.h>
#include <stdint.h>

struct saba_json {
	char *buf;
	size_t len, cap;
	int failed; /* out of memory: every later call is a no-op */
};

/* Append raw text. */
void saba_json_raw(struct saba_json *j, const char *s);
/* Append s as a JSON string: quoted, escaped, invalid UTF-8 as U+FFFD. */
void saba_json_str(struct saba_json *j, const char *s);
/* Append "<sep>\"key\":" (sep "," unless first). */
void saba_json_key(struct saba_json *j, const char *key, int first);
/* Append an unsigned integer. */
void saba_json_u64(struct saba_json *j, uint64_t v);
void saba_json_free(struct saba_json *j);

#endif
