/* The function table the agent hands every plugin instance. */
#ifndef SABA_HOST_API_H
#define SABA_HOST_API_H

#include <saba/plugin.h>

const struct saba_host *saba_host_table(void);

#endif
