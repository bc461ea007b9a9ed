/*
 * Test plugin "no_entry": a shared object that exports a symbol, but not
 * saba_plugin_entry.  The agent must refuse it with a clear message.
 */
#include <saba/plugin.h>

SABA_PLUGIN_EXPORT int saba_not_the_entry(void);

SABA_PLUGIN_EXPORT int saba_not_the_entry(void)
{
	return 0;
}
