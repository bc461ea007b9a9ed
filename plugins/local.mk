# Built-in plugins, one module each.  Helpers shared by several plugins are a
# convenience library linked into each module (never into the agent).
noinst_LTLIBRARIES += plugins/libsabaprocfs.la
plugins_libsabaprocfs_la_SOURCES = plugins/procfs.c plugins/procfs.h

# Shared by the shutdown triggers: stop kind names, the retire_on setting.
noinst_LTLIBRARIES += plugins/libsabatrigger.la
plugins_libsabatrigger_la_SOURCES = plugins/retire_on.c plugins/retire_on.h

# Config readers for plugins (ec2, windows_scm): a ranged integer setting.
noinst_LTLIBRARIES += plugins/libsabaplugconf.la
plugins_libsabaplugconf_la_SOURCES = plugins/plugconf.c plugins/plugconf.h

if BUILD_PLUGIN_LOADAVG
plugin_LTLIBRARIES += plugins/loadavg.la
plugins_loadavg_la_SOURCES = plugins/loadavg.c
plugins_loadavg_la_LDFLAGS = $(PLUGIN_LDFLAGS)
plugins_loadavg_la_LIBADD = plugins/libsabaprocfs.la
endif

if BUILD_PLUGIN_DIAGNOSTIC
plugin_LTLIBRARIES += plugins/diagnostic.la
plugins_diagnostic_la_SOURCES = plugins/diagnostic.c
plugins_diagnostic_la_LDFLAGS = $(PLUGIN_LDFLAGS)
endif

if BUILD_PLUGIN_MEMORY
plugin_LTLIBRARIES += plugins/memory.la
plugins_memory_la_SOURCES = plugins/memory.c
plugins_memory_la_LDFLAGS = $(PLUGIN_LDFLAGS)
plugins_memory_la_LIBADD = plugins/libsabaprocfs.la
endif
