# The cpu plugin: CPU usage (/proc/stat), and its tests through the fake host on
# fixtures in tests/data/.
if BUILD_PLUGIN_CPU
plugin_LTLIBRARIES += plugins/cpu.la
plugins_cpu_la_SOURCES = plugins/cpu/cpu.c
plugins_cpu_la_LDFLAGS = $(PLUGIN_LDFLAGS)
plugins_cpu_la_LIBADD = $(SABA_METRIC_LIBADD)

if HAVE_CUNIT
check_PROGRAMS += tests/plugins/cpu/test_cpu
TESTS += tests/plugins/cpu/test_cpu
tests_plugins_cpu_test_cpu_SOURCES = tests/plugins/cpu/test_cpu.c $(PLUGTEST_SOURCES)
tests_plugins_cpu_test_cpu_CPPFLAGS = $(UNIT_CPPFLAGS)
tests_plugins_cpu_test_cpu_CFLAGS = $(UNIT_CFLAGS) $(SABA_TEST_CFLAGS)
tests_plugins_cpu_test_cpu_LDADD = $(SABA_TEST_LIBS) $(UNIT_LDADD)
tests_plugins_cpu_test_cpu_LDFLAGS = $(SABA_TEST_LINK_FLAGS)
endif
endif

# Its fuzz target (tests/fuzz/fuzz_cpu.c, <procfs>/stat and cpuinfo): make fuzz runs it,
# make check replays its corpus (tests/fuzz/local.mk).
FUZZ_NAMES += cpu
FUZZ_BINS += $(FUZZ_OUT)/fuzz_cpu
FUZZ_RUNS += fuzz-run-cpu
FUZZ_HARNESS_SRC += tests/fuzz/fuzz_cpu.c plugins/cpu/cpu.c
if !SABA_WINDOWS
check_PROGRAMS += tests/fuzz/replay_cpu
TESTS += tests/fuzz/replay_cpu
tests_fuzz_replay_cpu_SOURCES = tests/fuzz/fuzz_cpu.c $(FUZZ_REPLAY_SOURCES)
tests_fuzz_replay_cpu_CPPFLAGS = $(FUZZ_CPPFLAGS) -DFUZZ_NAME='"cpu"'
tests_fuzz_replay_cpu_CFLAGS = $(FUZZ_REPLAY_CFLAGS)
tests_fuzz_replay_cpu_LDADD = $(FUZZ_PLUGIN_LDADD)
tests_fuzz_replay_cpu_LDFLAGS = $(FUZZ_REPLAY_LINK_FLAGS)
endif
