# The diagnostic plugin (the agent's own memory and threads, mackerel-agent's
# custom.agent.* metrics) and its test through the fake host.
if BUILD_PLUGIN_DIAGNOSTIC
plugin_LTLIBRARIES += plugins/diagnostic.la
plugins_diagnostic_la_SOURCES = plugins/diagnostic/diagnostic.c
plugins_diagnostic_la_LDFLAGS = $(PLUGIN_LDFLAGS)

if HAVE_CUNIT
check_PROGRAMS += tests/plugins/diagnostic/test_diagnostic
TESTS += tests/plugins/diagnostic/test_diagnostic
tests_plugins_diagnostic_test_diagnostic_SOURCES = tests/plugins/diagnostic/test_diagnostic.c \
	$(PLUGTEST_SOURCES)
tests_plugins_diagnostic_test_diagnostic_CPPFLAGS = $(UNIT_CPPFLAGS)
tests_plugins_diagnostic_test_diagnostic_CFLAGS = $(UNIT_CFLAGS) $(SABA_TEST_CFLAGS)
tests_plugins_diagnostic_test_diagnostic_LDADD = $(SABA_TEST_LIBS) $(UNIT_LDADD)
tests_plugins_diagnostic_test_diagnostic_LDFLAGS = $(SABA_TEST_LINK_FLAGS)
endif
endif
