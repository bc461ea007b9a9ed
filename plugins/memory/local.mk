# The memory plugin (/proc/meminfo, and meta.memory) and its tests through
# the fake host on the fixtures in tests/data/proc-*.
if BUILD_PLUGIN_MEMORY
plugin_LTLIBRARIES += plugins/memory.la
plugins_memory_la_SOURCES = plugins/memory/memory.c
plugins_memory_la_LDFLAGS = $(PLUGIN_LDFLAGS)
plugins_memory_la_LIBADD = plugins/lib/libsabaprocfs.la

if HAVE_CUNIT
check_PROGRAMS += tests/plugins/memory/test_memory
TESTS += tests/plugins/memory/test_memory
tests_plugins_memory_test_memory_SOURCES = tests/plugins/memory/test_memory.c $(PLUGTEST_SOURCES)
tests_plugins_memory_test_memory_CPPFLAGS = $(UNIT_CPPFLAGS)
tests_plugins_memory_test_memory_CFLAGS = $(UNIT_CFLAGS) $(SABA_TEST_CFLAGS)
tests_plugins_memory_test_memory_LDADD = $(SABA_TEST_LIBS) $(UNIT_LDADD)
tests_plugins_memory_test_memory_LDFLAGS = $(SABA_TEST_LINK_FLAGS)
endif
endif
