/* Pattern settings; see pattern.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef _WIN32
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#else
#include <regex.h>
#endif

#include "pattern.h"

struct saba_regex {
#ifdef _WIN32
	pcre2_code *code;
#else
	regex_t re;
#endif
};

/* Compile pattern into r; a message in msg when it is bad. */
static int saba_regex_compile(struct saba_regex *r, const char *pattern, char *msg, size_t len)
{
#ifdef _WIN32
	PCRE2_UCHAR text[200];
	PCRE2_SIZE offset = 0;
	int e = 0;

	/* UTF: patterns and names are UTF-8 */
	r->code = pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED, PCRE2_UTF, &e, &offset,
				NULL);
	if (r->code != NULL)
		return 0;
	pcre2_get_error_message(e, text, sizeof(text));
	snprintf(msg, len, "%s at offset %zu", (const char *)text, (size_t)offset);
	return -1;
#else
	/* REG_NOSUB: only "does it match" is asked */
	int e = regcomp(&r->re, pattern, REG_EXTENDED | REG_NOSUB);

	if (e == 0)
		return 0;
	regerror(e, &r->re, msg, len);
	return -1;
#endif
}

int saba_regex_setting(const struct saba_host *host, saba_ctx *ctx, const char *key,
		       struct saba_regex **re)
{
	const char *pattern = NULL;
	char msg[256];
	struct saba_regex *r;
	int rc;

	*re = NULL;
	/* absent: no pattern (the agent has checked the type) */
	rc = host->config_string(ctx, key, &pattern);
	if (rc != SABA_OK)
		return rc == SABA_NOTFOUND ? SABA_OK : SABA_INVALID;
	r = calloc(1, sizeof(*r));
	if (r == NULL) {
		host->log(ctx, SABA_LOG_ERR, "out of memory");
		return SABA_ERROR;
	}
	if (saba_regex_compile(r, pattern, msg, sizeof(msg)) != 0) {
		host->config_error(ctx, key, "bad regex \"%s\": %s", pattern, msg);
		free(r);
		return SABA_INVALID;
	}
	*re = r;
	return SABA_OK;
}

int saba_regex_match(const struct saba_regex *re, const char *s)
{
#ifdef _WIN32
	pcre2_match_data *md;
	int rc;

	if (re == NULL)
		return 0;
	md = pcre2_match_data_create(1, NULL);
	if (md == NULL)
		return 0;
	/* UTF-checked: a name that is not valid UTF-8 matches nothing */
	rc = pcre2_match(re->code, (PCRE2_SPTR)s, strlen(s), 0, 0, md, NULL);
	pcre2_match_data_free(md);
	return rc >= 0;
#else
	return re != NULL && regexec(&re->re, s, 0, NULL, 0) == 0;
#endif
}

void saba_regex_free(struct saba_regex *re)
{
	if (re == NULL)
		return;
#ifdef _WIN32
	pcre2_code_free(re->code);
#else
	regfree(&re->re);
#endif
	free(re);
}
