# The disk plugin: disk I/O (/proc/diskstats), and its tests through the fake host on
# fixtures in tests/data/.
if BUILD_PLUGIN_DISK
plugin_LTLIBRARIES += plugins/disk.la
plugins_disk_la_SOURCES = plugins/disk/disk.c
plugins_disk_la_LDFLAGS = $(PLUGIN_LDFLAGS)
plugins_disk_la_LIBADD = $(SABA_METRIC_LIBADD) plugins/lib/libsabapattern.la

if HAVE_CUNIT
check_PROGRAMS += tests/plugins/disk/test_disk
TESTS += tests/plugins/disk/test_disk
tests_plugins_disk_test_disk_SOURCES = tests/plugins/disk/test_disk.c $(PLUGTEST_SOURCES)
tests_plugins_disk_test_disk_CPPFLAGS = $(UNIT_CPPFLAGS)
tests_plugins_disk_test_disk_CFLAGS = $(UNIT_CFLAGS) $(SABA_TEST_CFLAGS)
tests_plugins_disk_test_disk_LDADD = $(SABA_TEST_LIBS) $(UNIT_LDADD)
tests_plugins_disk_test_disk_LDFLAGS = $(SABA_TEST_LINK_FLAGS)
endif
endif

# Its fuzz target (tests/fuzz/fuzz_disk.c, <procfs>/diskstats): make fuzz runs it,
# make check replays its corpus (tests/fuzz/local.mk).
# (with PCRE2, as the plugin: its regex settings)
if HAVE_PCRE2
FUZZ_NAMES += disk
FUZZ_BINS += $(FUZZ_OUT)/fuzz_disk
FUZZ_RUNS += fuzz-run-disk
FUZZ_HARNESS_SRC += tests/fuzz/fuzz_disk.c plugins/disk/disk.c
if !SABA_WINDOWS
check_PROGRAMS += tests/fuzz/replay_disk
TESTS += tests/fuzz/replay_disk
tests_fuzz_replay_disk_SOURCES = tests/fuzz/fuzz_disk.c $(FUZZ_REPLAY_SOURCES)
tests_fuzz_replay_disk_CPPFLAGS = $(FUZZ_CPPFLAGS) -DFUZZ_NAME='"disk"'
tests_fuzz_replay_disk_CFLAGS = $(FUZZ_REPLAY_CFLAGS)
tests_fuzz_replay_disk_LDADD = $(FUZZ_PATTERN_LDADD)
tests_fuzz_replay_disk_LDFLAGS = $(FUZZ_REPLAY_LINK_FLAGS)
endif
endif
