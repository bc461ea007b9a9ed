# Plugin SDK (issue 8): saba-plugin.pc, the man pages, and what the SDK check
# (sdk/ci-check.sh) and the out-of-tree examples need in the tarball.

# --- saba-plugin.pc ---
# Generated here rather than by configure (configure.ac stays untouched):
# paths come from make, the ABI numbers from the installed header itself so
# the two can never disagree.
pkgconfigdir = $(libdir)/pkgconfig
pkgconfig_DATA = sdk/saba-plugin.pc
CLEANFILES += sdk/saba-plugin.pc
EXTRA_DIST += sdk/saba-plugin.pc.in

sdk/saba-plugin.pc: $(srcdir)/sdk/saba-plugin.pc.in $(srcdir)/include/saba/plugin.h Makefile
	$(AM_V_GEN)$(MKDIR_P) sdk && \
	h="$(srcdir)/include/saba/plugin.h" && \
	major=`sed -n 's/^.define[ 	]*SABA_PLUGIN_ABI_MAJOR[ 	]*\([0-9]*\)[ 	]*$$/\1/p' "$$h"` && \
	minor=`sed -n 's/^.define[ 	]*SABA_PLUGIN_ABI_MINOR[ 	]*\([0-9]*\)[ 	]*$$/\1/p' "$$h"` && \
	test -n "$$major" && test -n "$$minor" && \
	sed -e 's|[@]prefix[@]|$(prefix)|g' \
	    -e 's|[@]exec_prefix[@]|$(exec_prefix)|g' \
	    -e 's|[@]libdir[@]|$(libdir)|g' \
	    -e 's|[@]includedir[@]|$(includedir)|g' \
	    -e 's|[@]bindir[@]|$(bindir)|g' \
	    -e 's|[@]plugindir[@]|$(plugindir)|g' \
	    -e "s|[@]abi_major[@]|$$major|g" \
	    -e "s|[@]abi_minor[@]|$$minor|g" \
	    -e 's|[@]VERSION[@]|$(VERSION)|g' \
	    "$(srcdir)/sdk/saba-plugin.pc.in" > $@.tmp && mv $@.tmp $@

# --- man pages ---
dist_man_MANS = man/saba-agent.8 man/saba-agent.conf.5 man/saba-plugin.7

# --- examples: installed as documentation, built out of tree only ---
sabaexamplesdir = $(docdir)/examples
dist_sabaexamples_DATA = examples/README examples/configure.ac.snippet
sabaexamples_metricdir = $(sabaexamplesdir)/metric
dist_sabaexamples_metric_DATA = examples/metric/Makefile examples/metric/example_metric.c
sabaexamples_triggerdir = $(sabaexamplesdir)/trigger
dist_sabaexamples_trigger_DATA = examples/trigger/Makefile examples/trigger/example_trigger.c

# --- the SDK check (sdk/ci-check.sh, run by CI; see make sdk-check) ---
EXTRA_DIST += sdk/ci-check.sh sdk/abi/saba-plugin-1.0.h

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
