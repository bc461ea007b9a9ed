# The command plugins: exec (mackerel-agent metric plugins) and check
# (Nagios/mackerel-agent check plugins).  The process-running code they
# share is a convenience library linked into both modules.
# (fork/exec: not in the Windows build.)
if !SABA_WINDOWS
noinst_LTLIBRARIES += plugins/libsabacommand.la
endif
plugins_libsabacommand_la_SOURCES = plugins/command.c plugins/cmdconf.c plugins/command.h

if BUILD_PLUGIN_EXEC
plugin_LTLIBRARIES += plugins/exec.la
plugins_exec_la_SOURCES = plugins/exec.c
plugins_exec_la_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS)
plugins_exec_la_LDFLAGS = $(PLUGIN_LDFLAGS)
plugins_exec_la_LIBADD = plugins/libsabacommand.la $(JANSSON_LIBS)
endif

if BUILD_PLUGIN_CHECK
plugin_LTLIBRARIES += plugins/check.la
plugins_check_la_SOURCES = plugins/check.c
plugins_check_la_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS)
plugins_check_la_LDFLAGS = $(PLUGIN_LDFLAGS)
plugins_check_la_LIBADD = plugins/libsabacommand.la $(JANSSON_LIBS)
endif
