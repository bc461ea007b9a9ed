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
