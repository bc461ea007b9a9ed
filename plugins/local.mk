# Built-in plugins, one module each.
if BUILD_PLUGIN_LOADAVG
plugin_LTLIBRARIES += plugins/loadavg.la
plugins_loadavg_la_SOURCES = plugins/loadavg.c
plugins_loadavg_la_LDFLAGS = $(PLUGIN_LDFLAGS)
endif

if BUILD_PLUGIN_MEMORY
plugin_LTLIBRARIES += plugins/memory.la
plugins_memory_la_SOURCES = plugins/memory.c
plugins_memory_la_LDFLAGS = $(PLUGIN_LDFLAGS)
endif
