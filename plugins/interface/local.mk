# The interface plugin: network traffic (/proc/net/dev), and its tests through the fake host on
# fixtures in tests/data/.
if BUILD_PLUGIN_INTERFACE
plugin_LTLIBRARIES += plugins/interface.la
plugins_interface_la_SOURCES = plugins/interface/interface.c
plugins_interface_la_LDFLAGS = $(PLUGIN_LDFLAGS)
plugins_interface_la_LIBADD = $(SABA_METRIC_LIBADD) plugins/lib/libsabapattern.la

if HAVE_CUNIT
check_PROGRAMS += tests/plugins/interface/test_interface
TESTS += tests/plugins/interface/test_interface
tests_plugins_interface_test_interface_SOURCES = tests/plugins/interface/test_interface.c $(PLUGTEST_SOURCES)
tests_plugins_interface_test_interface_CPPFLAGS = $(UNIT_CPPFLAGS)
tests_plugins_interface_test_interface_CFLAGS = $(UNIT_CFLAGS) $(SABA_TEST_CFLAGS)
tests_plugins_interface_test_interface_LDADD = $(SABA_TEST_LIBS) $(UNIT_LDADD)
tests_plugins_interface_test_interface_LDFLAGS = $(SABA_TEST_LINK_FLAGS)
endif
endif

# Its fuzz target (tests/fuzz/fuzz_interface.c, <procfs>/net/dev): make fuzz runs it,
# make check replays its corpus (tests/fuzz/local.mk).
# (with PCRE2, as the plugin: its regex settings)
if HAVE_PCRE2
FUZZ_NAMES += interface
FUZZ_BINS += $(FUZZ_OUT)/fuzz_interface
FUZZ_RUNS += fuzz-run-interface
FUZZ_HARNESS_SRC += tests/fuzz/fuzz_interface.c plugins/interface/interface.c
if !SABA_WINDOWS
check_PROGRAMS += tests/fuzz/replay_interface
TESTS += tests/fuzz/replay_interface
tests_fuzz_replay_interface_SOURCES = tests/fuzz/fuzz_interface.c $(FUZZ_REPLAY_SOURCES)
tests_fuzz_replay_interface_CPPFLAGS = $(FUZZ_CPPFLAGS) -DFUZZ_NAME='"interface"'
tests_fuzz_replay_interface_CFLAGS = $(FUZZ_REPLAY_CFLAGS)
tests_fuzz_replay_interface_LDADD = $(FUZZ_PATTERN_LDADD)
tests_fuzz_replay_interface_LDFLAGS = $(FUZZ_REPLAY_LINK_FLAGS)
endif
endif
