/* (placeholder: filled in by its issue's work) */
#include <stdio.h>

#include "ec2_aws.h"

struct saba_aws *saba_aws_new(const struct saba_aws_config *cfg)
{
	(void)cfg;
	return NULL;
}

void saba_aws_free(struct saba_aws *a)
{
	(void)a;
}

int saba_ec2_describe(struct saba_aws *a, const char *const *ids, size_t n, int64_t deadline_ms,
		      saba_ec2_instance_fn fn, void *arg, char *err, size_t err_len)
{
	(void)a;
	(void)ids;
	(void)n;
	(void)deadline_ms;
	(void)fn;
	(void)arg;
	snprintf(err, err_len, "not implemented");
	return -1;
}
