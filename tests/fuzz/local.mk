# Fuzzing: tests/fuzz/fuzz_<name>.c are libFuzzer targets, one per parser
# of outside data (see tests/fuzz/fuzz.h), with seed corpora in
# tests/fuzz/corpus/<name>/ and every input that once crashed in
# tests/fuzz/regress/<name>/.  The core's targets (conf, api, import) are
# registered here, every plugin's by its own fragment (plugins/<name>/local.mk,
# plugins/lib/local.mk for the /proc helpers): FUZZ_NAMES, FUZZ_BINS,
# FUZZ_RUNS and FUZZ_HARNESS_SRC (make fuzz), its replay program (make check).
#
# make check   runs each corpus and regression file once through its
#              target built with the normal compiler as a plain program
#              (tests/fuzz/replay.c): tests/fuzz/replay_<name>.
# make fuzz    builds the targets with clang, libFuzzer, ASan and UBSan
#              and runs each for FUZZ_TIME seconds (two at a time with
#              make -j2); any crash fails it.  FUZZ_TARGETS picks targets,
#              FUZZ_CC the compiler, FUZZ_FLAGS adds libFuzzer options.
#              Builds, logs, grown corpora and crashes: tests/fuzz/clang/.

FUZZ_NAMES += conf api
FUZZ_BINS += $(FUZZ_OUT)/fuzz_conf $(FUZZ_OUT)/fuzz_api
FUZZ_RUNS += fuzz-run-conf fuzz-run-api
FUZZ_HARNESS_SRC += tests/fuzz/fuzz_conf.c tests/fuzz/fuzz_api.c tests/fuzz/fuzz_import.c
if HAVE_TOML
FUZZ_NAMES += import
FUZZ_BINS += $(FUZZ_OUT)/fuzz_import
FUZZ_RUNS += fuzz-run-import
endif

# ------------------------------------------------------------------
# make check: the corpora through plain-program builds

FUZZ_REPLAY_SOURCES = tests/fuzz/replay.c tests/fuzz/fuzz.c tests/fuzz/fuzz.h
FUZZ_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir) -I$(top_srcdir)/sdk/include \
	-I$(top_srcdir)/tests/fuzz -DFUZZ_SRCDIR='"$(abs_top_srcdir)"'
FUZZ_PKG_CFLAGS = $(CURL_CFLAGS) $(JANSSON_CFLAGS) $(LIBCONFIG_CFLAGS)
FUZZ_REPLAY_CFLAGS = $(AM_CFLAGS) $(FUZZ_PKG_CFLAGS)
# The plugins run on the SDK's fake host (sdk/libsaba-plugin-test), as
# their unit tests do; -no-install: real binaries for valgrind.
FUZZ_REPLAY_LINK_FLAGS = $(SABA_TEST_LINK_FLAGS)
# The core targets link the core, the plugin targets the plugins' helpers
# (never both: plugins do not link against the agent, and the two have
# functions of the same name).
FUZZ_CORE_LDADD = core/libsabacore.la $(SABA_TEST_LIBS) $(CURL_LIBS) $(JANSSON_LIBS) \
	$(LIBCONFIG_LIBS)
FUZZ_PLUGIN_LDADD = plugins/lib/libsabametric.la plugins/lib/libsabaprocfs.la \
	plugins/lib/libsabacommand.la plugins/lib/libsabatrigger.la $(SABA_TEST_LIBS) \
	$(JANSSON_LIBS) $(LIBCONFIG_LIBS)
# the plugins with regex settings (disk, interface, filesystem, exec)
FUZZ_PATTERN_LDADD = plugins/lib/libsabapattern.la $(FUZZ_PLUGIN_LDADD)

# Not on Windows: the fake host library is POSIX only.
if !SABA_WINDOWS
FUZZ_CORE_REPLAYS = tests/fuzz/replay_conf tests/fuzz/replay_api
check_PROGRAMS += $(FUZZ_CORE_REPLAYS)
TESTS += $(FUZZ_CORE_REPLAYS)
tests_fuzz_replay_conf_SOURCES = tests/fuzz/fuzz_conf.c $(FUZZ_REPLAY_SOURCES)
tests_fuzz_replay_conf_CPPFLAGS = $(FUZZ_CPPFLAGS) -DFUZZ_NAME='"conf"'
tests_fuzz_replay_conf_CFLAGS = $(FUZZ_REPLAY_CFLAGS)
tests_fuzz_replay_conf_LDADD = $(FUZZ_CORE_LDADD)
tests_fuzz_replay_conf_LDFLAGS = $(FUZZ_REPLAY_LINK_FLAGS)
tests_fuzz_replay_api_SOURCES = tests/fuzz/fuzz_api.c $(FUZZ_REPLAY_SOURCES)
tests_fuzz_replay_api_CPPFLAGS = $(FUZZ_CPPFLAGS) -DFUZZ_NAME='"api"'
tests_fuzz_replay_api_CFLAGS = $(FUZZ_REPLAY_CFLAGS)
tests_fuzz_replay_api_LDADD = $(FUZZ_CORE_LDADD)
tests_fuzz_replay_api_LDFLAGS = $(FUZZ_REPLAY_LINK_FLAGS)

# `saba-agent import` (toml++ through its module, SABA_TOML_MODULE).
if HAVE_TOML
check_PROGRAMS += tests/fuzz/replay_import
TESTS += tests/fuzz/replay_import
tests_fuzz_replay_import_SOURCES = tests/fuzz/fuzz_import.c $(FUZZ_REPLAY_SOURCES)
tests_fuzz_replay_import_CPPFLAGS = $(FUZZ_CPPFLAGS) -DFUZZ_NAME='"import"'
tests_fuzz_replay_import_CFLAGS = $(FUZZ_REPLAY_CFLAGS)
tests_fuzz_replay_import_LDADD = $(FUZZ_CORE_LDADD)
tests_fuzz_replay_import_LDFLAGS = $(FUZZ_REPLAY_LINK_FLAGS)
endif

# The gce and azure plugins' replays (tests/fuzz/fuzz_cloud.c: what their
# targets share).
FUZZ_CLOUD_SOURCES = tests/fuzz/fuzz_cloud.c tests/fuzz/fuzz_cloud.h $(FUZZ_REPLAY_SOURCES)
FUZZ_CLOUD_LDADD = plugins/lib/libsabacloud.la $(SABA_TEST_LIBS) $(CURL_LIBS) $(JANSSON_LIBS) \
	$(LIBCONFIG_LIBS)
endif

# libconfig 1.5 leaks a token on some syntax errors (regress/conf/ has
# such inputs): the valgrind pass of make check knows it, as LeakSanitizer
# does (tests/fuzz/fuzz.c).  Applies to every test run under valgrind.
if VALGRIND_TESTS
AM_LOG_FLAGS = --suppressions=$(abs_top_srcdir)/tests/fuzz/valgrind.supp
endif

EXTRA_DIST += tests/fuzz/run.sh tests/fuzz/corpus tests/fuzz/regress tests/fuzz/valgrind.supp \
	tests/fuzz/conf.dict tests/fuzz/api.dict tests/fuzz/exec.dict tests/fuzz/import.dict \
	tests/fuzz/fuzz_import.c

# ------------------------------------------------------------------
# make fuzz: clang + libFuzzer.  The core, the plugin helpers and the
# harness helpers are compiled once into archives; each target is its
# harness (which includes its plugin's source) linked with them.

FUZZ_CC = clang
# C++ for toml++ (core/import_toml.cc); every target links with it then.
FUZZ_CXX = clang++
FUZZ_TIME = 60
FUZZ_FLAGS =
FUZZ_TARGETS = $(FUZZ_NAMES)
FUZZ_OUT = tests/fuzz/clang
FUZZ_SANITIZE = -fsanitize=address,undefined -fno-sanitize-recover=all
FUZZ_CFLAGS = -g -O1 -fno-omit-frame-pointer $(FUZZ_SANITIZE) $(WARN_CFLAGS) $(DEFS) \
	$(DEFAULT_INCLUDES) $(FUZZ_CPPFLAGS) $(FUZZ_PKG_CFLAGS) $(EXPAT_CFLAGS) $(PCRE2_CFLAGS)
FUZZ_LIBS = $(CURL_LIBS) $(JANSSON_LIBS) $(LIBCONFIG_LIBS) $(EXPAT_LIBS) $(PCRE2_LIBS) -lpthread
if HAVE_TOML
# toml++ linked in (import.c's SABA_TOML_LINKED), not loaded: the fuzzer
# sees its edges and the sanitizers its memory.
FUZZ_CFLAGS += -DSABA_TOML_LINKED
FUZZ_TOML_OBJ = $(FUZZ_OUT)/obj/core_import_toml.o
FUZZ_LD = $(FUZZ_CXX)
else
FUZZ_LD = $(FUZZ_CC)
endif

FUZZ_CORE_SRC = $(core_libsabacore_la_SOURCES)
FUZZ_PLUG_SRC = $(plugins_lib_libsabaprocfs_la_SOURCES) $(plugins_lib_libsabametric_la_SOURCES) \
	$(plugins_lib_libsabacommand_la_SOURCES) $(plugins_lib_libsabatrigger_la_SOURCES) \
	$(plugins_lib_libsabaclock_la_SOURCES) plugins/sysv/classify.c plugins/sysv/classify.h \
	$(FUZZ_PCRE2_SRC)
if HAVE_PCRE2
FUZZ_PCRE2_SRC = $(plugins_lib_libsabapattern_la_SOURCES)
endif
FUZZ_EC2_SRC = $(plugins_ec2_libsabaec2_la_SOURCES) $(plugins_lib_libsabasweep_la_SOURCES) \
	$(plugins_lib_libsabaclock_la_SOURCES)
# The cloud plugins' readers and what they share (their fuzz targets'
# shared checks included).
FUZZ_CLOUD_SRC = plugins/gce/classify.c plugins/gce/classify.h plugins/azure/classify.c \
	plugins/azure/classify.h $(plugins_lib_libsabacloud_la_SOURCES) \
	$(plugins_lib_libsabasweep_la_SOURCES) $(plugins_lib_libsabaplugconf_la_SOURCES) \
	$(plugins_lib_libsabaclock_la_SOURCES) tests/fuzz/fuzz_cloud.c tests/fuzz/fuzz_cloud.h
FUZZ_TEST_SRC = tests/fuzz/fuzz.c tests/fuzz/fuzz.h $(sdk_libsaba_plugin_test_la_SOURCES)
FUZZ_ARCHIVES = $(FUZZ_OUT)/libtest.a $(FUZZ_OUT)/libplug.a $(FUZZ_OUT)/libcore.a \
	$(FUZZ_EC2_ARCHIVE) $(FUZZ_CLOUD_ARCHIVE)
FUZZ_CORE_TARGETS = conf api import
FUZZ_CLOUD_ARCHIVE = $(FUZZ_OUT)/libcloud.a

# The .c files of $$srcs into the archive $@, with $$cov: the coverage
# instrumentation for libFuzzer, or none for the harness helpers, whose
# edges are no goal (so the coverage numbers are about the code tested).
fuzz_archive = set -e; rm -f $@; $(MKDIR_P) $(FUZZ_OUT)/obj; objs=; \
	for f in $$srcs; do case $$f in *.c) \
	o=$(FUZZ_OUT)/obj/`echo $$f | sed 's|/|_|g; s|\.c$$|.o|'`; \
	$(FUZZ_CC) $(FUZZ_CFLAGS) $$cov -c -o $$o $(srcdir)/$$f; \
	objs="$$objs $$o";; esac; done; $(AR) rcs $@ $$objs

# Fails with the reason when clang or its libFuzzer runtime is missing.
$(FUZZ_OUT)/cc-ok:
	@$(MKDIR_P) $(FUZZ_OUT)/obj
	@echo 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n) { return 0; }' \
		>$(FUZZ_OUT)/cc-check.c
	@if $(FUZZ_CC) $(FUZZ_SANITIZE) -fsanitize=fuzzer -o $(FUZZ_OUT)/cc-check \
		$(FUZZ_OUT)/cc-check.c >$(FUZZ_OUT)/cc-check.log 2>&1; then touch $@; else \
		cat $(FUZZ_OUT)/cc-check.log >&2; \
		echo "make fuzz: '$(FUZZ_CC) -fsanitize=fuzzer,address,undefined' does not work:" \
			"make fuzz needs clang and its libFuzzer runtime" \
			"(Debian: apt-get install clang libclang-rt-14-dev), or FUZZ_CC=..." >&2; \
		exit 1; fi

$(FUZZ_OUT)/libcore.a: $(FUZZ_OUT)/cc-ok $(FUZZ_CORE_SRC) $(FUZZ_TOML_OBJ)
	$(AM_V_GEN)srcs='$(FUZZ_CORE_SRC)'; cov=-fsanitize=fuzzer-no-link; $(fuzz_archive); \
	if test -n '$(FUZZ_TOML_OBJ)'; then $(AR) rs $@ $(FUZZ_TOML_OBJ); fi
$(FUZZ_OUT)/obj/core_import_toml.o: $(FUZZ_OUT)/cc-ok core/import_toml.cc core/import_toml.h
	$(AM_V_CXX)$(FUZZ_CXX) -std=c++17 -g -O1 -fno-omit-frame-pointer $(FUZZ_SANITIZE) \
		-fsanitize=fuzzer-no-link $(DEFS) $(DEFAULT_INCLUDES) $(AM_CPPFLAGS) \
		$(TOML_CPPFLAGS) -c -o $@ $(srcdir)/core/import_toml.cc
$(FUZZ_OUT)/libplug.a: $(FUZZ_OUT)/cc-ok $(FUZZ_PLUG_SRC)
	$(AM_V_GEN)srcs='$(FUZZ_PLUG_SRC)'; cov=-fsanitize=fuzzer-no-link; $(fuzz_archive)
$(FUZZ_OUT)/libec2.a: $(FUZZ_OUT)/cc-ok $(FUZZ_EC2_SRC)
	$(AM_V_GEN)srcs='$(FUZZ_EC2_SRC)'; cov=-fsanitize=fuzzer-no-link; $(fuzz_archive)
$(FUZZ_OUT)/libcloud.a: $(FUZZ_OUT)/cc-ok $(FUZZ_CLOUD_SRC)
	$(AM_V_GEN)srcs='$(FUZZ_CLOUD_SRC)'; cov=-fsanitize=fuzzer-no-link; $(fuzz_archive)
$(FUZZ_OUT)/libtest.a: $(FUZZ_OUT)/cc-ok $(FUZZ_TEST_SRC)
	$(AM_V_GEN)srcs='$(FUZZ_TEST_SRC)'; cov=; $(fuzz_archive)

# A core target links libcore, an ec2 one libec2, gce and azure libcloud,
# the others libplug (see
# FUZZ_CORE_LDADD).
$(FUZZ_BINS): $(FUZZ_ARCHIVES) $(FUZZ_HARNESS_SRC)
	$(AM_V_CCLD)n=`basename $@ | sed 's/^fuzz_//'`; lib=libplug.a; \
	for c in $(FUZZ_CORE_TARGETS); do test $$n = $$c && lib=libcore.a; done; \
	case $$n in ec2_*) lib=libec2.a;; gce|azure) lib=libcloud.a;; esac; \
	$(FUZZ_CC) $(FUZZ_CFLAGS) -c -o $@.o $(srcdir)/tests/fuzz/fuzz_$$n.c && \
	$(FUZZ_LD) $(FUZZ_SANITIZE) -fsanitize=fuzzer -o $@ $@.o \
		$(FUZZ_OUT)/libtest.a $(FUZZ_OUT)/$$lib $(FUZZ_LIBS)

$(FUZZ_RUNS):
	@$(SHELL) $(srcdir)/tests/fuzz/run.sh $(FUZZ_OUT) $(srcdir)/tests/fuzz \
		`echo $@ | sed 's/^fuzz-run-//'` $(FUZZ_TIME) $(FUZZ_FLAGS)

# Build first (the archives are shared), then run, then the verdict.
fuzz:
	@bins=; runs=; for n in $(FUZZ_TARGETS); do \
		bins="$$bins $(FUZZ_OUT)/fuzz_$$n"; runs="$$runs fuzz-run-$$n"; done; \
	rm -rf $(FUZZ_OUT)/results; \
	$(MAKE) $(AM_MAKEFLAGS) $$bins && $(MAKE) $(AM_MAKEFLAGS) $$runs && \
	$(SHELL) $(srcdir)/tests/fuzz/run.sh --summary $(FUZZ_OUT) $(FUZZ_TARGETS)

fuzz-build:
	@bins=; for n in $(FUZZ_TARGETS); do bins="$$bins $(FUZZ_OUT)/fuzz_$$n"; done; \
	$(MAKE) $(AM_MAKEFLAGS) $$bins

clean-local: clean-fuzz
clean-fuzz:
	-rm -rf $(FUZZ_OUT)

.PHONY: fuzz fuzz-build clean-fuzz $(FUZZ_RUNS)
