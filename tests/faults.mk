# Fault injection (issue 9): the real binary against a misbehaving API, a
# full or read-only disk, kill -9 during registration, and a plugin that
# crashes inside collect().
check_LTLIBRARIES += tests/plugins/crash.la
tests_plugins_crash_la_SOURCES = tests/plugins/crash.c
tests_plugins_crash_la_LDFLAGS = $(TEST_PLUGIN_LDFLAGS)

TESTS += tests/integration/test_faults.py
EXTRA_DIST += tests/integration/test_faults.py
