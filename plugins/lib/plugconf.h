/* Config readers for plugins: a convenience library linked into each module
 * that uses one, never into the agent. */
#ifndef SABA_PLUGCONF_H
#define SABA_PLUGCONF_H

#include <saba/plugin.h>

/* Read the integer setting key into *out: def when absent, else its value,
 * which must lie in min..max (def too).  Out of range: config_error names
 * the key ("must be between MIN and MAX, not V"); a wrong type is already
 * reported by the agent.  Returns SABA_OK or SABA_INVALID (*out untouched). */
int saba_plugconf_int_range(const struct saba_host *host, saba_ctx *ctx, const char *key, int def,
			    int min, int max, int *out);

#endif
