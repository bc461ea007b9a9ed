# Tests of the core: CUnit tests linked with core/libsabacore.la, one per
# source file they test, and the plugins they load (tests/core/fixtures/:
# broken on purpose, or instrumented; also used by the integration tests
# through SABA_TEST_PLUGIN_DIR).

TEST_PLUGIN_LDFLAGS = -module -avoid-version -shared -rpath /nowhere
check_LTLIBRARIES += tests/core/fixtures/good.la tests/core/fixtures/bad_major.la \
	tests/core/fixtures/no_entry.la tests/core/fixtures/short_struct.la \
	tests/core/fixtures/create_fails.la tests/core/fixtures/hang.la \
	tests/core/fixtures/trigger.la tests/core/fixtures/crash.la
tests_core_fixtures_good_la_SOURCES = tests/core/fixtures/good.c
tests_core_fixtures_good_la_LDFLAGS = $(TEST_PLUGIN_LDFLAGS)
tests_core_fixtures_bad_major_la_SOURCES = tests/core/fixtures/bad_major.c
tests_core_fixtures_bad_major_la_LDFLAGS = $(TEST_PLUGIN_LDFLAGS)
tests_core_fixtures_no_entry_la_SOURCES = tests/core/fixtures/no_entry.c
tests_core_fixtures_no_entry_la_LDFLAGS = $(TEST_PLUGIN_LDFLAGS)
tests_core_fixtures_short_struct_la_SOURCES = tests/core/fixtures/short_struct.c
tests_core_fixtures_short_struct_la_LDFLAGS = $(TEST_PLUGIN_LDFLAGS)
tests_core_fixtures_create_fails_la_SOURCES = tests/core/fixtures/create_fails.c
tests_core_fixtures_create_fails_la_LDFLAGS = $(TEST_PLUGIN_LDFLAGS)
tests_core_fixtures_hang_la_SOURCES = tests/core/fixtures/hang.c
tests_core_fixtures_hang_la_LDFLAGS = $(TEST_PLUGIN_LDFLAGS)
tests_core_fixtures_trigger_la_SOURCES = tests/core/fixtures/trigger.c
tests_core_fixtures_trigger_la_LDFLAGS = $(TEST_PLUGIN_LDFLAGS)
tests_core_fixtures_crash_la_SOURCES = tests/core/fixtures/crash.c
tests_core_fixtures_crash_la_LDFLAGS = $(TEST_PLUGIN_LDFLAGS)

if HAVE_CUNIT
CORE_UNIT_TESTS = tests/core/test_conf tests/core/test_queue tests/core/test_idfile \
	tests/core/test_spec tests/core/test_tsdb tests/core/test_api tests/core/test_loader \
	tests/core/test_retire tests/core/test_outbox tests/core/test_apischema \
	tests/core/test_settings tests/core/test_atomic tests/core/test_conf_write \
	tests/core/test_duration
check_PROGRAMS += $(CORE_UNIT_TESTS)
TESTS += $(CORE_UNIT_TESTS)
tests_core_test_atomic_SOURCES = tests/core/test_atomic.c tests/lib/unit.h
tests_core_test_atomic_CPPFLAGS = $(UNIT_CPPFLAGS)
tests_core_test_atomic_CFLAGS = $(UNIT_CFLAGS)
tests_core_test_atomic_LDADD = $(UNIT_LDADD)
tests_core_test_conf_write_SOURCES = tests/core/test_conf_write.c tests/lib/unit.h
tests_core_test_conf_write_CPPFLAGS = $(UNIT_CPPFLAGS)
tests_core_test_conf_write_CFLAGS = $(UNIT_CFLAGS)
tests_core_test_conf_write_LDADD = $(UNIT_LDADD)
# `import` (built with toml++ only)
if HAVE_TOML
check_PROGRAMS += tests/core/test_import
TESTS += tests/core/test_import
tests_core_test_import_SOURCES = tests/core/test_import.c tests/lib/unit.h
tests_core_test_import_CPPFLAGS = $(UNIT_CPPFLAGS)
tests_core_test_import_CFLAGS = $(UNIT_CFLAGS)
tests_core_test_import_LDADD = $(UNIT_LDADD)
endif
# the loop thread's takeover (POSIX only)
if !SABA_WINDOWS
check_PROGRAMS += tests/core/test_takeover
TESTS += tests/core/test_takeover
tests_core_test_takeover_SOURCES = tests/core/test_takeover.c tests/lib/unit.h
tests_core_test_takeover_CPPFLAGS = $(UNIT_CPPFLAGS)
tests_core_test_takeover_CFLAGS = $(UNIT_CFLAGS)
tests_core_test_takeover_LDADD = $(UNIT_LDADD)
# so that a test can refuse a thread
tests_core_test_takeover_LDFLAGS = -Wl,--wrap=pthread_create
endif
tests_core_test_duration_SOURCES = tests/core/test_duration.c tests/lib/unit.h
tests_core_test_duration_CPPFLAGS = $(UNIT_CPPFLAGS)
tests_core_test_duration_CFLAGS = $(UNIT_CFLAGS)
tests_core_test_duration_LDADD = $(UNIT_LDADD)
tests_core_test_conf_SOURCES = tests/core/test_conf.c tests/lib/unit.h
tests_core_test_conf_CPPFLAGS = $(UNIT_CPPFLAGS)
tests_core_test_conf_CFLAGS = $(UNIT_CFLAGS)
tests_core_test_conf_LDADD = $(UNIT_LDADD)
tests_core_test_queue_SOURCES = tests/core/test_queue.c tests/lib/unit.h
tests_core_test_queue_CPPFLAGS = $(UNIT_CPPFLAGS)
tests_core_test_queue_CFLAGS = $(UNIT_CFLAGS)
tests_core_test_queue_LDADD = $(UNIT_LDADD)
tests_core_test_idfile_SOURCES = tests/core/test_idfile.c tests/lib/unit.h
tests_core_test_idfile_CPPFLAGS = $(UNIT_CPPFLAGS)
tests_core_test_idfile_CFLAGS = $(UNIT_CFLAGS)
tests_core_test_idfile_LDADD = $(UNIT_LDADD)
tests_core_test_spec_SOURCES = tests/core/test_spec.c tests/lib/unit.h
tests_core_test_spec_CPPFLAGS = $(UNIT_CPPFLAGS)
tests_core_test_spec_CFLAGS = $(UNIT_CFLAGS)
tests_core_test_spec_LDADD = $(UNIT_LDADD)
tests_core_test_tsdb_SOURCES = tests/core/test_tsdb.c tests/lib/unit.h
tests_core_test_tsdb_CPPFLAGS = $(UNIT_CPPFLAGS)
tests_core_test_tsdb_CFLAGS = $(UNIT_CFLAGS)
tests_core_test_tsdb_LDADD = $(UNIT_LDADD)
tests_core_test_api_SOURCES = tests/core/test_api.c tests/lib/unit.h
tests_core_test_api_CPPFLAGS = $(UNIT_CPPFLAGS)
tests_core_test_api_CFLAGS = $(UNIT_CFLAGS)
tests_core_test_api_LDADD = $(UNIT_LDADD)
tests_core_test_apischema_SOURCES = tests/core/test_apischema.c tests/lib/unit.h
tests_core_test_apischema_CPPFLAGS = $(UNIT_CPPFLAGS)
tests_core_test_apischema_CFLAGS = $(UNIT_CFLAGS)
tests_core_test_apischema_LDADD = $(UNIT_LDADD)
tests_core_test_settings_SOURCES = tests/core/test_settings.c tests/lib/unit.h
tests_core_test_settings_CPPFLAGS = $(UNIT_CPPFLAGS)
tests_core_test_settings_CFLAGS = $(UNIT_CFLAGS)
tests_core_test_settings_LDADD = $(UNIT_LDADD)
tests_core_test_loader_SOURCES = tests/core/test_loader.c tests/lib/unit.h
tests_core_test_loader_CPPFLAGS = $(UNIT_CPPFLAGS)
tests_core_test_loader_CFLAGS = $(UNIT_CFLAGS)
tests_core_test_loader_LDADD = $(UNIT_LDADD)
tests_core_test_retire_SOURCES = tests/core/test_retire.c tests/lib/unit.h
tests_core_test_retire_CPPFLAGS = $(UNIT_CPPFLAGS)
tests_core_test_retire_CFLAGS = $(UNIT_CFLAGS)
tests_core_test_retire_LDADD = $(UNIT_LDADD)
tests_core_test_outbox_SOURCES = tests/core/test_outbox.c tests/lib/unit.h
tests_core_test_outbox_CPPFLAGS = $(UNIT_CPPFLAGS)
tests_core_test_outbox_CFLAGS = $(UNIT_CFLAGS)
tests_core_test_outbox_LDADD = $(UNIT_LDADD)
endif

# built with toml++ only, shipped always
EXTRA_DIST += tests/core/test_import.c tests/core/test_duration.c tests/core/test_takeover.c
