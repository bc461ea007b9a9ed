# Tests of the cpu, disk, interface and filesystem plugins: CUnit tests
# through the fake host on fixtures in tests/data/, and one integration
# test of `saba-agent once` against the real /proc.
if HAVE_CUNIT
PLUGTEST_SOURCES = tests/unit/plugtest.c tests/unit/plugtest.h tests/unit/unit.h
METRIC_UNIT_TESTS =
if BUILD_PLUGIN_CPU
METRIC_UNIT_TESTS += tests/unit/test_cpu
tests_unit_test_cpu_SOURCES = tests/unit/test_cpu.c $(PLUGTEST_SOURCES)
tests_unit_test_cpu_CFLAGS = $(UNIT_CFLAGS) $(SABA_TEST_CFLAGS)
tests_unit_test_cpu_LDADD = $(SABA_TEST_LIBS) $(UNIT_LDADD)
tests_unit_test_cpu_LDFLAGS = $(SABA_TEST_LINK_FLAGS)
endif
if BUILD_PLUGIN_DISK
METRIC_UNIT_TESTS += tests/unit/test_disk
tests_unit_test_disk_SOURCES = tests/unit/test_disk.c $(PLUGTEST_SOURCES)
tests_unit_test_disk_CFLAGS = $(UNIT_CFLAGS) $(SABA_TEST_CFLAGS)
tests_unit_test_disk_LDADD = $(SABA_TEST_LIBS) $(UNIT_LDADD)
tests_unit_test_disk_LDFLAGS = $(SABA_TEST_LINK_FLAGS)
endif
if BUILD_PLUGIN_INTERFACE
METRIC_UNIT_TESTS += tests/unit/test_interface
tests_unit_test_interface_SOURCES = tests/unit/test_interface.c $(PLUGTEST_SOURCES)
tests_unit_test_interface_CFLAGS = $(UNIT_CFLAGS) $(SABA_TEST_CFLAGS)
tests_unit_test_interface_LDADD = $(SABA_TEST_LIBS) $(UNIT_LDADD)
tests_unit_test_interface_LDFLAGS = $(SABA_TEST_LINK_FLAGS)
endif
if BUILD_PLUGIN_FILESYSTEM
METRIC_UNIT_TESTS += tests/unit/test_filesystem
tests_unit_test_filesystem_SOURCES = tests/unit/test_filesystem.c $(PLUGTEST_SOURCES)
tests_unit_test_filesystem_CFLAGS = $(UNIT_CFLAGS) $(SABA_TEST_CFLAGS)
tests_unit_test_filesystem_LDADD = $(SABA_TEST_LIBS) $(UNIT_LDADD)
tests_unit_test_filesystem_LDFLAGS = $(SABA_TEST_LINK_FLAGS)
endif
check_PROGRAMS += $(METRIC_UNIT_TESTS)
TESTS += $(METRIC_UNIT_TESTS)
endif

TESTS += tests/integration/test_plugins_once.py
EXTRA_DIST += tests/integration/test_plugins_once.py
