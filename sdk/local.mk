# Plugin SDK: saba-plugin.pc, the man pages, and what the SDK check
# (sdk/ci-check.sh) and the out-of-tree examples need in the tarball.

# --- saba-plugin.pc and saba-plugin-test.pc ---
# Generated here rather than by configure (configure.ac stays untouched):
# paths come from make, the ABI numbers from the installed header itself so
# the two can never disagree.
pkgconfigdir = $(libdir)/pkgconfig
pkgconfig_DATA = sdk/saba-plugin.pc sdk/saba-plugin-test.pc
CLEANFILES += sdk/saba-plugin.pc sdk/saba-plugin-test.pc
EXTRA_DIST += sdk/saba-plugin.pc.in sdk/saba-plugin-test.pc.in

# Fill a .pc.in (path in $$in) into $@.
saba_pc_subst = \
	h="$(srcdir)/include/saba/plugin.h" && \
	major=`sed -n 's/^.define[ 	]*SABA_PLUGIN_ABI_MAJOR[ 	]*\([0-9]*\)[ 	]*$$/\1/p' "$$h"` && \
	minor=`sed -n 's/^.define[ 	]*SABA_PLUGIN_ABI_MINOR[ 	]*\([0-9]*\)[ 	]*$$/\1/p' "$$h"` && \
	test -n "$$major" && test -n "$$minor" && $(MKDIR_P) sdk && \
	sed -e 's|[@]prefix[@]|$(prefix)|g' \
	    -e 's|[@]exec_prefix[@]|$(exec_prefix)|g' \
	    -e 's|[@]libdir[@]|$(libdir)|g' \
	    -e 's|[@]includedir[@]|$(includedir)|g' \
	    -e 's|[@]bindir[@]|$(bindir)|g' \
	    -e 's|[@]plugindir[@]|$(plugindir)|g' \
	    -e "s|[@]abi_major[@]|$$major|g" \
	    -e "s|[@]abi_minor[@]|$$minor|g" \
	    -e 's|[@]VERSION[@]|$(VERSION)|g' \
	    -e 's|[@]testlib_private_libs[@]|$(JANSSON_LIBS) $(LIBCONFIG_LIBS)|g' \
	    "$$in" > $@.tmp && mv $@.tmp $@

sdk/saba-plugin.pc: $(srcdir)/sdk/saba-plugin.pc.in $(srcdir)/include/saba/plugin.h Makefile
	$(AM_V_GEN)in="$(srcdir)/sdk/saba-plugin.pc.in" && $(saba_pc_subst)

sdk/saba-plugin-test.pc: $(srcdir)/sdk/saba-plugin-test.pc.in $(srcdir)/include/saba/plugin.h \
		Makefile
	$(AM_V_GEN)in="$(srcdir)/sdk/saba-plugin-test.pc.in" && $(saba_pc_subst)

# --- libsaba-plugin-test: a fake host table for plugin unit tests ---
# Installed for plugin authors; the in-tree plugin tests link the same
# library (SABA_TEST_* below), so there is one fake host, not two.  It
# needs only <saba/plugin.h>, libconfig and jansson, and of core/ only
# core/settings.c and core/duration.c (the settings rules, libconfig only:
# the fake host checks a plugin's settings exactly as the agent does).  POSIX
# only (it loads modules with dlopen); not part of the Windows build.
if !SABA_WINDOWS
lib_LTLIBRARIES = sdk/libsaba-plugin-test.la
sdk_libsaba_plugin_test_la_SOURCES = \
	sdk/testlib/testhost.c sdk/testlib/testhost.h \
	sdk/testlib/hostfns.c sdk/testlib/hostfns.h \
	sdk/testlib/api.c sdk/testlib/api.h \
	sdk/testlib/drive.c \
	sdk/testlib/query.c \
	core/settings.c core/settings.h core/duration.c core/duration.h
sdk_libsaba_plugin_test_la_CPPFLAGS = -I$(top_srcdir)/include -I$(top_srcdir)/sdk/include
sdk_libsaba_plugin_test_la_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS) $(LIBCONFIG_CFLAGS)
sdk_libsaba_plugin_test_la_LIBADD = $(JANSSON_LIBS) $(LIBCONFIG_LIBS)
# Interface version current:revision:age (libtool's rules); the header's
# SABA_TEST_API functions are the only exports.
sdk_libsaba_plugin_test_la_LDFLAGS = $(AM_LDFLAGS) -version-info 0:0:0 -no-undefined \
	-export-symbols-regex '^saba_test_'
sabatest_includedir = $(includedir)/saba
sabatest_include_HEADERS = sdk/include/saba/plugin-test.h
endif

# For in-tree tests that drive a plugin through the fake host.
# -no-install: a real binary with the library's build path, no libtool
# wrapper script (valgrind must see the test, not a shell).
SABA_TEST_CFLAGS = -I$(top_srcdir)/sdk/include
SABA_TEST_LIBS = sdk/libsaba-plugin-test.la
SABA_TEST_LINK_FLAGS = $(AM_LDFLAGS) -no-install

# The library's own test: what the plugin tests do not reach (the ABI 1.2
# fakes, the descriptor and retire rules).  Without core/, on purpose.
if HAVE_CUNIT
if !SABA_WINDOWS
check_PROGRAMS += tests/sdk/test_plugin_test
TESTS += tests/sdk/test_plugin_test
tests_sdk_test_plugin_test_SOURCES = tests/sdk/test_plugin_test.c tests/lib/unit.h
tests_sdk_test_plugin_test_CPPFLAGS = $(UNIT_CPPFLAGS)
tests_sdk_test_plugin_test_CFLAGS = $(AM_CFLAGS) $(CUNIT_CFLAGS) $(SABA_TEST_CFLAGS)
tests_sdk_test_plugin_test_LDADD = $(SABA_TEST_LIBS) $(CUNIT_LIBS)
tests_sdk_test_plugin_test_LDFLAGS = $(SABA_TEST_LINK_FLAGS)
endif
endif

# --- man pages ---
dist_man_MANS = man/saba-agent.8 man/saba-agent.conf.5 man/saba-plugin.7

# --- examples: installed as documentation, built out of tree only ---
sabaexamplesdir = $(docdir)/examples
dist_sabaexamples_DATA = examples/README examples/configure.ac.snippet
sabaexamples_metricdir = $(sabaexamplesdir)/metric
dist_sabaexamples_metric_DATA = examples/metric/Makefile examples/metric/example_metric.c \
	examples/metric/test_example_metric.c
sabaexamples_triggerdir = $(sabaexamplesdir)/trigger
dist_sabaexamples_trigger_DATA = examples/trigger/Makefile examples/trigger/example_trigger.c

# --- the SDK check (sdk/ci-check.sh, run by CI; see make sdk-check) ---
EXTRA_DIST += sdk/ci-check.sh sdk/abi/saba-plugin-1.0.h sdk/abi/saba-plugin-1.1.h \
	sdk/abi/saba-plugin-1.2.h sdk/abi/saba-plugin-1.3.h sdk/abi/legacy.c

# The installation directories, as shell assignments, for sdk/ci-check.sh.
sdk-dirs:
	@echo "prefix='$(prefix)'"
	@echo "bindir='$(bindir)'"
	@echo "libdir='$(libdir)'"
	@echo "includedir='$(includedir)'"
	@echo "plugindir='$(plugindir)'"
	@echo "pkgconfigdir='$(pkgconfigdir)'"
	@echo "mandir='$(mandir)'"
	@echo "docdir='$(docdir)'"

# Build the examples against a DESTDIR install of this tree and load them.
sdk-check: all
	$(SHELL) "$(srcdir)/sdk/ci-check.sh"

.PHONY: sdk-dirs sdk-check
