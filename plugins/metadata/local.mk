# The metadata plugin: mackerel-agent's metadata plugins (a command's JSON
# as host metadata), linked with the command runner.
if BUILD_PLUGIN_METADATA
plugin_LTLIBRARIES += plugins/metadata.la
plugins_metadata_la_SOURCES = plugins/metadata/metadata.c
plugins_metadata_la_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/plugins
plugins_metadata_la_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS)
plugins_metadata_la_LDFLAGS = $(PLUGIN_LDFLAGS)
plugins_metadata_la_LIBADD = plugins/libsabacommand.la $(JANSSON_LIBS)
endif
