# The agent binary.
bin_PROGRAMS += core/saba-agent

# Everything but main() lives in a convenience library so unit tests link it.
noinst_LTLIBRARIES += core/libsabacore.la
core_libsabacore_la_SOURCES = \
	core/log.c core/log.h \
	core/crash.c core/crash.h \
	core/util.c core/util.h \
	core/trust.c core/trust.h \
	core/conf.c core/conf.h \
	core/conftext.c core/conftext.h \
	core/loader.c core/loader.h \
	core/settings.c core/settings.h core/duration.c core/duration.h \
	core/instance.c core/instance.h \
	core/hook.c core/hook.h \
	core/host_api.c core/host_api.h \
	core/apischema.c core/apischema.h \
	core/runtime.c core/runtime.h \
	core/http.c core/http.h core/http_transport.h \
	core/api.c core/api.h \
	core/atomic.c core/atomic.h \
	core/idfile.c core/idfile.h \
	core/lock.c core/lock.h \
	core/spec.c core/spec.h \
	core/register.c core/register.h \
	core/queue.c core/queue.h \
	core/collector.c core/collector.h \
	core/poster.c core/poster.h \
	core/tsdb.c core/tsdb.h \
	core/outbox.c core/outbox.h \
	core/metadata.c core/metadata.h \
	core/cloud.c core/cloud.h \
	core/hostmap.c core/hostmap.h \
	core/retire.c core/retire.h \
	core/notify.c core/notify.h \
	core/agent.c core/agent.h \
	core/pidfile.c core/pidfile.h \
	core/privmod.c core/privmod.h \
	core/conf_write.c core/conf_write.h \
	core/init.c core/init.h \
	core/cli.c core/cli.h \
	core/commands.c core/commands.h
core_libsabacore_la_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS) $(LIBCONFIG_CFLAGS)
core_libsabacore_la_LIBADD = $(JANSSON_LIBS) $(LIBCONFIG_LIBS)

# Private modules loaded on first use (core/privmod.h).
pkglib_LTLIBRARIES =

# libcurl: a private module loaded on first use (see core/http_transport.h),
# or linked in with --disable-lazy-http.
if LAZY_HTTP
pkglib_LTLIBRARIES += core/saba-http-curl.la
core_saba_http_curl_la_SOURCES = core/http_curl.c core/http_transport.h core/http.h
core_saba_http_curl_la_CFLAGS = $(AM_CFLAGS) $(CURL_CFLAGS)
core_saba_http_curl_la_LDFLAGS = -module -avoid-version -shared \
	-export-symbols-regex '^saba_http_transport_entry$$'
core_saba_http_curl_la_LIBADD = $(CURL_LIBS)
else
core_libsabacore_la_SOURCES += core/http_curl.c
core_libsabacore_la_CFLAGS += $(CURL_CFLAGS)
core_libsabacore_la_LIBADD += $(CURL_LIBS)
endif
EXTRA_DIST += core/http_curl.c

# `saba-agent import`: the mapping in C, toml++ (C++17) in a private module
# (core/import_toml.h), so libstdc++ never maps into the running agent.
SABA_IMPORT_SOURCES = core/import.c core/import.h core/import_map.c core/import_map.h \
	core/import_plugins.c core/import_plugins.h core/import_env.c core/import_env.h \
	core/import_toml.h
SABA_TOML_CXXFLAGS = $(SAN_CFLAGS) -std=c++17 -fvisibility=hidden -Wall -Wextra \
	-Wno-unused-parameter
if HAVE_TOML
core_libsabacore_la_SOURCES += $(SABA_IMPORT_SOURCES)
pkglib_LTLIBRARIES += core/saba-toml.la
core_saba_toml_la_SOURCES = core/import_toml.cc core/import_toml.h
core_saba_toml_la_CPPFLAGS = $(AM_CPPFLAGS) $(TOML_CPPFLAGS)
core_saba_toml_la_CXXFLAGS = $(SABA_TOML_CXXFLAGS)
core_saba_toml_la_LDFLAGS = -module -avoid-version -shared \
	-export-symbols-regex '^saba_toml_module_entry$$'
endif
EXTRA_DIST += $(SABA_IMPORT_SOURCES) core/import_toml.cc

core_saba_agent_SOURCES = core/main.c
core_saba_agent_CFLAGS = $(core_libsabacore_la_CFLAGS)
core_saba_agent_LDADD = core/libsabacore.la

# Windows (./configure --host=x86_64-w64-mingw32): the POSIX pieces mingw
# lacks, the console and service hosts, and the host spec through Win32.
if SABA_WINDOWS
core_libsabacore_la_SOURCES += core/os/win32/compat.c core/os/win32/compat.h \
	core/os/win32/console.c core/os/win32/console.h \
	core/os/win32/service.c core/os/win32/service.h \
	core/os/win32/spec.c
core_libsabacore_la_LIBADD += -liphlpapi -lws2_32 -ladvapi32
# Static objects only: libtool's DLL objects get -DDLL_EXPORT, which makes
# winpthreads' headers import from its DLL.
core_libsabacore_la_LIBTOOLFLAGS = --tag=disable-shared
# One self-contained .exe: no libgcc or winpthread DLLs beside it.
core_saba_agent_LDFLAGS = -all-static
else
# Signals, and the loop thread's takeover (a POSIX timer).
core_libsabacore_la_SOURCES += core/signals.c core/signals.h core/takeover.c core/takeover.h
endif
EXTRA_DIST += core/signals.c core/signals.h core/takeover.c core/takeover.h
EXTRA_DIST += core/os/win32/compat.c core/os/win32/compat.h core/os/win32/console.c \
	core/os/win32/console.h core/os/win32/service.c core/os/win32/service.h \
	core/os/win32/spec.c
