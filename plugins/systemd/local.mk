# The systemd shutdown trigger (sd-bus from libsystemd), the unit file, and
# the trigger's tests: the classifier over job tables (CUnit) and the system
# test, the real agent under a real systemd in a container (root,
# debootstrap and systemd-nspawn; skipped otherwise, and when
# SABA_SKIP_SYSTEM_TESTS=1).

# The classifier is pure, so it is a convenience library shared by the
# plugin and its unit test (never linked into the agent).
if BUILD_PLUGIN_SYSTEMD
noinst_LTLIBRARIES += plugins/systemd/libsabasdclassify.la
plugins_systemd_libsabasdclassify_la_SOURCES = plugins/systemd/classify.c \
	plugins/systemd/classify.h

plugin_LTLIBRARIES += plugins/systemd.la
plugins_systemd_la_SOURCES = plugins/systemd/systemd.c
plugins_systemd_la_CFLAGS = $(AM_CFLAGS) $(LIBSYSTEMD_CFLAGS)
plugins_systemd_la_LDFLAGS = $(PLUGIN_LDFLAGS)
plugins_systemd_la_LIBADD = plugins/systemd/libsabasdclassify.la plugins/lib/libsabatrigger.la \
	plugins/lib/libsabaclock.la $(LIBSYSTEMD_LIBS)

if HAVE_CUNIT
check_PROGRAMS += tests/plugins/systemd/test_classify tests/plugins/systemd/test_systemd
TESTS += tests/plugins/systemd/test_classify tests/plugins/systemd/test_systemd
tests_plugins_systemd_test_classify_SOURCES = tests/plugins/systemd/test_classify.c \
	tests/lib/unit.h
tests_plugins_systemd_test_classify_CPPFLAGS = $(UNIT_CPPFLAGS)
tests_plugins_systemd_test_classify_CFLAGS = $(AM_CFLAGS) $(CUNIT_CFLAGS)
tests_plugins_systemd_test_classify_LDADD = plugins/systemd/libsabasdclassify.la $(CUNIT_LIBS)
# shutdown() against a D-Bus socket that never answers
tests_plugins_systemd_test_systemd_SOURCES = tests/plugins/systemd/test_systemd.c \
	$(PLUGTEST_SOURCES)
tests_plugins_systemd_test_systemd_CPPFLAGS = $(UNIT_CPPFLAGS)
tests_plugins_systemd_test_systemd_CFLAGS = $(UNIT_CFLAGS) $(SABA_TEST_CFLAGS)
tests_plugins_systemd_test_systemd_LDADD = $(SABA_TEST_LIBS) $(UNIT_LDADD)
tests_plugins_systemd_test_systemd_LDFLAGS = $(SABA_TEST_LINK_FLAGS)
endif

TESTS += tests/system/test_systemd.py
endif
EXTRA_DIST += plugins/systemd/systemd.c plugins/systemd/classify.c plugins/systemd/classify.h \
	tests/plugins/systemd/test_classify.c tests/system/test_systemd.py

# etc/saba-agent.service with the configured paths.  Always built (the
# system test installs it by hand when configure found no unit dir);
# installed into $(systemdsystemunitdir) when there is one.
saba_unit_edit = sed -e 's|@bindir[@]|$(bindir)|g' \
	-e 's|@sysconfdir[@]|$(sysconfdir)|g' \
	-e 's|@saba_statedir[@]|$(saba_statedir)|g'

etc/saba-agent.service: $(srcdir)/etc/saba-agent.service.in Makefile
	$(AM_V_GEN)$(MKDIR_P) etc && \
	  $(saba_unit_edit) "$(srcdir)/etc/saba-agent.service.in" > $@.tmp && mv $@.tmp $@

# The opt-in drop-in that sandboxes the agent and its plugins (the unit
# itself leaves plugins as mackerel-agent runs them), installed as
# documentation for the operator to copy.
etc/saba-agent-hardening.conf: $(srcdir)/etc/saba-agent-hardening.conf.in Makefile
	$(AM_V_GEN)$(MKDIR_P) etc && \
	  $(saba_unit_edit) "$(srcdir)/etc/saba-agent-hardening.conf.in" > $@.tmp && mv $@.tmp $@

noinst_DATA = etc/saba-agent.service
nodist_doc_DATA = etc/saba-agent-hardening.conf
CLEANFILES += etc/saba-agent.service etc/saba-agent.service.tmp \
	etc/saba-agent-hardening.conf etc/saba-agent-hardening.conf.tmp
EXTRA_DIST += etc/saba-agent.service.in etc/saba-agent-hardening.conf.in

if INSTALL_SYSTEMD_UNIT
systemdsystemunit_DATA = etc/saba-agent.service

# ProtectSystem=full (the hardening drop-in) keeps /usr read-only: a state
# directory under the prefix (e.g. /usr/local/var/lib/saba-agent) must
# exist for its ReadWritePaths= to make it writable.
install-data-hook:
	$(MKDIR_P) "$(DESTDIR)$(saba_statedir)"
endif
