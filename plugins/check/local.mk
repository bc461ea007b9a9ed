# The check plugin: Nagios/mackerel-agent check plugins (commands), linked with the
# command runner in plugins/lib/, and its tests through the fake host with the
# fixture commands in tests/data/commands/.
if BUILD_PLUGIN_CHECK
plugin_LTLIBRARIES += plugins/check.la
plugins_check_la_SOURCES = plugins/check/check.c
plugins_check_la_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS)
plugins_check_la_LDFLAGS = $(PLUGIN_LDFLAGS)
plugins_check_la_CPPFLAGS = $(AM_CPPFLAGS) $(SABA_WIN_STATIC_PTHREAD)
plugins_check_la_LIBADD = plugins/lib/libsabacommand.la $(JANSSON_LIBS)

if SABA_WINDOWS
# no libgcc or winpthread DLL beside check.dll
plugins_check_la_LDFLAGS += $(SABA_WIN_DLL_LDFLAGS) -Wc,-static
endif

if HAVE_CUNIT
check_PROGRAMS += tests/plugins/check/test_check
TESTS += tests/plugins/check/test_check
tests_plugins_check_test_check_SOURCES = tests/plugins/check/test_check.c \
	tests/lib/cmdtest.h tests/lib/unit.h
tests_plugins_check_test_check_CPPFLAGS = $(UNIT_CPPFLAGS)
tests_plugins_check_test_check_CFLAGS = $(UNIT_CFLAGS) $(SABA_TEST_CFLAGS)
tests_plugins_check_test_check_LDADD = $(SABA_TEST_LIBS) $(UNIT_LDADD)
tests_plugins_check_test_check_LDFLAGS = $(SABA_TEST_LINK_FLAGS)
endif
endif

# Its fuzz target (tests/fuzz/fuzz_check.c, what a check plugin leaves behind): make fuzz runs it,
# make check replays its corpus (tests/fuzz/local.mk).
FUZZ_NAMES += check
FUZZ_BINS += $(FUZZ_OUT)/fuzz_check
FUZZ_RUNS += fuzz-run-check
FUZZ_HARNESS_SRC += tests/fuzz/fuzz_check.c plugins/check/check.c
if !SABA_WINDOWS
check_PROGRAMS += tests/fuzz/replay_check
TESTS += tests/fuzz/replay_check
tests_fuzz_replay_check_SOURCES = tests/fuzz/fuzz_check.c $(FUZZ_REPLAY_SOURCES)
tests_fuzz_replay_check_CPPFLAGS = $(FUZZ_CPPFLAGS) -DFUZZ_NAME='"check"'
tests_fuzz_replay_check_CFLAGS = $(FUZZ_REPLAY_CFLAGS)
tests_fuzz_replay_check_LDADD = $(FUZZ_PLUGIN_LDADD)
tests_fuzz_replay_check_LDFLAGS = $(FUZZ_REPLAY_LINK_FLAGS)
endif
