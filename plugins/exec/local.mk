# The exec plugin: mackerel-agent metric plugins (commands), linked with the
# command runner in plugins/lib/, and its tests through the fake host with the
# fixture commands in tests/data/commands/.
if BUILD_PLUGIN_EXEC
plugin_LTLIBRARIES += plugins/exec.la
plugins_exec_la_SOURCES = plugins/exec/exec.c
plugins_exec_la_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS)
plugins_exec_la_LDFLAGS = $(PLUGIN_LDFLAGS)
plugins_exec_la_CPPFLAGS = $(AM_CPPFLAGS) $(SABA_WIN_STATIC_PTHREAD)
plugins_exec_la_LIBADD = plugins/lib/libsabacommand.la plugins/lib/libsabapattern.la \
	$(JANSSON_LIBS)

if SABA_WINDOWS
# PCRE2 named again (libtool leaves a convenience library's static
# libraries off a DLL's link line); no libgcc or winpthread DLL beside
# exec.dll
plugins_exec_la_LIBADD += $(PCRE2_LIBS)
plugins_exec_la_LDFLAGS += $(SABA_WIN_DLL_LDFLAGS) -Wc,-static
endif

if HAVE_CUNIT
check_PROGRAMS += tests/plugins/exec/test_exec
TESTS += tests/plugins/exec/test_exec
tests_plugins_exec_test_exec_SOURCES = tests/plugins/exec/test_exec.c \
	tests/lib/cmdtest.h tests/lib/unit.h
tests_plugins_exec_test_exec_CPPFLAGS = $(UNIT_CPPFLAGS)
tests_plugins_exec_test_exec_CFLAGS = $(UNIT_CFLAGS) $(SABA_TEST_CFLAGS)
tests_plugins_exec_test_exec_LDADD = $(SABA_TEST_LIBS) $(UNIT_LDADD)
tests_plugins_exec_test_exec_LDFLAGS = $(SABA_TEST_LINK_FLAGS)
endif
endif

# Its fuzz target (tests/fuzz/fuzz_exec.c, what a metric plugin prints): make fuzz runs it,
# make check replays its corpus (tests/fuzz/local.mk).
# (with PCRE2, as the plugin: its regex settings)
if HAVE_PCRE2
FUZZ_NAMES += exec
FUZZ_BINS += $(FUZZ_OUT)/fuzz_exec
FUZZ_RUNS += fuzz-run-exec
FUZZ_HARNESS_SRC += tests/fuzz/fuzz_exec.c plugins/exec/exec.c
if !SABA_WINDOWS
check_PROGRAMS += tests/fuzz/replay_exec
TESTS += tests/fuzz/replay_exec
tests_fuzz_replay_exec_SOURCES = tests/fuzz/fuzz_exec.c $(FUZZ_REPLAY_SOURCES)
tests_fuzz_replay_exec_CPPFLAGS = $(FUZZ_CPPFLAGS) -DFUZZ_NAME='"exec"'
tests_fuzz_replay_exec_CFLAGS = $(FUZZ_REPLAY_CFLAGS)
tests_fuzz_replay_exec_LDADD = $(FUZZ_PATTERN_LDADD)
tests_fuzz_replay_exec_LDFLAGS = $(FUZZ_REPLAY_LINK_FLAGS)
endif
endif
