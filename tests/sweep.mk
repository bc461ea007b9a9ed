# The ec2 plugin's AWS side and fleet sweeper: the fake EC2 (Node.js; every
# signature verified with the npm package aws4, fetched by tests/ec2/aws4.py),
# CUnit tests of the XML reader, credentials and sweeper decisions, and an
# integration test of the real agent sweeping against the fakes.
EXTRA_DIST += tests/ec2/fakeec2.js tests/ec2/fakeec2.py tests/ec2/aws4.py

if HAVE_CUNIT
if BUILD_PLUGIN_EC2
SWEEP_UNIT_TESTS = tests/unit/test_ec2_aws tests/unit/test_ec2_sweep
check_PROGRAMS += $(SWEEP_UNIT_TESTS)
TESTS += $(SWEEP_UNIT_TESTS)
SWEEP_UNIT_CFLAGS = $(UNIT_CFLAGS) $(EXPAT_CFLAGS) -I$(top_srcdir)/plugins
tests_unit_test_ec2_aws_SOURCES = tests/unit/test_ec2_aws.c tests/ec2/fakeec2.h \
	tests/unit/unit.h
tests_unit_test_ec2_aws_CFLAGS = $(SWEEP_UNIT_CFLAGS)
tests_unit_test_ec2_aws_LDADD = plugins/libsabaec2.la $(CURL_LIBS) $(JANSSON_LIBS) \
	$(CUNIT_LIBS) -lpthread
tests_unit_test_ec2_sweep_SOURCES = tests/unit/test_ec2_sweep.c tests/ec2/fakeec2.h \
	tests/unit/unit.h
tests_unit_test_ec2_sweep_CFLAGS = $(SWEEP_UNIT_CFLAGS)
tests_unit_test_ec2_sweep_LDADD = $(tests_unit_test_ec2_aws_LDADD)
endif
endif

TESTS += tests/integration/test_sweep.py
EXTRA_DIST += tests/integration/test_sweep.py
