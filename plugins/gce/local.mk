# The gce plugin, for Google Compute Engine: identity, preemption and
# maintenance events from the metadata server, retire confirmation through
# the Compute Engine API (a pending delete operation), and the fleet sweeper.
# The pure readers and decisions are a convenience library shared with the
# CUnit test; the integration tests drive the real agent against the fake
# metadata service and cloud API (tests/plugins/gce/fakegce.py) and the fake
# Mackerel API, all on 127.0.0.1.
if BUILD_PLUGIN_GCE
noinst_LTLIBRARIES += plugins/gce/libsabagceclassify.la
plugins_gce_libsabagceclassify_la_SOURCES = plugins/gce/classify.c plugins/gce/classify.h
plugins_gce_libsabagceclassify_la_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS)

plugin_LTLIBRARIES += plugins/gce.la
plugins_gce_la_SOURCES = plugins/gce/gce.c plugins/gce/gce.h plugins/gce/metadata.c \
	plugins/gce/compute.c plugins/gce/sweep.c plugins/gce/sweep.h
plugins_gce_la_CFLAGS = $(AM_CFLAGS) $(CURL_CFLAGS) $(JANSSON_CFLAGS)
plugins_gce_la_LDFLAGS = $(PLUGIN_LDFLAGS)
plugins_gce_la_LIBADD = plugins/gce/libsabagceclassify.la plugins/lib/libsabacloud.la \
	$(CURL_LIBS) $(JANSSON_LIBS)

if HAVE_CUNIT
check_PROGRAMS += tests/plugins/gce/test_classify
TESTS += tests/plugins/gce/test_classify
tests_plugins_gce_test_classify_SOURCES = tests/plugins/gce/test_classify.c tests/lib/unit.h
tests_plugins_gce_test_classify_CPPFLAGS = $(UNIT_CPPFLAGS)
tests_plugins_gce_test_classify_CFLAGS = $(AM_CFLAGS) $(CUNIT_CFLAGS) $(JANSSON_CFLAGS)
tests_plugins_gce_test_classify_LDADD = plugins/gce/libsabagceclassify.la \
	plugins/lib/libsabacloud.la $(CUNIT_LIBS)
endif

TESTS += tests/integration/test_gce.py
endif
EXTRA_DIST += tests/plugins/gce/fakegce.py tests/integration/test_gce.py
