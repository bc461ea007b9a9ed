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
