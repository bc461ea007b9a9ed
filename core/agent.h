/* `saba-agent run`: register, collect every interval, post, and on stop give
 * the triggers their say before flushing and exiting. */
#ifndef SABA_AGENT_H
#define SABA_AGENT_H

#include "commands.h"

int saba_agent_run(const struct saba_options *o);

#ifndef _WIN32
/* Block the signals run's signal thread takes (SIGTERM, SIGINT, SIGHUP),
 * in the calling thread and every thread it starts: done first thing, so
 * a stop is never lost nor the default action before that thread is up. */
void saba_agent_block_signals(void);
#endif

#endif
