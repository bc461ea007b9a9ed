# The gce plugin, for Google Compute Engine: identity, preemption and
# maintenance events from the metadata server, retire confirmation through
# the Compute Engine API (a pending delete operation), and the fleet sweeper.
# Built, tested and fuzzed as every cloud plugin is (plugins/lib/local.mk):
# the pure readers and decisions are a convenience library shared with the
# CUnit test and the fuzz target (tests/fuzz/fuzz_gce.c); the integration
# test drives the real agent against the fake metadata server and Compute
# Engine API (tests/plugins/gce/fakegce.py) and the fake Mackerel API.
if BUILD_PLUGIN_GCE
noinst_LTLIBRARIES += plugins/gce/libsabagceclassify.la
plugins_gce_libsabagceclassify_la_SOURCES = plugins/gce/classify.c plugins/gce/classify.h
plugins_gce_libsabagceclassify_la_CFLAGS = $(CLOUD_CLASSIFY_CFLAGS)

plugin_LTLIBRARIES += plugins/gce.la
plugins_gce_la_SOURCES = plugins/gce/gce.c plugins/gce/gce.h plugins/gce/metadata.c \
	plugins/gce/compute.c plugins/gce/sweep.c plugins/gce/sweep.h
plugins_gce_la_CFLAGS = $(CLOUD_PLUGIN_CFLAGS)
plugins_gce_la_LDFLAGS = $(PLUGIN_LDFLAGS)
plugins_gce_la_LIBADD = plugins/gce/libsabagceclassify.la $(CLOUD_PLUGIN_LIBADD)

if HAVE_CUNIT
check_PROGRAMS += tests/plugins/gce/test_classify
TESTS += tests/plugins/gce/test_classify
tests_plugins_gce_test_classify_SOURCES = tests/plugins/gce/test_classify.c tests/lib/unit.h
tests_plugins_gce_test_classify_CPPFLAGS = $(UNIT_CPPFLAGS)
tests_plugins_gce_test_classify_CFLAGS = $(CLOUD_CLASSIFY_CFLAGS) $(CUNIT_CFLAGS)
tests_plugins_gce_test_classify_LDADD = plugins/gce/libsabagceclassify.la $(CLOUD_TEST_LDADD)
endif

TESTS += tests/integration/test_gce.py
FUZZ_NAMES += gce
FUZZ_BINS += $(FUZZ_OUT)/fuzz_gce
FUZZ_RUNS += fuzz-run-gce
FUZZ_HARNESS_SRC += tests/fuzz/fuzz_gce.c
if !SABA_WINDOWS
check_PROGRAMS += tests/fuzz/replay_gce
TESTS += tests/fuzz/replay_gce
tests_fuzz_replay_gce_SOURCES = tests/fuzz/fuzz_gce.c $(FUZZ_CLOUD_SOURCES)
tests_fuzz_replay_gce_CPPFLAGS = $(FUZZ_CPPFLAGS) -DFUZZ_NAME='"gce"'
tests_fuzz_replay_gce_CFLAGS = $(FUZZ_REPLAY_CFLAGS)
tests_fuzz_replay_gce_LDADD = plugins/gce/libsabagceclassify.la $(FUZZ_CLOUD_LDADD)
tests_fuzz_replay_gce_LDFLAGS = $(FUZZ_REPLAY_LINK_FLAGS)
endif
endif
EXTRA_DIST += tests/plugins/gce/fakegce.py tests/integration/test_gce.py
