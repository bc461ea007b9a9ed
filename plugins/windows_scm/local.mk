# The windows_scm plugin (./configure --host=x86_64-w64-mingw32): the
# service host and SCM shutdown trigger.

# The classifier is pure C: a convenience library for the plugin and for
# its native unit test, so it builds everywhere.
noinst_LTLIBRARIES += plugins/windows_scm/libsabascmclassify.la
plugins_windows_scm_libsabascmclassify_la_SOURCES = plugins/windows_scm/classify.c \
	plugins/windows_scm/classify.h

if BUILD_PLUGIN_WINDOWS_SCM
plugin_LTLIBRARIES += plugins/windows_scm.la
plugins_windows_scm_la_SOURCES = plugins/windows_scm/windows_scm.c plugins/windows_scm/event.c \
	plugins/windows_scm/event.h
plugins_windows_scm_la_LDFLAGS = $(PLUGIN_LDFLAGS) $(SABA_WIN_DLL_LDFLAGS)
plugins_windows_scm_la_LIBADD = plugins/windows_scm/libsabascmclassify.la \
	plugins/lib/libsabatrigger.la plugins/lib/libsabaplugconf.la -ladvapi32 -lwevtapi
endif

# The control-code classifier, natively (the plugin itself runs in the
# Wine test, tests/windows/).
if HAVE_CUNIT
check_PROGRAMS += tests/plugins/windows_scm/test_classify
TESTS += tests/plugins/windows_scm/test_classify
tests_plugins_windows_scm_test_classify_SOURCES = tests/plugins/windows_scm/test_classify.c \
	tests/lib/unit.h
tests_plugins_windows_scm_test_classify_CPPFLAGS = $(UNIT_CPPFLAGS)
tests_plugins_windows_scm_test_classify_CFLAGS = $(AM_CFLAGS) $(CUNIT_CFLAGS)
tests_plugins_windows_scm_test_classify_LDADD = plugins/windows_scm/libsabascmclassify.la \
	$(CUNIT_LIBS)
endif

EXTRA_DIST += plugins/windows_scm/windows_scm.c plugins/windows_scm/event.c \
	plugins/windows_scm/event.h tests/plugins/windows_scm/test_classify.c

# The plugin itself, hosting the cross-built agent as a service under Wine
# (tests/windows/test_service.py: cross-builds in win-build/ unless
# SABA_WIN_BUILDDIR names one; exit 77 without mingw-w64 and Wine).
if !SABA_WINDOWS
TESTS += tests/windows/test_service.py
endif
EXTRA_DIST += tests/windows/test_service.py tests/windows/keeper.c tests/windows/control.c \
	tests/windows/cmdhelper.c

clean-local: clean-win-build
clean-win-build:
	rm -rf win-build
.PHONY: clean-win-build
