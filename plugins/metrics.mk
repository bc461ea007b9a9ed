# The cpu, disk, interface and filesystem plugins.  Their shared helpers
# (file reading, name sanitising, the regex setting, counter samples, JSON
# text) are one convenience library linked into each module, beside
# libsabaprocfs for the procfs setting.
# (POSIX regex: not in the Windows build, whose plugins are windows.mk's.)
if !SABA_WINDOWS
noinst_LTLIBRARIES += plugins/libsabametric.la
endif
plugins_libsabametric_la_SOURCES = plugins/metricutil.c plugins/metricutil.h
SABA_METRIC_LIBADD = plugins/libsabametric.la plugins/libsabaprocfs.la

if BUILD_PLUGIN_CPU
plugin_LTLIBRARIES += plugins/cpu.la
plugins_cpu_la_SOURCES = plugins/cpu.c
plugins_cpu_la_LDFLAGS = $(PLUGIN_LDFLAGS)
plugins_cpu_la_LIBADD = $(SABA_METRIC_LIBADD)
endif

if BUILD_PLUGIN_DISK
plugin_LTLIBRARIES += plugins/disk.la
plugins_disk_la_SOURCES = plugins/disk.c
plugins_disk_la_LDFLAGS = $(PLUGIN_LDFLAGS)
plugins_disk_la_LIBADD = $(SABA_METRIC_LIBADD)
endif

if BUILD_PLUGIN_INTERFACE
plugin_LTLIBRARIES += plugins/interface.la
plugins_interface_la_SOURCES = plugins/interface.c
plugins_interface_la_LDFLAGS = $(PLUGIN_LDFLAGS)
plugins_interface_la_LIBADD = $(SABA_METRIC_LIBADD)
endif

if BUILD_PLUGIN_FILESYSTEM
plugin_LTLIBRARIES += plugins/filesystem.la
plugins_filesystem_la_SOURCES = plugins/filesystem.c
plugins_filesystem_la_LDFLAGS = $(PLUGIN_LDFLAGS)
plugins_filesystem_la_LIBADD = $(SABA_METRIC_LIBADD)
endif
