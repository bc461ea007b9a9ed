# Helpers shared by several plugins, each a convenience library linked into
# the modules that use it (never into the agent), and their tests.

# The plugins' one monotonic clock, linked into the libraries below that
# keep time (and the modules that do without one of them): a module must get
# it once.
noinst_LTLIBRARIES += plugins/lib/libsabaclock.la
plugins_lib_libsabaclock_la_SOURCES = plugins/lib/clock.c plugins/lib/clock.h
plugins_lib_libsabaclock_la_CPPFLAGS = $(AM_CPPFLAGS) $(SABA_WIN_STATIC_PTHREAD)
EXTRA_DIST += plugins/lib/winpthread.h

# The procfs setting and the other directory settings (the Linux metric
# plugins; not in the Windows build).
if !SABA_WINDOWS
noinst_LTLIBRARIES += plugins/lib/libsabaprocfs.la
endif
plugins_lib_libsabaprocfs_la_SOURCES = plugins/lib/procfs.c plugins/lib/procfs.h

# Shared by the shutdown triggers: the retire_on setting and what a
# classified stop does with it.
noinst_LTLIBRARIES += plugins/lib/libsabatrigger.la
plugins_lib_libsabatrigger_la_SOURCES = plugins/lib/retire_on.c plugins/lib/retire_on.h

# Config readers for plugins (ec2, windows_scm): a ranged integer setting.
noinst_LTLIBRARIES += plugins/lib/libsabaplugconf.la
plugins_lib_libsabaplugconf_la_SOURCES = plugins/lib/plugconf.c plugins/lib/plugconf.h

# The process-running code the command plugins (exec, check) share: the
# shared part and the system's (command.c on POSIX, command_win32.c with
# cmdline.c, the Windows command line, on Windows).
noinst_LTLIBRARIES += plugins/lib/libsabacommand.la
plugins_lib_libsabacommand_la_SOURCES = plugins/lib/command_shared.c plugins/lib/command.h \
	plugins/lib/command_os.h plugins/lib/cmdconf.c plugins/lib/cmdconf.h
if SABA_WINDOWS
plugins_lib_libsabacommand_la_SOURCES += plugins/lib/command_win32.c plugins/lib/cmdline.c \
	plugins/lib/cmdline.h
else
plugins_lib_libsabacommand_la_SOURCES += plugins/lib/command.c plugins/lib/cmdtree.c \
	plugins/lib/cmdtree.h plugins/lib/spawn.c plugins/lib/spawn.h
endif
plugins_lib_libsabacommand_la_LIBADD = plugins/lib/libsabaclock.la
plugins_lib_libsabacommand_la_CPPFLAGS = $(AM_CPPFLAGS) $(SABA_WIN_STATIC_PTHREAD)
EXTRA_DIST += plugins/lib/command.c plugins/lib/cmdtree.c plugins/lib/cmdtree.h \
	plugins/lib/spawn.c plugins/lib/spawn.h \
	plugins/lib/command_win32.c plugins/lib/cmdline.c \
	plugins/lib/cmdline.h

# The /proc helpers' fuzz target (tests/fuzz/fuzz_procfs.c: the procfs
# setting, textfile, metricname, jsontext, samples): make fuzz runs it, make
# check replays its corpus (tests/fuzz/local.mk).
FUZZ_NAMES += procfs
FUZZ_BINS += $(FUZZ_OUT)/fuzz_procfs
FUZZ_RUNS += fuzz-run-procfs
FUZZ_HARNESS_SRC += tests/fuzz/fuzz_procfs.c
if !SABA_WINDOWS
check_PROGRAMS += tests/fuzz/replay_procfs
TESTS += tests/fuzz/replay_procfs
tests_fuzz_replay_procfs_SOURCES = tests/fuzz/fuzz_procfs.c $(FUZZ_REPLAY_SOURCES)
tests_fuzz_replay_procfs_CPPFLAGS = $(FUZZ_CPPFLAGS) -DFUZZ_NAME='"procfs"'
tests_fuzz_replay_procfs_CFLAGS = $(FUZZ_REPLAY_CFLAGS)
tests_fuzz_replay_procfs_LDADD = $(FUZZ_PLUGIN_LDADD)
tests_fuzz_replay_procfs_LDFLAGS = $(FUZZ_REPLAY_LINK_FLAGS)
endif

# What the /proc plugins share, one concern a file: small text files kept
# open (textfile; loadavg and memory use only this), metric names (metricname), counter
# samples and rates (samples), JSON text for spec_set() (jsontext), the
# mount table as df lists it (mounts; these three not on Windows); beside
# libsabaprocfs for the directory settings (Linux) and libsabapattern for
# the ignore settings.
noinst_LTLIBRARIES += plugins/lib/libsabametric.la
plugins_lib_libsabametric_la_SOURCES = plugins/lib/metricname.c plugins/lib/metricname.h \
	plugins/lib/samples.c plugins/lib/samples.h
if !SABA_WINDOWS
plugins_lib_libsabametric_la_SOURCES += plugins/lib/textfile.c plugins/lib/textfile.h \
	plugins/lib/jsontext.c plugins/lib/jsontext.h plugins/lib/mounts.c plugins/lib/mounts.h
endif
EXTRA_DIST += plugins/lib/textfile.c plugins/lib/textfile.h plugins/lib/jsontext.c \
	plugins/lib/jsontext.h plugins/lib/mounts.c plugins/lib/mounts.h
plugins_lib_libsabametric_la_LIBADD = plugins/lib/libsabaclock.la
# the kept-open small files (textfile), on their own
if HAVE_CUNIT
if !SABA_WINDOWS
check_PROGRAMS += tests/plugins/lib/test_textfile
TESTS += tests/plugins/lib/test_textfile
tests_plugins_lib_test_textfile_SOURCES = tests/plugins/lib/test_textfile.c tests/lib/unit.h \
	plugins/lib/textfile.c plugins/lib/textfile.h plugins/lib/mounts.c plugins/lib/mounts.h
tests_plugins_lib_test_textfile_CPPFLAGS = $(UNIT_CPPFLAGS)
tests_plugins_lib_test_textfile_CFLAGS = $(AM_CFLAGS) $(CUNIT_CFLAGS)
tests_plugins_lib_test_textfile_LDADD = $(CUNIT_LIBS)
endif
endif
plugins_lib_libsabametric_la_CPPFLAGS = $(AM_CPPFLAGS) $(SABA_WIN_STATIC_PTHREAD)
SABA_METRIC_LIBADD = plugins/lib/libsabametric.la plugins/lib/libsabaprocfs.la

# Windows' command line, natively
if HAVE_CUNIT
check_PROGRAMS += tests/plugins/lib/test_cmdline
TESTS += tests/plugins/lib/test_cmdline
tests_plugins_lib_test_cmdline_SOURCES = tests/plugins/lib/test_cmdline.c tests/lib/unit.h \
	plugins/lib/cmdline.c plugins/lib/cmdline.h
tests_plugins_lib_test_cmdline_CPPFLAGS = $(UNIT_CPPFLAGS)
tests_plugins_lib_test_cmdline_CFLAGS = $(AM_CFLAGS) $(CUNIT_CFLAGS)
tests_plugins_lib_test_cmdline_LDADD = $(CUNIT_LIBS)
endif

# Regular expression settings with PCRE2 (the ignore of disk, interface and
# filesystem, exec's include/exclude_pattern), and its test.
if HAVE_PCRE2
noinst_LTLIBRARIES += plugins/lib/libsabapattern.la
if HAVE_CUNIT
check_PROGRAMS += tests/plugins/lib/test_pattern
TESTS += tests/plugins/lib/test_pattern
tests_plugins_lib_test_pattern_SOURCES = tests/plugins/lib/test_pattern.c tests/lib/unit.h
tests_plugins_lib_test_pattern_CPPFLAGS = $(UNIT_CPPFLAGS)
tests_plugins_lib_test_pattern_CFLAGS = $(AM_CFLAGS) $(CUNIT_CFLAGS) $(SABA_TEST_CFLAGS)
tests_plugins_lib_test_pattern_LDADD = plugins/lib/libsabapattern.la $(SABA_TEST_LIBS) \
	$(CUNIT_LIBS)
tests_plugins_lib_test_pattern_LDFLAGS = $(SABA_TEST_LINK_FLAGS)
endif
endif
plugins_lib_libsabapattern_la_SOURCES = plugins/lib/pattern.c plugins/lib/pattern.h
plugins_lib_libsabapattern_la_CFLAGS = $(AM_CFLAGS) $(PCRE2_CFLAGS)
plugins_lib_libsabapattern_la_CPPFLAGS = $(AM_CPPFLAGS) $(SABA_WIN_STATIC_PTHREAD)
plugins_lib_libsabapattern_la_LIBADD = $(PCRE2_LIBS)

# the plugins' shared config readers, through the fake host (no agent)
if HAVE_CUNIT
check_PROGRAMS += tests/plugins/lib/test_plugconf
TESTS += tests/plugins/lib/test_plugconf
tests_plugins_lib_test_plugconf_SOURCES = tests/plugins/lib/test_plugconf.c tests/lib/unit.h
tests_plugins_lib_test_plugconf_CPPFLAGS = $(UNIT_CPPFLAGS)
tests_plugins_lib_test_plugconf_CFLAGS = $(AM_CFLAGS) $(CUNIT_CFLAGS) $(SABA_TEST_CFLAGS)
tests_plugins_lib_test_plugconf_LDADD = plugins/lib/libsabaplugconf.la $(SABA_TEST_LIBS) \
	$(CUNIT_LIBS)
tests_plugins_lib_test_plugconf_LDFLAGS = $(SABA_TEST_LINK_FLAGS)
endif

# What every cloud plugin (ec2, gce, azure) shares, in the Windows build too
# (ec2.dll): the fleet sweeper (the rules, the Mackerel host list read as it
# streams in by the ec2 plugin's reader, the thread; the cloud's lookups
# behind struct saba_sweep_cloud) and the own-host check (hostcheck).
noinst_LTLIBRARIES += plugins/lib/libsabasweep.la
plugins_lib_libsabasweep_la_SOURCES = plugins/lib/cloud_sweep.c plugins/lib/cloud_sweep.h \
	plugins/ec2/hostlist.c plugins/ec2/hostlist.h plugins/lib/hostcheck.c plugins/lib/hostcheck.h
plugins_lib_libsabasweep_la_CPPFLAGS = $(AM_CPPFLAGS) $(SABA_WIN_STATIC_PTHREAD)
plugins_lib_libsabasweep_la_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS)

# What the cloud plugins (gce, azure) share beside the sweeper: HTTP to the
# metadata service and the cloud's API without a proxy (cloud_http), bearer
# tokens from the metadata service (cloud_token), reading answers and errors
# (cloud_text) and the plugin frame (settings, identity, the poller;
# cloud_frame).  Not in the Windows build.
if !SABA_WINDOWS
noinst_LTLIBRARIES += plugins/lib/libsabacloud.la
endif
plugins_lib_libsabacloud_la_SOURCES = plugins/lib/cloud_text.c plugins/lib/cloud_text.h \
	plugins/lib/cloud_http.c plugins/lib/cloud_http.h plugins/lib/cloud_token.c \
	plugins/lib/cloud_token.h plugins/lib/cloud_frame.c plugins/lib/cloud_frame.h
plugins_lib_libsabacloud_la_CFLAGS = $(AM_CFLAGS) $(CURL_CFLAGS) $(JANSSON_CFLAGS)
plugins_lib_libsabacloud_la_LIBADD = plugins/lib/libsabasweep.la plugins/lib/libsabaplugconf.la \
	plugins/lib/libsabaclock.la $(CURL_LIBS) $(JANSSON_LIBS) -lpthread
# How a cloud plugin's fragment builds its pure readers (classify), its
# module and their CUnit test.
CLOUD_CLASSIFY_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS)
CLOUD_PLUGIN_CFLAGS = $(AM_CFLAGS) $(CURL_CFLAGS) $(JANSSON_CFLAGS)
CLOUD_PLUGIN_LIBADD = plugins/lib/libsabacloud.la $(CURL_LIBS) $(JANSSON_LIBS)
CLOUD_TEST_LDADD = plugins/lib/libsabacloud.la $(CUNIT_LIBS)

# the cloud plugins' shared readers (tokens, error answers)
if HAVE_CUNIT
if !SABA_WINDOWS
check_PROGRAMS += tests/plugins/lib/test_cloud
TESTS += tests/plugins/lib/test_cloud
endif
tests_plugins_lib_test_cloud_SOURCES = tests/plugins/lib/test_cloud.c tests/lib/unit.h
tests_plugins_lib_test_cloud_CPPFLAGS = $(UNIT_CPPFLAGS)
tests_plugins_lib_test_cloud_CFLAGS = $(AM_CFLAGS) $(CUNIT_CFLAGS) $(JANSSON_CFLAGS)
tests_plugins_lib_test_cloud_LDADD = plugins/lib/libsabacloud.la $(CUNIT_LIBS)
endif
EXTRA_DIST += tests/integration/cloudcase.py tests/integration/fakecloud.py
