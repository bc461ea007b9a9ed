# Windows plugins (./configure --host=x86_64-w64-mingw32): windows_scm, the
# service host and SCM shutdown trigger, and memory, cpu and filesystem
# through Win32, each a DLL named like its Linux counterpart.

# The classifier is pure C: a convenience library for the plugin and for
# the native unit test (tests/windows.mk), so it builds everywhere.
noinst_LTLIBRARIES += plugins/libsabascmclassify.la
plugins_libsabascmclassify_la_SOURCES = plugins/windows_scm_classify.c \
	plugins/windows_scm_classify.h

if BUILD_PLUGIN_WINDOWS_SCM
plugin_LTLIBRARIES += plugins/windows_scm.la
plugins_windows_scm_la_SOURCES = plugins/windows_scm.c plugins/windows_scm_event.c \
	plugins/windows_scm_event.h
plugins_windows_scm_la_LDFLAGS = $(PLUGIN_LDFLAGS) $(SABA_WIN_DLL_LDFLAGS)
plugins_windows_scm_la_LIBADD = plugins/libsabascmclassify.la plugins/libsabatrigger.la \
	plugins/libsabaplugconf.la -ladvapi32 -lwevtapi
endif

# Same module names as the Linux plugins, so a config says `memory = {};`
# on both; built in plugins/win/ to keep the two apart.
if BUILD_PLUGIN_WINDOWS_METRICS
plugin_LTLIBRARIES += plugins/win/memory.la plugins/win/cpu.la plugins/win/filesystem.la
plugins_win_memory_la_SOURCES = plugins/win/memory.c
plugins_win_memory_la_LDFLAGS = $(PLUGIN_LDFLAGS) $(SABA_WIN_DLL_LDFLAGS)
plugins_win_cpu_la_SOURCES = plugins/win/cpu.c
plugins_win_cpu_la_LDFLAGS = $(PLUGIN_LDFLAGS) $(SABA_WIN_DLL_LDFLAGS)
plugins_win_filesystem_la_SOURCES = plugins/win/filesystem.c
plugins_win_filesystem_la_LDFLAGS = $(PLUGIN_LDFLAGS) $(SABA_WIN_DLL_LDFLAGS)
endif

# No libgcc or winpthread DLL beside the plugin DLLs either.
SABA_WIN_DLL_LDFLAGS = -Wc,-static-libgcc

EXTRA_DIST += plugins/windows_scm.c plugins/windows_scm_event.c plugins/windows_scm_event.h \
	plugins/win/memory.c plugins/win/cpu.c plugins/win/filesystem.c \
	etc/saba-agent-windows.conf win/build-deps.sh win/cross-build.sh win/make-zip.sh

# The installer-free zip: saba-agent.exe, saba-agent.conf and plugins\*.dll
# in one folder (win/make-zip.sh).
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
