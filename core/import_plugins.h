/* The plugin instances of an imported config: the built-in metrics
 * mackerel-agent always collects, the cloud identity, the shutdown trigger
 * standing in for AUTO_RETIREMENT, and every [plugin.metrics.*],
 * [plugin.checks.*] and [plugin.metadata.*]. */
#ifndef SABA_IMPORT_PLUGINS_H
#define SABA_IMPORT_PLUGINS_H

#include <libconfig.h>

#include "import_map.h"

/* Add `plugins = { ... }` to root.  http_proxy and https_proxy ("" when
 * unset) are the proxies mackerel-agent exported to its plugins. */
void saba_imp_build_plugins(struct saba_imp *m, config_setting_t *root, const char *http_proxy,
			    const char *https_proxy);

#endif
