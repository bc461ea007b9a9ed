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
