# The sysv trigger: the classifier and utmp reader over utmp files the test
# writes, and the system test under a real sysvinit in a container (root,
# debootstrap and systemd-nspawn; skipped otherwise, and when
# SABA_SKIP_SYSTEM_TESTS=1).  The environment comes from tests/system.mk.

if BUILD_PLUGIN_SYSV
if HAVE_CUNIT
check_PROGRAMS += tests/unit/test_sysv_classify
TESTS += tests/unit/test_sysv_classify
tests_unit_test_sysv_classify_SOURCES = tests/unit/test_sysv_classify.c tests/unit/unit.h
tests_unit_test_sysv_classify_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/plugins
tests_unit_test_sysv_classify_CFLAGS = $(AM_CFLAGS) $(CUNIT_CFLAGS)
tests_unit_test_sysv_classify_LDADD = plugins/libsabasysvclassify.la $(CUNIT_LIBS)
endif

TESTS += tests/system/test_sysv.py
endif
# nspawn.py is shared with tests/system/test_systemd.py.
EXTRA_DIST += tests/system/test_sysv.py tests/system/nspawn.py tests/unit/test_sysv_classify.c
