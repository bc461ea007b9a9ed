/* The cloud fuzz targets' shared checks; see fuzz_cloud.h. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "fuzz_cloud.h"
#include "plugins/lib/cloud_text.h"
#include "plugins/lib/cloud_token.h"

void fuzz_printable(const char *what, const char *s)
{
	for (const char *p = s; *p != '\0'; p++)
		if (!isprint((unsigned char)*p))
			fuzz_fail("%s is not one printable line: \"%s\"", what, s);
}

void fuzz_cloud_answers(const char *token_text, const char *error_text, const char *code_key)
{
	char err[256] = "", *token = NULL;
	long expires = 0;

	if (saba_cloud_token_parse(token_text, strlen(token_text), &token, &expires, err,
				   sizeof(err)) == 0) {
		if (token[0] == '\0' || strpbrk(token, " \r\n:") != NULL || expires < 0)
			fuzz_fail("an unusable token was taken");
		free(token);
	} else {
		fuzz_printable("the token error", err);
	}
	saba_cloud_api_error(403, error_text, strlen(error_text), code_key, err, sizeof(err));
	fuzz_printable("the API error", err);
}
