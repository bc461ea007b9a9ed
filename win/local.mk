# Cross-building for Windows (win/build-deps.sh, win/cross-build.sh) and
# the installer-free zip: saba-agent.exe, saba-agent.conf and
# plugins\*.dll in one folder (win/make-zip.sh).
EXTRA_DIST += etc/saba-agent-windows.conf win/build-deps.sh win/cross-build.sh win/make-zip.sh

if SABA_WINDOWS
saba-agent-win64.zip: all
	@if grep -q '^#define SABA_TEST_CONTROLS 1' config.h; then \
	  echo "win-zip: refusing to package a build configured with --enable-test-controls" >&2; \
	  exit 1; fi
	$(AM_V_GEN)$(SHELL) $(srcdir)/win/make-zip.sh $@ core/saba-agent.exe \
	  $(srcdir)/etc/saba-agent-windows.conf $(plugin_LTLIBRARIES)
win-zip: saba-agent-win64.zip
CLEANFILES += saba-agent-win64.zip
endif
