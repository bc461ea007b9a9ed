/* Config readers for plugins: a convenience library linked into each module
 * that uses one, never into the agent. */
#ifndef SABA_PLUGCONF_H
#define SABA_PLUGCONF_H

#include <saba/plugin.h>

/* Read the integer setting key, which the plugin declares with a default
 * and a range inside int (so the agent has checked it), into *out.
 * Returns SABA_OK, or SABA_INVALID (*out untouched) when there is no value:
 * an agent older than plugin ABI 1.3, which supplies no default. */
int saba_plugconf_int(const struct saba_host *host, saba_ctx *ctx, const char *key, int *out);

#endif
