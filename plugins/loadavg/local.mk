# The loadavg plugin (/proc/loadavg) and its tests through the fake host on
# the fixtures in tests/data/proc-*.
if BUILD_PLUGIN_LOADAVG
plugin_LTLIBRARIES += plugins/loadavg.la
plugins_loadavg_la_SOURCES = plugins/loadavg/loadavg.c
plugins_loadavg_la_LDFLAGS = $(PLUGIN_LDFLAGS)
plugins_loadavg_la_LIBADD = $(SABA_METRIC_LIBADD)

if HAVE_CUNIT
check_PROGRAMS += tests/plugins/loadavg/test_loadavg
TESTS += tests/plugins/loadavg/test_loadavg
tests_plugins_loadavg_test_loadavg_SOURCES = tests/plugins/loadavg/test_loadavg.c $(PLUGTEST_SOURCES)
tests_plugins_loadavg_test_loadavg_CPPFLAGS = $(UNIT_CPPFLAGS)
tests_plugins_loadavg_test_loadavg_CFLAGS = $(UNIT_CFLAGS) $(SABA_TEST_CFLAGS)
tests_plugins_loadavg_test_loadavg_LDADD = $(SABA_TEST_LIBS) $(UNIT_LDADD)
tests_plugins_loadavg_test_loadavg_LDFLAGS = $(SABA_TEST_LINK_FLAGS)
endif
endif

# Its fuzz target (tests/fuzz/fuzz_loadavg.c, <procfs>/loadavg): make fuzz runs it,
# make check replays its corpus (tests/fuzz/local.mk).
FUZZ_NAMES += loadavg
FUZZ_BINS += $(FUZZ_OUT)/fuzz_loadavg
FUZZ_RUNS += fuzz-run-loadavg
FUZZ_HARNESS_SRC += tests/fuzz/fuzz_loadavg.c plugins/loadavg/loadavg.c
if !SABA_WINDOWS
check_PROGRAMS += tests/fuzz/replay_loadavg
TESTS += tests/fuzz/replay_loadavg
tests_fuzz_replay_loadavg_SOURCES = tests/fuzz/fuzz_loadavg.c $(FUZZ_REPLAY_SOURCES)
tests_fuzz_replay_loadavg_CPPFLAGS = $(FUZZ_CPPFLAGS) -DFUZZ_NAME='"loadavg"'
tests_fuzz_replay_loadavg_CFLAGS = $(FUZZ_REPLAY_CFLAGS)
tests_fuzz_replay_loadavg_LDADD = $(FUZZ_PLUGIN_LDADD)
tests_fuzz_replay_loadavg_LDFLAGS = $(FUZZ_REPLAY_LINK_FLAGS)
endif
