# The systemd shutdown trigger (sd-bus from libsystemd) and the unit file.

# The classifier is pure, so it is a convenience library shared by the
# plugin and its unit test (never linked into the agent).
if BUILD_PLUGIN_SYSTEMD
noinst_LTLIBRARIES += plugins/libsabasdclassify.la
plugins_libsabasdclassify_la_SOURCES = plugins/systemd_classify.c plugins/systemd_classify.h

plugin_LTLIBRARIES += plugins/systemd.la
plugins_systemd_la_SOURCES = plugins/systemd.c
plugins_systemd_la_CFLAGS = $(AM_CFLAGS) $(LIBSYSTEMD_CFLAGS)
plugins_systemd_la_LDFLAGS = $(PLUGIN_LDFLAGS)
plugins_systemd_la_LIBADD = plugins/libsabasdclassify.la plugins/libsabatrigger.la \
	$(LIBSYSTEMD_LIBS)
endif
EXTRA_DIST += plugins/systemd.c plugins/systemd_classify.c plugins/systemd_classify.h

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
