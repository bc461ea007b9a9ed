/* (placeholder: filled in by its issue's work) */
#include <stdio.h>

#include "ec2_imds.h"

struct saba_imds *saba_imds_new(const char *endpoint, long timeout_ms)
{
	(void)endpoint;
	(void)timeout_ms;
	return NULL;
}

void saba_imds_free(struct saba_imds *m)
{
	(void)m;
}

long saba_imds_get(struct saba_imds *m, const char *path, char **body, char *err, size_t err_len)
{
	(void)m;
	(void)path;
	*body = NULL;
	snprintf(err, err_len, "not implemented");
	return -1;
}
