# The loadavg plugin (/proc/loadavg).
if BUILD_PLUGIN_LOADAVG
plugin_LTLIBRARIES += plugins/loadavg.la
plugins_loadavg_la_SOURCES = plugins/loadavg/loadavg.c
plugins_loadavg_la_LDFLAGS = $(PLUGIN_LDFLAGS)
plugins_loadavg_la_LIBADD = plugins/lib/libsabaprocfs.la
endif
