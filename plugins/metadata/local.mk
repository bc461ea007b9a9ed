# The metadata plugin: mackerel-agent's metadata plugins (a command's JSON
# as host metadata), linked with the command runner in plugins/lib/, and its
# integration test against the fake API.
if BUILD_PLUGIN_METADATA
plugin_LTLIBRARIES += plugins/metadata.la
plugins_metadata_la_SOURCES = plugins/metadata/metadata.c
plugins_metadata_la_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS)
plugins_metadata_la_LDFLAGS = $(PLUGIN_LDFLAGS)
plugins_metadata_la_LIBADD = plugins/lib/libsabacommand.la $(JANSSON_LIBS)

TESTS += tests/integration/test_metadata.py
endif
EXTRA_DIST += tests/integration/test_metadata.py
