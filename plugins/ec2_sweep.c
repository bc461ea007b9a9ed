/* (placeholder: filled in by its issue's work) */
#include "ec2_sweep.h"

struct saba_sweep *saba_sweep_new(const struct saba_sweep_config *cfg)
{
	(void)cfg;
	return NULL;
}

int saba_sweep_start(struct saba_sweep *s)
{
	(void)s;
	return SABA_ERROR;
}

void saba_sweep_stop(struct saba_sweep *s)
{
	(void)s;
}

void saba_sweep_free(struct saba_sweep *s)
{
	(void)s;
}
