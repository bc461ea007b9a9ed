# memory, cpu and filesystem through Win32 (./configure
# --host=x86_64-w64-mingw32), each a DLL named like its Linux counterpart,
# so a config says `memory = {};` on both; built in plugins/win/ to keep the
# two apart.
if BUILD_PLUGIN_WINDOWS_METRICS
plugin_LTLIBRARIES += plugins/win/memory.la plugins/win/cpu.la plugins/win/filesystem.la
plugins_win_memory_la_SOURCES = plugins/windows_metrics/memory.c
plugins_win_memory_la_LDFLAGS = $(PLUGIN_LDFLAGS) $(SABA_WIN_DLL_LDFLAGS)
plugins_win_cpu_la_SOURCES = plugins/windows_metrics/cpu.c
plugins_win_cpu_la_LDFLAGS = $(PLUGIN_LDFLAGS) $(SABA_WIN_DLL_LDFLAGS)
plugins_win_filesystem_la_SOURCES = plugins/windows_metrics/filesystem.c
plugins_win_filesystem_la_LDFLAGS = $(PLUGIN_LDFLAGS) $(SABA_WIN_DLL_LDFLAGS)
endif
EXTRA_DIST += plugins/windows_metrics/memory.c plugins/windows_metrics/cpu.c \
	plugins/windows_metrics/filesystem.c
