/* Pattern settings with PCRE2; see pattern.h. */
#define PCRE2_CODE_UNIT_WIDTH 8

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include <pcre2.h>

#include "pattern.h"

/* Steps one match may take: Go's regexp never backtracks, PCRE2 may, and a
 * pattern such as (a+)+$ must not stall a collection.  (No JIT: names are
 * short, and the interpreter needs no writable executable memory, which
 * MemoryDenyWriteExecute= forbids.) */
#define SABA_PATTERN_MATCH_LIMIT 1000000

struct saba_regex {
	pcre2_code *code;
	pcre2_match_context *mctx;
	pthread_mutex_t lock; /* md is one match's scratch space */
	pcre2_match_data *md;
};

void saba_regex_free(struct saba_regex *re)
{
	if (re == NULL)
		return;
	pcre2_match_data_free(re->md);
	pcre2_match_context_free(re->mctx);
	pcre2_code_free(re->code);
	pthread_mutex_destroy(&re->lock);
	free(re);
}

int saba_regex_compile(const char *pattern, struct saba_regex **out, char *err, size_t errlen)
{
	/* Go's semantics where PCRE2's defaults differ: $ is the end of the
	 * text only; UTF-8 text, invalid bytes simply not matching; \d, \w,
	 * \s and \b ASCII (no PCRE2_UCP); no \C splitting a character. */
	const uint32_t opts = PCRE2_UTF | PCRE2_MATCH_INVALID_UTF | PCRE2_DOLLAR_ENDONLY |
			      PCRE2_NEVER_BACKSLASH_C;
	struct saba_regex *re = calloc(1, sizeof(*re));
	PCRE2_SIZE offset = 0;
	int code = 0;

	*out = NULL;
	if (re == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	pthread_mutex_init(&re->lock, NULL);
	re->code = pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED, opts, &code, &offset,
				 NULL);
	if (re->code == NULL) {
		PCRE2_UCHAR msg[256];

		pcre2_get_error_message(code, msg, sizeof(msg));
		snprintf(err, errlen, "invalid regular expression \"%s\" at offset %zu: %s",
			 pattern, (size_t)offset, (const char *)msg);
		saba_regex_free(re);
		return -1;
	}
	re->mctx = pcre2_match_context_create(NULL);
	re->md = pcre2_match_data_create_from_pattern(re->code, NULL);
	if (re->mctx == NULL || re->md == NULL) {
		snprintf(err, errlen, "out of memory");
		saba_regex_free(re);
		return -1;
	}
	pcre2_set_match_limit(re->mctx, SABA_PATTERN_MATCH_LIMIT);
	*out = re;
	return 0;
}

int saba_regex_setting(const struct saba_host *host, saba_ctx *ctx, const char *key,
		       struct saba_regex **re)
{
	const char *pattern = NULL;
	char err[512];
	int rc;

	*re = NULL;
	/* absent: no pattern (the agent has checked the type) */
	rc = host->config_string(ctx, key, &pattern);
	if (rc != SABA_OK)
		return rc == SABA_NOTFOUND ? SABA_OK : SABA_INVALID;
	if (saba_regex_compile(pattern, re, err, sizeof(err)) != 0) {
		host->config_error(ctx, key, "%s", err);
		return SABA_INVALID;
	}
	return SABA_OK;
}

int saba_regex_match(struct saba_regex *re, const char *s)
{
	int rc;

	if (re == NULL)
		return 0;
	pthread_mutex_lock(&re->lock);
	rc = pcre2_match(re->code, (PCRE2_SPTR)s, PCRE2_ZERO_TERMINATED, 0, 0, re->md, re->mctx);
	pthread_mutex_unlock(&re->lock);
	/* no match, or PCRE2 gave up (the match limit): not a match */
	return rc >= 0;
}
