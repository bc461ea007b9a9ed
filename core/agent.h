/* `saba-agent run`: register, collect every interval, post, and on stop give
 * the triggers their say before flushing and exiting. */
#ifndef SABA_AGENT_H
#define SABA_AGENT_H

#include "commands.h"

int saba_agent_run(const struct saba_options *o);

#endif
