# The ec2 plugin: cloud identity, IMDS termination signals, retire
# confirmation through DescribeInstances, and the fleet sweeper.  Everything
# but the descriptor is a convenience library shared with the unit tests.
if BUILD_PLUGIN_EC2
if SABA_WINDOWS
# Windows: no winpthread DLL import in the objects (plugins/ec2_win.h).
saba_ec2_objs = -include $(top_srcdir)/plugins/ec2_win.h
else
saba_ec2_objs =
endif
noinst_LTLIBRARIES += plugins/libsabaec2.la
plugins_libsabaec2_la_SOURCES = plugins/ec2_imds.c plugins/ec2_imds.h \
	plugins/ec2_aws.c plugins/ec2_aws.h plugins/ec2_xml.c plugins/ec2_xml.h \
	plugins/ec2_hostlist.c plugins/ec2_hostlist.h \
	plugins/ec2_classify.c plugins/ec2_classify.h \
	plugins/ec2_identity.c plugins/ec2_identity.h \
	plugins/ec2_self.c plugins/ec2_self.h plugins/ec2_poller.c plugins/ec2_poller.h \
	plugins/ec2_sweep.c plugins/ec2_sweep.h
plugins_libsabaec2_la_CPPFLAGS = $(AM_CPPFLAGS) $(saba_ec2_objs)
plugins_libsabaec2_la_CFLAGS = $(AM_CFLAGS) $(CURL_CFLAGS) $(JANSSON_CFLAGS) $(EXPAT_CFLAGS)
plugins_libsabaec2_la_LIBADD = $(CURL_LIBS) $(JANSSON_LIBS) $(EXPAT_LIBS)

plugin_LTLIBRARIES += plugins/ec2.la
plugins_ec2_la_SOURCES = plugins/ec2.c
plugins_ec2_la_CPPFLAGS = $(AM_CPPFLAGS) $(saba_ec2_objs)
plugins_ec2_la_CFLAGS = $(AM_CFLAGS) $(CURL_CFLAGS) $(JANSSON_CFLAGS)
plugins_ec2_la_LDFLAGS = $(PLUGIN_LDFLAGS)
plugins_ec2_la_LIBADD = plugins/libsabaec2.la plugins/libsabaplugconf.la
if SABA_WINDOWS
# libtool leaves the convenience library's static libcurl, jansson and
# expat (and their Windows system libraries, from pkg-config --static) off
# the DLL's link line: name them here.  No libgcc or winpthread DLL beside
# ec2.dll.
plugins_ec2_la_LIBADD += $(CURL_LIBS) $(JANSSON_LIBS) $(EXPAT_LIBS)
plugins_ec2_la_LDFLAGS += $(SABA_WIN_DLL_LDFLAGS) -Wc,-static
endif
endif
EXTRA_DIST += plugins/ec2.c plugins/ec2_imds.c plugins/ec2_imds.h plugins/ec2_aws.c \
	plugins/ec2_aws.h plugins/ec2_classify.c plugins/ec2_classify.h plugins/ec2_identity.c \
	plugins/ec2_identity.h plugins/ec2_self.c plugins/ec2_self.h plugins/ec2_poller.c \
	plugins/ec2_poller.h plugins/ec2_sweep.c plugins/ec2_sweep.h plugins/ec2_xml.c \
	plugins/ec2_xml.h
EXTRA_DIST += plugins/ec2_hostlist.c plugins/ec2_hostlist.h plugins/ec2_win.h
