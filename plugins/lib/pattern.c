/* Pattern settings; see pattern.h. */
#include <stdio.h>
#include <stdlib.h>

#include "pattern.h"

int saba_regex_setting(const struct saba_host *host, saba_ctx *ctx, const char *key, regex_t **re)
{
	const char *pattern = NULL;
	char msg[256];
	regex_t *r;
	int rc;

	*re = NULL;
	/* absent: no pattern (the agent has checked the type) */
	rc = host->config_string(ctx, key, &pattern);
	if (rc != SABA_OK)
		return rc == SABA_NOTFOUND ? SABA_OK : SABA_INVALID;
	r = malloc(sizeof(*r));
	if (r == NULL) {
		host->log(ctx, SABA_LOG_ERR, "out of memory");
		return SABA_ERROR;
	}
	/* REG_NOSUB: only "does it match" is asked */
	rc = regcomp(r, pattern, REG_EXTENDED | REG_NOSUB);
	if (rc != 0) {
		regerror(rc, r, msg, sizeof(msg));
		host->config_error(ctx, key, "bad regex \"%s\": %s", pattern, msg);
		free(r);
		return SABA_INVALID;
	}
	*re = r;
	return SABA_OK;
}

int saba_regex_match(const regex_t *re, const char *s)
{
	return re != NULL && regexec(re, s, 0, NULL, 0) == 0;
}

void saba_regex_free(regex_t *re)
{
	if (re == NULL)
		return;
	regfree(re);
	free(re);
}
