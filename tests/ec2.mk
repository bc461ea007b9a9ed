# The ec2 plugin: its pure decisions over tables (CUnit), and the real agent
# against a fake IMDS (tests/ec2/fakeimds.py), a fake EC2 Query API
# (tests/ec2/fakeec2.js) and the fake Mackerel API, all on 127.0.0.1.

if BUILD_PLUGIN_EC2
if HAVE_CUNIT
check_PROGRAMS += tests/unit/test_ec2_classify
TESTS += tests/unit/test_ec2_classify
tests_unit_test_ec2_classify_SOURCES = tests/unit/test_ec2_classify.c tests/unit/unit.h
tests_unit_test_ec2_classify_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/plugins
tests_unit_test_ec2_classify_CFLAGS = $(AM_CFLAGS) $(CUNIT_CFLAGS)
tests_unit_test_ec2_classify_LDADD = plugins/libsabaec2.la $(CUNIT_LIBS)
endif

TESTS += tests/integration/test_ec2.py
endif
EXTRA_DIST += tests/unit/test_ec2_classify.c tests/integration/test_ec2.py tests/ec2/fakeimds.py
