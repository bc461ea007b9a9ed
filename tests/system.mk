# System tests: the real agent under a real init in a container (root,
# debootstrap and systemd-nspawn; skipped otherwise, and when
# SABA_SKIP_SYSTEM_TESTS=1).

if BUILD_PLUGIN_SYSTEMD
if HAVE_CUNIT
check_PROGRAMS += tests/unit/test_systemd_classify
TESTS += tests/unit/test_systemd_classify
tests_unit_test_systemd_classify_SOURCES = tests/unit/test_systemd_classify.c tests/unit/unit.h
tests_unit_test_systemd_classify_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/plugins
tests_unit_test_systemd_classify_CFLAGS = $(AM_CFLAGS) $(CUNIT_CFLAGS)
tests_unit_test_systemd_classify_LDADD = plugins/libsabasdclassify.la $(CUNIT_LIBS)
endif

TESTS += tests/system/test_systemd.py
endif
EXTRA_DIST += tests/system/test_systemd.py tests/unit/test_systemd_classify.c

# The system test installs the build into its container with make install.
AM_TESTS_ENVIRONMENT += \
	SABA_TOP_BUILDDIR='$(abs_top_builddir)'; \
	SABA_MAKE='$(MAKE)'; \
	export SABA_TOP_BUILDDIR SABA_MAKE;
