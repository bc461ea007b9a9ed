# The SysV init shutdown trigger (utmp), the init script and its defaults,
# and the trigger's tests: the classifier and utmp reader over utmp files
# the test writes (CUnit), and the system test under a real sysvinit in a
# container (root, debootstrap and systemd-nspawn; skipped otherwise, and
# when SABA_SKIP_SYSTEM_TESTS=1).

# The classifier and utmp reader are pure, so they are a convenience
# library shared by the plugin and its unit test (never linked into the
# agent).
if BUILD_PLUGIN_SYSV
noinst_LTLIBRARIES += plugins/sysv/libsabasysvclassify.la
plugins_sysv_libsabasysvclassify_la_SOURCES = plugins/sysv/classify.c plugins/sysv/classify.h

plugin_LTLIBRARIES += plugins/sysv.la
plugins_sysv_la_SOURCES = plugins/sysv/sysv.c
plugins_sysv_la_LDFLAGS = $(PLUGIN_LDFLAGS)
plugins_sysv_la_LIBADD = plugins/sysv/libsabasysvclassify.la plugins/lib/libsabatrigger.la

if HAVE_CUNIT
check_PROGRAMS += tests/plugins/sysv/test_classify
TESTS += tests/plugins/sysv/test_classify
tests_plugins_sysv_test_classify_SOURCES = tests/plugins/sysv/test_classify.c tests/lib/unit.h
tests_plugins_sysv_test_classify_CPPFLAGS = $(UNIT_CPPFLAGS)
tests_plugins_sysv_test_classify_CFLAGS = $(AM_CFLAGS) $(CUNIT_CFLAGS)
tests_plugins_sysv_test_classify_LDADD = plugins/sysv/libsabasysvclassify.la $(CUNIT_LIBS)
endif

TESTS += tests/system/test_sysv.py
endif
EXTRA_DIST += plugins/sysv/sysv.c plugins/sysv/classify.c plugins/sysv/classify.h \
	tests/plugins/sysv/test_classify.c tests/system/test_sysv.py

# Its fuzz target (tests/fuzz/fuzz_utmp.c, a utmp file through the reader
# and shutdown()): make fuzz runs it, make check replays its corpus
# (tests/fuzz/local.mk).
FUZZ_NAMES += utmp
FUZZ_BINS += $(FUZZ_OUT)/fuzz_utmp
FUZZ_RUNS += fuzz-run-utmp
FUZZ_HARNESS_SRC += tests/fuzz/fuzz_utmp.c plugins/sysv/sysv.c
if !SABA_WINDOWS
check_PROGRAMS += tests/fuzz/replay_utmp
TESTS += tests/fuzz/replay_utmp
tests_fuzz_replay_utmp_SOURCES = tests/fuzz/fuzz_utmp.c plugins/sysv/classify.c \
	$(FUZZ_REPLAY_SOURCES)
tests_fuzz_replay_utmp_CPPFLAGS = $(FUZZ_CPPFLAGS) -DFUZZ_NAME='"utmp"'
tests_fuzz_replay_utmp_CFLAGS = $(FUZZ_REPLAY_CFLAGS)
tests_fuzz_replay_utmp_LDADD = $(FUZZ_PLUGIN_LDADD)
tests_fuzz_replay_utmp_LDFLAGS = $(FUZZ_REPLAY_LINK_FLAGS)
endif

# etc/init.d/saba-agent and etc/default/saba-agent with the configured
# paths.  Always built (the system test installs them by hand when
# configure was not given --with-sysvinit).
saba_sysv_edit = sed -e 's|@bindir[@]|$(bindir)|g' \
	-e 's|@sysconfdir[@]|$(sysconfdir)|g' \
	-e 's|@saba_statedir[@]|$(saba_statedir)|g'

etc/init.d/saba-agent: $(srcdir)/etc/init.d/saba-agent.in Makefile
	$(AM_V_GEN)$(MKDIR_P) etc/init.d && \
	  $(saba_sysv_edit) "$(srcdir)/etc/init.d/saba-agent.in" > $@.tmp && \
	  chmod +x $@.tmp && mv $@.tmp $@

etc/default/saba-agent: $(srcdir)/etc/default/saba-agent.in Makefile
	$(AM_V_GEN)$(MKDIR_P) etc/default && \
	  $(saba_sysv_edit) "$(srcdir)/etc/default/saba-agent.in" > $@.tmp && mv $@.tmp $@

noinst_DATA += etc/init.d/saba-agent etc/default/saba-agent
CLEANFILES += etc/init.d/saba-agent etc/init.d/saba-agent.tmp \
	etc/default/saba-agent etc/default/saba-agent.tmp
EXTRA_DIST += etc/init.d/saba-agent.in etc/default/saba-agent.in

if INSTALL_SYSVINIT
initddir = $(sysconfdir)/init.d
initd_SCRIPTS = etc/init.d/saba-agent

# The defaults file is the operator's, like saba-agent.conf: never
# overwritten, removed on uninstall only while it is still untouched.
# (sysconfdir files belong to install-exec.)
saba_sysv_defaultdir = $(sysconfdir)/default
install-exec-hook:
	$(MKDIR_P) "$(DESTDIR)$(saba_sysv_defaultdir)"
	test -f "$(DESTDIR)$(saba_sysv_defaultdir)/saba-agent" || \
	  $(INSTALL_DATA) etc/default/saba-agent "$(DESTDIR)$(saba_sysv_defaultdir)/saba-agent"

uninstall-hook:
	if cmp -s etc/default/saba-agent "$(DESTDIR)$(saba_sysv_defaultdir)/saba-agent"; then \
	  rm -f "$(DESTDIR)$(saba_sysv_defaultdir)/saba-agent"; fi
endif
