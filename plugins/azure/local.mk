# The azure plugin, for Azure VMs: identity and Scheduled Events from IMDS,
# retire confirmation through Azure Resource Manager (provisioningState
# Deleting), and the fleet sweeper.
# Built, tested and fuzzed as every cloud plugin is (plugins/lib/local.mk):
# the pure readers and decisions are a convenience library shared with the
# CUnit test and the fuzz target (tests/fuzz/fuzz_azure.c); the integration
# test drives the real agent against the fake IMDS and Resource Manager
# (tests/plugins/azure/fakeazure.py) and the fake Mackerel API.
if BUILD_PLUGIN_AZURE
noinst_LTLIBRARIES += plugins/azure/libsabaazureclassify.la
plugins_azure_libsabaazureclassify_la_SOURCES = plugins/azure/classify.c plugins/azure/classify.h
plugins_azure_libsabaazureclassify_la_CFLAGS = $(CLOUD_CLASSIFY_CFLAGS)

plugin_LTLIBRARIES += plugins/azure.la
plugins_azure_la_SOURCES = plugins/azure/azure.c plugins/azure/azure.h plugins/azure/imds.c \
	plugins/azure/arm.c plugins/azure/sweep.c plugins/azure/sweep.h
plugins_azure_la_CFLAGS = $(CLOUD_PLUGIN_CFLAGS)
plugins_azure_la_LDFLAGS = $(PLUGIN_LDFLAGS)
plugins_azure_la_LIBADD = plugins/azure/libsabaazureclassify.la $(CLOUD_PLUGIN_LIBADD)

if HAVE_CUNIT
check_PROGRAMS += tests/plugins/azure/test_classify
TESTS += tests/plugins/azure/test_classify
tests_plugins_azure_test_classify_SOURCES = tests/plugins/azure/test_classify.c tests/lib/unit.h
tests_plugins_azure_test_classify_CPPFLAGS = $(UNIT_CPPFLAGS)
tests_plugins_azure_test_classify_CFLAGS = $(CLOUD_CLASSIFY_CFLAGS) $(CUNIT_CFLAGS)
tests_plugins_azure_test_classify_LDADD = plugins/azure/libsabaazureclassify.la $(CLOUD_TEST_LDADD)
endif

TESTS += tests/integration/test_azure.py
FUZZ_NAMES += azure
FUZZ_BINS += $(FUZZ_OUT)/fuzz_azure
FUZZ_RUNS += fuzz-run-azure
FUZZ_HARNESS_SRC += tests/fuzz/fuzz_azure.c
if !SABA_WINDOWS
check_PROGRAMS += tests/fuzz/replay_azure
TESTS += tests/fuzz/replay_azure
tests_fuzz_replay_azure_SOURCES = tests/fuzz/fuzz_azure.c $(FUZZ_CLOUD_SOURCES)
tests_fuzz_replay_azure_CPPFLAGS = $(FUZZ_CPPFLAGS) -DFUZZ_NAME='"azure"'
tests_fuzz_replay_azure_CFLAGS = $(FUZZ_REPLAY_CFLAGS)
tests_fuzz_replay_azure_LDADD = plugins/azure/libsabaazureclassify.la $(FUZZ_CLOUD_LDADD)
tests_fuzz_replay_azure_LDFLAGS = $(FUZZ_REPLAY_LINK_FLAGS)
endif
endif
EXTRA_DIST += tests/plugins/azure/fakeazure.py tests/integration/test_azure.py
