# Windows: the control-code classifier natively, and the cross-built agent
# as a service under Wine (tests/windows/test_service.py: cross-builds in
# win-build/ unless SABA_WIN_BUILDDIR names one; exit 77 without mingw-w64
# and Wine).
if HAVE_CUNIT
check_PROGRAMS += tests/unit/test_windows_scm_classify
TESTS += tests/unit/test_windows_scm_classify
tests_unit_test_windows_scm_classify_SOURCES = tests/unit/test_windows_scm_classify.c \
	tests/unit/unit.h
tests_unit_test_windows_scm_classify_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/plugins
tests_unit_test_windows_scm_classify_CFLAGS = $(AM_CFLAGS) $(CUNIT_CFLAGS)
tests_unit_test_windows_scm_classify_LDADD = plugins/libsabascmclassify.la $(CUNIT_LIBS)
endif

if !SABA_WINDOWS
TESTS += tests/windows/test_service.py
endif
EXTRA_DIST += tests/windows/test_service.py tests/windows/keeper.c tests/windows/control.c \
	tests/unit/test_windows_scm_classify.c

clean-local: clean-win-build
clean-win-build:
	rm -rf win-build
.PHONY: clean-win-build
