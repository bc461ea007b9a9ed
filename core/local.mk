# The agent binary.
bin_PROGRAMS += core/saba-agent

# Everything but main() lives in a convenience library so unit tests link it.
noinst_LTLIBRARIES += core/libsabacore.la
core_libsabacore_la_SOURCES = \
	core/log.c core/log.h \
	core/crash.c core/crash.h \
	core/util.c core/util.h \
	core/conf.c core/conf.h \
	core/loader.c core/loader.h \
	core/instance.c core/instance.h \
	core/host_api.c core/host_api.h \
	core/runtime.c core/runtime.h \
	core/http.c core/http.h \
	core/api.c core/api.h \
	core/idfile.c core/idfile.h \
	core/spec.c core/spec.h \
	core/register.c core/register.h \
	core/queue.c core/queue.h \
	core/collector.c core/collector.h \
	core/poster.c core/poster.h \
	core/outbox.c core/outbox.h \
	core/hostmap.c core/hostmap.h \
	core/retire.c core/retire.h \
	core/notify.c core/notify.h \
	core/agent.c core/agent.h \
	core/commands.c core/commands.h
core_libsabacore_la_CFLAGS = $(AM_CFLAGS) $(CURL_CFLAGS) $(JANSSON_CFLAGS) $(LIBCONFIG_CFLAGS)
core_libsabacore_la_LIBADD = $(CURL_LIBS) $(JANSSON_LIBS) $(LIBCONFIG_LIBS)

core_saba_agent_SOURCES = core/main.c
core_saba_agent_CFLAGS = $(core_libsabacore_la_CFLAGS)
core_saba_agent_LDADD = core/libsabacore.la
