# The azure plugin, for Azure VMs: identity and Scheduled Events from IMDS,
# retire confirmation through Azure Resource Manager (provisioningState
# Deleting), and the fleet sweeper.
# The pure readers and decisions are a convenience library shared with the
# CUnit test; the integration tests drive the real agent against the fake
# metadata service and cloud API (tests/plugins/azure/fakeazure.py) and the fake
# Mackerel API, all on 127.0.0.1.
if BUILD_PLUGIN_AZURE
noinst_LTLIBRARIES += plugins/azure/libsabaazureclassify.la
plugins_azure_libsabaazureclassify_la_SOURCES = plugins/azure/classify.c plugins/azure/classify.h
plugins_azure_libsabaazureclassify_la_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS)

plugin_LTLIBRARIES += plugins/azure.la
plugins_azure_la_SOURCES = plugins/azure/azure.c plugins/azure/azure.h plugins/azure/imds.c \
	plugins/azure/arm.c plugins/azure/sweep.c plugins/azure/sweep.h
plugins_azure_la_CFLAGS = $(AM_CFLAGS) $(CURL_CFLAGS) $(JANSSON_CFLAGS)
plugins_azure_la_LDFLAGS = $(PLUGIN_LDFLAGS)
plugins_azure_la_LIBADD = plugins/azure/libsabaazureclassify.la plugins/lib/libsabacloud.la \
	$(CURL_LIBS) $(JANSSON_LIBS)

if HAVE_CUNIT
check_PROGRAMS += tests/plugins/azure/test_classify
TESTS += tests/plugins/azure/test_classify
tests_plugins_azure_test_classify_SOURCES = tests/plugins/azure/test_classify.c tests/lib/unit.h
tests_plugins_azure_test_classify_CPPFLAGS = $(UNIT_CPPFLAGS)
tests_plugins_azure_test_classify_CFLAGS = $(AM_CFLAGS) $(CUNIT_CFLAGS) $(JANSSON_CFLAGS)
tests_plugins_azure_test_classify_LDADD = plugins/azure/libsabaazureclassify.la \
	plugins/lib/libsabacloud.la $(CUNIT_LIBS)
endif

TESTS += tests/integration/test_azure.py
endif
EXTRA_DIST += tests/plugins/azure/fakeazure.py tests/integration/test_azure.py
