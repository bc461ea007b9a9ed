# make check: CUnit unit tests, then integration tests that drive the real
# binary against a fake Mackerel API on 127.0.0.1.  The core's tests are
# tests/core/; each plugin's tests (tests/plugins/<name>/) are registered by
# that plugin's fragment (plugins/<name>/local.mk); tests/lib/ is what the
# CUnit tests share.

# --- what the CUnit tests share ---
if HAVE_CUNIT
UNIT_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tests/lib
UNIT_CFLAGS = $(AM_CFLAGS) $(CUNIT_CFLAGS) $(CURL_CFLAGS) $(JANSSON_CFLAGS) $(LIBCONFIG_CFLAGS)
UNIT_LDADD = core/libsabacore.la $(CUNIT_LIBS)
# the metric plugin tests' setup (tests/lib/plugtest.h)
PLUGTEST_SOURCES = tests/lib/plugtest.c tests/lib/plugtest.h tests/lib/unit.h
else
TESTS += tests/no-cunit.sh
endif
EXTRA_DIST += tests/no-cunit.sh

include tests/core/local.mk
include tests/fuzz/local.mk
include tests/system/local.mk

# --- integration tests (python3 harness + fake Mackerel API) ---
# (the ec2 and system tests are registered by their plugins' fragments)
INTEGRATION_TESTS = \
	tests/integration/test_lifecycle.py \
	tests/integration/test_metrics.py \
	tests/integration/test_retire.py \
	tests/integration/test_errors.py \
	tests/integration/test_cli.py \
	tests/integration/test_plugins_once.py \
	tests/integration/test_commands.py \
	tests/integration/test_faults.py \
	tests/integration/test_registration.py \
	tests/integration/test_conformance.py \
	tests/integration/test_import.py \
	tests/integration/test_compat.py \
	tests/integration/test_security.py
TESTS += $(INTEGRATION_TESTS)
EXTRA_DIST += $(INTEGRATION_TESTS) tests/integration/harness.py \
	tests/integration/apischema.py tests/integration/fakeapi.py \
	tests/integration/fakeserver.py tests/data tests/system/nspawn.py

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
# (the system tests install the build into their container with make
# install: SABA_TOP_BUILDDIR, SABA_MAKE).  ASAN_OPTIONS: up to GCC 13 and
# LLVM 16 the sanitizers' __tls_get_addr interceptor can take the dynamic
# TLS block of a dlopen'd library (GnuTLS, a plugin) for a pre-2.25 glibc
# one and read garbage; LeakSanitizer's check at exit then dies ("Tracer
# caught signal 11"), as it did once in CI's ASan pass.
AM_TESTS_ENVIRONMENT = \
	SABA_AGENT='$(abs_top_builddir)/core/saba-agent'; \
	SABA_PLUGIN_DIR='$(abs_top_builddir)/plugins/.libs'; \
	SABA_TEST_PLUGIN_DIR='$(abs_top_builddir)/tests/core/fixtures/.libs'; \
	SABA_SRCDIR='$(abs_top_srcdir)'; \
	SABA_TEST_WRAPPER='$(VALGRIND_CMD)'; \
	SABA_NO_DLCLOSE=$${SABA_NO_DLCLOSE-}; \
	SABA_HTTP_MODULE='$(abs_top_builddir)/core/.libs/saba-http-curl.so'; \
	SABA_TOP_BUILDDIR='$(abs_top_builddir)'; \
	SABA_MAKE='$(MAKE)'; \
	SABA_TOML_MODULE='$(abs_top_builddir)/core/.libs/saba-toml.so'; \
	ASAN_OPTIONS="$${ASAN_OPTIONS:+$$ASAN_OPTIONS:}intercept_tls_get_addr=0"; \
	export SABA_AGENT SABA_PLUGIN_DIR SABA_TEST_PLUGIN_DIR SABA_SRCDIR \
		SABA_TEST_WRAPPER SABA_NO_DLCLOSE SABA_HTTP_MODULE SABA_TOP_BUILDDIR SABA_MAKE \
		SABA_TOML_MODULE ASAN_OPTIONS;
