# The Windows metric plugins (./configure --host=x86_64-w64-mingw32): memory,
# cpu, filesystem, interface and disk, each a DLL named like its Linux
# counterpart, so a config says `memory = {};` on both, and
# processor_queue_length; built in plugins/win/ to keep the two apart.
if BUILD_PLUGIN_WINDOWS_METRICS
plugin_LTLIBRARIES += plugins/win/memory.la plugins/win/cpu.la plugins/win/filesystem.la \
	plugins/win/interface.la plugins/win/disk.la plugins/win/processor_queue_length.la
plugins_win_memory_la_SOURCES = plugins/windows_metrics/memory.c
plugins_win_memory_la_LDFLAGS = $(PLUGIN_LDFLAGS) $(SABA_WIN_DLL_LDFLAGS)
plugins_win_cpu_la_SOURCES = plugins/windows_metrics/cpu.c
plugins_win_cpu_la_LDFLAGS = $(PLUGIN_LDFLAGS) $(SABA_WIN_DLL_LDFLAGS)
plugins_win_filesystem_la_SOURCES = plugins/windows_metrics/filesystem.c
plugins_win_filesystem_la_LDFLAGS = $(PLUGIN_LDFLAGS) $(SABA_WIN_DLL_LDFLAGS)
plugins_win_interface_la_SOURCES = plugins/windows_metrics/interface.c
plugins_win_interface_la_CPPFLAGS = $(AM_CPPFLAGS) $(SABA_WIN_STATIC_PTHREAD)
plugins_win_interface_la_LDFLAGS = $(PLUGIN_LDFLAGS) $(SABA_WIN_DLL_LDFLAGS) -Wc,-static
plugins_win_interface_la_LIBADD = plugins/lib/libsabametric.la plugins/lib/libsabapattern.la \
	$(PCRE2_LIBS) -liphlpapi
plugins_win_disk_la_SOURCES = plugins/windows_metrics/disk.c
plugins_win_disk_la_CPPFLAGS = $(AM_CPPFLAGS) $(SABA_WIN_STATIC_PTHREAD)
plugins_win_disk_la_LDFLAGS = $(PLUGIN_LDFLAGS) $(SABA_WIN_DLL_LDFLAGS) -Wc,-static
plugins_win_disk_la_LIBADD = plugins/lib/libsabametric.la plugins/lib/libsabapattern.la \
	$(PCRE2_LIBS)
plugins_win_processor_queue_length_la_SOURCES = plugins/windows_metrics/processor_queue_length.c
plugins_win_processor_queue_length_la_LDFLAGS = $(PLUGIN_LDFLAGS) $(SABA_WIN_DLL_LDFLAGS)
plugins_win_processor_queue_length_la_LIBADD = -lpdh
endif
EXTRA_DIST += plugins/windows_metrics/memory.c plugins/windows_metrics/cpu.c \
	plugins/windows_metrics/filesystem.c plugins/windows_metrics/interface.c \
	plugins/windows_metrics/disk.c plugins/windows_metrics/processor_queue_length.c
