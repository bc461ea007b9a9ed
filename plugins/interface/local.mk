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
