# Tests of the exec and check plugins: CUnit tests through the fake host
# with the fixture commands in tests/data/commands/, and an integration
# test of the real agent with both against the fake API.
if HAVE_CUNIT
COMMAND_UNIT_TESTS =
if BUILD_PLUGIN_EXEC
COMMAND_UNIT_TESTS += tests/unit/test_exec
tests_unit_test_exec_SOURCES = tests/unit/test_exec.c tests/unit/cmdtest.h tests/unit/unit.h
tests_unit_test_exec_CFLAGS = $(UNIT_CFLAGS) $(SABA_TEST_CFLAGS)
tests_unit_test_exec_LDADD = $(SABA_TEST_LIBS) $(UNIT_LDADD)
tests_unit_test_exec_LDFLAGS = $(SABA_TEST_LINK_FLAGS)
endif
if BUILD_PLUGIN_CHECK
COMMAND_UNIT_TESTS += tests/unit/test_check
tests_unit_test_check_SOURCES = tests/unit/test_check.c tests/unit/cmdtest.h tests/unit/unit.h
tests_unit_test_check_CFLAGS = $(UNIT_CFLAGS) $(SABA_TEST_CFLAGS)
tests_unit_test_check_LDADD = $(SABA_TEST_LIBS) $(UNIT_LDADD)
tests_unit_test_check_LDFLAGS = $(SABA_TEST_LINK_FLAGS)
endif
check_PROGRAMS += $(COMMAND_UNIT_TESTS)
TESTS += $(COMMAND_UNIT_TESTS)
endif

TESTS += tests/integration/test_commands.py
EXTRA_DIST += tests/integration/test_commands.py

if BUILD_PLUGIN_METADATA
TESTS += tests/integration/test_metadata.py
endif
EXTRA_DIST += tests/integration/test_metadata.py
