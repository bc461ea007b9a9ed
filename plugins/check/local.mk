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
