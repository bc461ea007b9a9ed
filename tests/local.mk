# make check: CUnit unit tests, then integration tests that drive the real
# binary against a fake Mackerel API on 127.0.0.1.

# --- plugins used only by tests (broken on purpose, or instrumented) ---
TEST_PLUGIN_LDFLAGS = -module -avoid-version -shared -rpath /nowhere
check_LTLIBRARIES += tests/plugins/good.la tests/plugins/bad_major.la \
	tests/plugins/no_entry.la tests/plugins/short_struct.la \
	tests/plugins/create_fails.la tests/plugins/hang.la tests/plugins/trigger.la
tests_plugins_good_la_SOURCES = tests/plugins/good.c
tests_plugins_good_la_LDFLAGS = $(TEST_PLUGIN_LDFLAGS)
tests_plugins_bad_major_la_SOURCES = tests/plugins/bad_major.c
tests_plugins_bad_major_la_LDFLAGS = $(TEST_PLUGIN_LDFLAGS)
tests_plugins_no_entry_la_SOURCES = tests/plugins/no_entry.c
tests_plugins_no_entry_la_LDFLAGS = $(TEST_PLUGIN_LDFLAGS)
tests_plugins_short_struct_la_SOURCES = tests/plugins/short_struct.c
tests_plugins_short_struct_la_LDFLAGS = $(TEST_PLUGIN_LDFLAGS)
tests_plugins_create_fails_la_SOURCES = tests/plugins/create_fails.c
tests_plugins_create_fails_la_LDFLAGS = $(TEST_PLUGIN_LDFLAGS)
tests_plugins_hang_la_SOURCES = tests/plugins/hang.c
tests_plugins_hang_la_LDFLAGS = $(TEST_PLUGIN_LDFLAGS)
tests_plugins_trigger_la_SOURCES = tests/plugins/trigger.c
tests_plugins_trigger_la_LDFLAGS = $(TEST_PLUGIN_LDFLAGS)

# --- unit tests (CUnit) ---
if HAVE_CUNIT
UNIT_TESTS = tests/unit/test_config tests/unit/test_queue tests/unit/test_idfile \
	tests/unit/test_payload tests/unit/test_loader tests/unit/test_retire \
	tests/unit/test_procfs tests/unit/test_outbox tests/unit/test_plugconf \
	tests/unit/test_apischema
check_PROGRAMS += $(UNIT_TESTS)
TESTS += $(UNIT_TESTS)
UNIT_CFLAGS = $(AM_CFLAGS) $(CUNIT_CFLAGS) $(CURL_CFLAGS) $(JANSSON_CFLAGS) $(LIBCONFIG_CFLAGS)
UNIT_LDADD = core/libsabacore.la $(CUNIT_LIBS)
tests_unit_test_config_SOURCES = tests/unit/test_config.c tests/unit/unit.h
tests_unit_test_config_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_config_LDADD = $(UNIT_LDADD)
tests_unit_test_queue_SOURCES = tests/unit/test_queue.c tests/unit/unit.h
tests_unit_test_queue_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_queue_LDADD = $(UNIT_LDADD)
tests_unit_test_idfile_SOURCES = tests/unit/test_idfile.c tests/unit/unit.h
tests_unit_test_idfile_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_idfile_LDADD = $(UNIT_LDADD)
tests_unit_test_payload_SOURCES = tests/unit/test_payload.c tests/unit/unit.h
tests_unit_test_payload_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_payload_LDADD = $(UNIT_LDADD)
tests_unit_test_loader_SOURCES = tests/unit/test_loader.c tests/unit/unit.h
tests_unit_test_loader_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_loader_LDADD = $(UNIT_LDADD)
tests_unit_test_retire_SOURCES = tests/unit/test_retire.c tests/unit/unit.h
tests_unit_test_retire_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_retire_LDADD = $(UNIT_LDADD)
tests_unit_test_outbox_SOURCES = tests/unit/test_outbox.c tests/unit/unit.h
tests_unit_test_outbox_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_outbox_LDADD = $(UNIT_LDADD)
tests_unit_test_apischema_SOURCES = tests/unit/test_apischema.c tests/unit/unit.h
tests_unit_test_apischema_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_apischema_LDADD = $(UNIT_LDADD)
tests_unit_test_procfs_SOURCES = tests/unit/test_procfs.c tests/unit/unit.h
tests_unit_test_procfs_CFLAGS = $(UNIT_CFLAGS) $(SABA_TEST_CFLAGS)
tests_unit_test_procfs_LDADD = $(SABA_TEST_LIBS) $(UNIT_LDADD)
tests_unit_test_procfs_LDFLAGS = $(SABA_TEST_LINK_FLAGS)
# the plugins' shared config readers, through the fake host (no agent)
tests_unit_test_plugconf_SOURCES = tests/unit/test_plugconf.c tests/unit/unit.h
tests_unit_test_plugconf_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/plugins
tests_unit_test_plugconf_CFLAGS = $(AM_CFLAGS) $(CUNIT_CFLAGS) $(SABA_TEST_CFLAGS)
tests_unit_test_plugconf_LDADD = plugins/libsabaplugconf.la $(SABA_TEST_LIBS) $(CUNIT_LIBS)
tests_unit_test_plugconf_LDFLAGS = $(SABA_TEST_LINK_FLAGS)
else
TESTS += tests/no-cunit.sh
endif
EXTRA_DIST += tests/no-cunit.sh

# --- integration tests (python3 harness + fake Mackerel API) ---
INTEGRATION_TESTS = \
	tests/integration/test_lifecycle.py \
	tests/integration/test_metrics.py \
	tests/integration/test_retire.py \
	tests/integration/test_errors.py \
	tests/integration/test_cli.py \
	tests/integration/test_registration.py \
	tests/integration/test_conformance.py \
	tests/integration/test_security.py
TESTS += $(INTEGRATION_TESTS)
EXTRA_DIST += $(INTEGRATION_TESTS) tests/integration/harness.py \
	tests/integration/apischema.py tests/integration/fakeapi.py tests/integration/fakeserver.py tests/data

TEST_EXTENSIONS = .py .sh
PY_LOG_COMPILER = $(PYTHON3)
SH_LOG_COMPILER = $(SHELL)
if VALGRIND_TESTS
VALGRIND_CMD = $(VALGRIND) --error-exitcode=99 --leak-check=full \
	--errors-for-leak-kinds=definite --track-fds=no --quiet
LOG_COMPILER = $(VALGRIND_CMD)
else
VALGRIND_CMD =
endif
AM_TESTS_ENVIRONMENT = \
	SABA_AGENT='$(abs_top_builddir)/core/saba-agent'; \
	SABA_PLUGIN_DIR='$(abs_top_builddir)/plugins/.libs'; \
	SABA_TEST_PLUGIN_DIR='$(abs_top_builddir)/tests/plugins/.libs'; \
	SABA_SRCDIR='$(abs_top_srcdir)'; \
	SABA_TEST_WRAPPER='$(VALGRIND_CMD)'; \
	SABA_NO_DLCLOSE=$${SABA_NO_DLCLOSE-}; \
	SABA_HTTP_MODULE='$(abs_top_builddir)/core/.libs/saba-http-curl.so'; \
	export SABA_AGENT SABA_PLUGIN_DIR SABA_TEST_PLUGIN_DIR SABA_SRCDIR \
		SABA_TEST_WRAPPER SABA_NO_DLCLOSE SABA_HTTP_MODULE;
