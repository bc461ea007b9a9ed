# The filesystem plugin: filesystem usage (/proc/self/mounts, statvfs), and its tests through the fake host on
# fixtures in tests/data/.
if BUILD_PLUGIN_FILESYSTEM
plugin_LTLIBRARIES += plugins/filesystem.la
plugins_filesystem_la_SOURCES = plugins/filesystem/filesystem.c
plugins_filesystem_la_LDFLAGS = $(PLUGIN_LDFLAGS)
plugins_filesystem_la_LIBADD = $(SABA_METRIC_LIBADD) plugins/lib/libsabapattern.la

if HAVE_CUNIT
check_PROGRAMS += tests/plugins/filesystem/test_filesystem
TESTS += tests/plugins/filesystem/test_filesystem
tests_plugins_filesystem_test_filesystem_SOURCES = tests/plugins/filesystem/test_filesystem.c $(PLUGTEST_SOURCES)
tests_plugins_filesystem_test_filesystem_CPPFLAGS = $(UNIT_CPPFLAGS)
tests_plugins_filesystem_test_filesystem_CFLAGS = $(UNIT_CFLAGS) $(SABA_TEST_CFLAGS)
tests_plugins_filesystem_test_filesystem_LDADD = $(SABA_TEST_LIBS) $(UNIT_LDADD)
tests_plugins_filesystem_test_filesystem_LDFLAGS = $(SABA_TEST_LINK_FLAGS)
endif
endif

# Its fuzz target (tests/fuzz/fuzz_filesystem.c, the mount table): make fuzz runs it,
# make check replays its corpus (tests/fuzz/local.mk).
# (with PCRE2, as the plugin: its regex settings)
if HAVE_PCRE2
FUZZ_NAMES += filesystem
FUZZ_BINS += $(FUZZ_OUT)/fuzz_filesystem
FUZZ_RUNS += fuzz-run-filesystem
FUZZ_HARNESS_SRC += tests/fuzz/fuzz_filesystem.c plugins/filesystem/filesystem.c
if !SABA_WINDOWS
check_PROGRAMS += tests/fuzz/replay_filesystem
TESTS += tests/fuzz/replay_filesystem
tests_fuzz_replay_filesystem_SOURCES = tests/fuzz/fuzz_filesystem.c $(FUZZ_REPLAY_SOURCES)
tests_fuzz_replay_filesystem_CPPFLAGS = $(FUZZ_CPPFLAGS) -DFUZZ_NAME='"filesystem"'
tests_fuzz_replay_filesystem_CFLAGS = $(FUZZ_REPLAY_CFLAGS)
tests_fuzz_replay_filesystem_LDADD = $(FUZZ_PATTERN_LDADD)
tests_fuzz_replay_filesystem_LDFLAGS = $(FUZZ_REPLAY_LINK_FLAGS)
endif
endif
