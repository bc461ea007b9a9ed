# The memory plugin (/proc/meminfo, and meta.memory) and its tests through
# the fake host on the fixtures in tests/data/proc-*.
if BUILD_PLUGIN_MEMORY
plugin_LTLIBRARIES += plugins/memory.la
plugins_memory_la_SOURCES = plugins/memory/memory.c
plugins_memory_la_LDFLAGS = $(PLUGIN_LDFLAGS)
plugins_memory_la_LIBADD = $(SABA_METRIC_LIBADD)

if HAVE_CUNIT
check_PROGRAMS += tests/plugins/memory/test_memory
TESTS += tests/plugins/memory/test_memory
tests_plugins_memory_test_memory_SOURCES = tests/plugins/memory/test_memory.c $(PLUGTEST_SOURCES)
tests_plugins_memory_test_memory_CPPFLAGS = $(UNIT_CPPFLAGS)
tests_plugins_memory_test_memory_CFLAGS = $(UNIT_CFLAGS) $(SABA_TEST_CFLAGS)
tests_plugins_memory_test_memory_LDADD = $(SABA_TEST_LIBS) $(UNIT_LDADD)
tests_plugins_memory_test_memory_LDFLAGS = $(SABA_TEST_LINK_FLAGS)
endif
endif

# Its fuzz target (tests/fuzz/fuzz_memory.c, <procfs>/meminfo): make fuzz runs it,
# make check replays its corpus (tests/fuzz/local.mk).
FUZZ_NAMES += memory
FUZZ_BINS += $(FUZZ_OUT)/fuzz_memory
FUZZ_RUNS += fuzz-run-memory
FUZZ_HARNESS_SRC += tests/fuzz/fuzz_memory.c plugins/memory/memory.c
if !SABA_WINDOWS
check_PROGRAMS += tests/fuzz/replay_memory
TESTS += tests/fuzz/replay_memory
tests_fuzz_replay_memory_SOURCES = tests/fuzz/fuzz_memory.c $(FUZZ_REPLAY_SOURCES)
tests_fuzz_replay_memory_CPPFLAGS = $(FUZZ_CPPFLAGS) -DFUZZ_NAME='"memory"'
tests_fuzz_replay_memory_CFLAGS = $(FUZZ_REPLAY_CFLAGS)
tests_fuzz_replay_memory_LDADD = $(FUZZ_PLUGIN_LDADD)
tests_fuzz_replay_memory_LDFLAGS = $(FUZZ_REPLAY_LINK_FLAGS)
endif
