# The ec2 plugin: cloud identity, IMDS termination signals, retire
# confirmation through DescribeInstances, and the fleet sweeper.  Everything
# but the descriptor is a convenience library shared with the unit tests.
#
# Its tests: the pure decisions over tables, the AWS side (XML reader,
# credentials) and the sweeper's decisions (CUnit), and the real agent
# against a fake IMDS (tests/plugins/ec2/fakeimds.py), a fake EC2 Query API
# (tests/plugins/ec2/fakeec2.js, Node.js, every signature verified with the
# npm package aws4, fetched by tests/plugins/ec2/aws4.py) and the fake
# Mackerel API, all on 127.0.0.1.
if BUILD_PLUGIN_EC2
noinst_LTLIBRARIES += plugins/ec2/libsabaec2.la
plugins_ec2_libsabaec2_la_SOURCES = plugins/ec2/imds.c plugins/ec2/imds.h \
	plugins/ec2/aws.c plugins/ec2/aws.h plugins/ec2/xml.c plugins/ec2/xml.h \
	plugins/ec2/classify.c plugins/ec2/classify.h \
	plugins/ec2/identity.c plugins/ec2/identity.h \
	plugins/ec2/self.c plugins/ec2/self.h plugins/ec2/poller.c plugins/ec2/poller.h \
	plugins/ec2/sweep.c plugins/ec2/sweep.h
plugins_ec2_libsabaec2_la_CPPFLAGS = $(AM_CPPFLAGS) $(SABA_WIN_STATIC_PTHREAD)
plugins_ec2_libsabaec2_la_CFLAGS = $(AM_CFLAGS) $(CURL_CFLAGS) $(JANSSON_CFLAGS) $(EXPAT_CFLAGS)
plugins_ec2_libsabaec2_la_LIBADD = plugins/lib/libsabasweep.la plugins/lib/libsabaclock.la \
	$(CURL_LIBS) $(JANSSON_LIBS) $(EXPAT_LIBS)

plugin_LTLIBRARIES += plugins/ec2.la
plugins_ec2_la_SOURCES = plugins/ec2/ec2.c
plugins_ec2_la_CPPFLAGS = $(AM_CPPFLAGS) $(SABA_WIN_STATIC_PTHREAD)
plugins_ec2_la_CFLAGS = $(AM_CFLAGS) $(CURL_CFLAGS) $(JANSSON_CFLAGS)
plugins_ec2_la_LDFLAGS = $(PLUGIN_LDFLAGS)
plugins_ec2_la_LIBADD = plugins/ec2/libsabaec2.la plugins/lib/libsabaplugconf.la
if SABA_WINDOWS
# libtool leaves the convenience library's static libcurl, jansson and
# expat (and their Windows system libraries, from pkg-config --static) off
# the DLL's link line: name them here.  No libgcc or winpthread DLL beside
# ec2.dll.
plugins_ec2_la_LIBADD += $(CURL_LIBS) $(JANSSON_LIBS) $(EXPAT_LIBS)
plugins_ec2_la_LDFLAGS += $(SABA_WIN_DLL_LDFLAGS) -Wc,-static
endif

if HAVE_CUNIT
EC2_UNIT_TESTS = tests/plugins/ec2/test_classify tests/plugins/ec2/test_aws \
	tests/plugins/ec2/test_sweep
check_PROGRAMS += $(EC2_UNIT_TESTS)
TESTS += $(EC2_UNIT_TESTS)
tests_plugins_ec2_test_classify_SOURCES = tests/plugins/ec2/test_classify.c tests/lib/unit.h
tests_plugins_ec2_test_classify_CPPFLAGS = $(UNIT_CPPFLAGS)
tests_plugins_ec2_test_classify_CFLAGS = $(AM_CFLAGS) $(CUNIT_CFLAGS)
tests_plugins_ec2_test_classify_LDADD = plugins/ec2/libsabaec2.la $(CUNIT_LIBS)
EC2_UNIT_CFLAGS = $(UNIT_CFLAGS) $(EXPAT_CFLAGS)
tests_plugins_ec2_test_aws_SOURCES = tests/plugins/ec2/test_aws.c tests/plugins/ec2/fakeec2.h \
	tests/lib/unit.h
tests_plugins_ec2_test_aws_CPPFLAGS = $(UNIT_CPPFLAGS)
tests_plugins_ec2_test_aws_CFLAGS = $(EC2_UNIT_CFLAGS)
tests_plugins_ec2_test_aws_LDADD = plugins/ec2/libsabaec2.la $(CURL_LIBS) $(JANSSON_LIBS) \
	$(CUNIT_LIBS) -lpthread
tests_plugins_ec2_test_sweep_SOURCES = tests/plugins/ec2/test_sweep.c \
	tests/plugins/ec2/fakeec2.h tests/lib/unit.h
tests_plugins_ec2_test_sweep_CPPFLAGS = $(UNIT_CPPFLAGS)
tests_plugins_ec2_test_sweep_CFLAGS = $(EC2_UNIT_CFLAGS)
tests_plugins_ec2_test_sweep_LDADD = $(tests_plugins_ec2_test_aws_LDADD)
endif

TESTS += tests/integration/test_ec2.py tests/integration/test_sweep.py

# Its fuzz targets, the XML, host list and IMDS readers (tests/fuzz/fuzz_ec2_*.c,
# which need expat as the plugin does): make fuzz runs them, make check
# replays their corpora (tests/fuzz/local.mk).
FUZZ_NAMES += ec2_xml ec2_hostlist ec2_imds
FUZZ_EC2_ARCHIVE = $(FUZZ_OUT)/libec2.a
FUZZ_BINS += $(FUZZ_OUT)/fuzz_ec2_xml $(FUZZ_OUT)/fuzz_ec2_hostlist $(FUZZ_OUT)/fuzz_ec2_imds
FUZZ_RUNS += fuzz-run-ec2_xml fuzz-run-ec2_hostlist fuzz-run-ec2_imds
FUZZ_HARNESS_SRC += tests/fuzz/fuzz_ec2_xml.c tests/fuzz/fuzz_ec2_hostlist.c \
	tests/fuzz/fuzz_ec2_imds.c
if !SABA_WINDOWS
FUZZ_EC2_REPLAYS = tests/fuzz/replay_ec2_xml tests/fuzz/replay_ec2_hostlist \
	tests/fuzz/replay_ec2_imds
check_PROGRAMS += $(FUZZ_EC2_REPLAYS)
TESTS += $(FUZZ_EC2_REPLAYS)
FUZZ_EC2_CFLAGS = $(FUZZ_REPLAY_CFLAGS) $(EXPAT_CFLAGS)
FUZZ_EC2_LDADD = plugins/ec2/libsabaec2.la $(SABA_TEST_LIBS) $(CURL_LIBS) $(JANSSON_LIBS) \
	$(EXPAT_LIBS) $(LIBCONFIG_LIBS)
tests_fuzz_replay_ec2_xml_SOURCES = tests/fuzz/fuzz_ec2_xml.c $(FUZZ_REPLAY_SOURCES)
tests_fuzz_replay_ec2_xml_CPPFLAGS = $(FUZZ_CPPFLAGS) -DFUZZ_NAME='"ec2_xml"'
tests_fuzz_replay_ec2_xml_CFLAGS = $(FUZZ_EC2_CFLAGS)
tests_fuzz_replay_ec2_xml_LDADD = $(FUZZ_EC2_LDADD)
tests_fuzz_replay_ec2_xml_LDFLAGS = $(FUZZ_REPLAY_LINK_FLAGS)
tests_fuzz_replay_ec2_hostlist_SOURCES = tests/fuzz/fuzz_ec2_hostlist.c $(FUZZ_REPLAY_SOURCES)
tests_fuzz_replay_ec2_hostlist_CPPFLAGS = $(FUZZ_CPPFLAGS) -DFUZZ_NAME='"ec2_hostlist"'
tests_fuzz_replay_ec2_hostlist_CFLAGS = $(FUZZ_EC2_CFLAGS)
tests_fuzz_replay_ec2_hostlist_LDADD = $(FUZZ_EC2_LDADD)
tests_fuzz_replay_ec2_hostlist_LDFLAGS = $(FUZZ_REPLAY_LINK_FLAGS)
tests_fuzz_replay_ec2_imds_SOURCES = tests/fuzz/fuzz_ec2_imds.c $(FUZZ_REPLAY_SOURCES)
tests_fuzz_replay_ec2_imds_CPPFLAGS = $(FUZZ_CPPFLAGS) -DFUZZ_NAME='"ec2_imds"'
tests_fuzz_replay_ec2_imds_CFLAGS = $(FUZZ_EC2_CFLAGS)
tests_fuzz_replay_ec2_imds_LDADD = $(FUZZ_EC2_LDADD)
tests_fuzz_replay_ec2_imds_LDFLAGS = $(FUZZ_REPLAY_LINK_FLAGS)
endif
endif
EXTRA_DIST += plugins/ec2/ec2.c plugins/ec2/imds.c plugins/ec2/imds.h plugins/ec2/aws.c \
	plugins/ec2/aws.h plugins/ec2/classify.c plugins/ec2/classify.h plugins/ec2/identity.c \
	plugins/ec2/identity.h plugins/ec2/self.c plugins/ec2/self.h plugins/ec2/poller.c \
	plugins/ec2/poller.h plugins/ec2/sweep.c plugins/ec2/sweep.h plugins/ec2/xml.c \
	plugins/ec2/xml.h plugins/ec2/hostlist.c plugins/ec2/hostlist.h \
	tests/plugins/ec2/test_classify.c tests/plugins/ec2/fakeimds.py \
	tests/plugins/ec2/fakeec2.js tests/plugins/ec2/fakeec2.py tests/plugins/ec2/aws4.py \
	tests/integration/test_ec2.py tests/integration/test_sweep.py
