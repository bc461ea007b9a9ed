#!/bin/sh
# The plugin SDK check: what a third-party author does, against this build.
#
#   1. `make install DESTDIR=TMP` of the current build;
#   2. pkg-config finds TMP's saba-plugin.pc and saba-plugin-test.pc only;
#   3. build examples/metric and examples/trigger from their installed copy
#      (docdir/examples), with their own Makefiles, finding saba-agent only
#      through pkg-config (no -I into the source tree), and run the metric's
#      unit test (`make check`) against TMP's libsaba-plugin-test: it must
#      pass and have collected custom.example.uptime;
#   4. install the examples (mode 0644) into a plugin directory of their
#      own and check that the installed saba-agent lists them (`plugins`),
#      accepts their settings (`configtest`), shows the example metric
#      (`once`) and retires through the example trigger only on its rule
#      (`run --dry-run`);
#   5. ABI stability: build sdk/abi/legacy.c, a plugin written to ABI 1.0,
#      against each previous minor's header as released
#      (sdk/abi/saba-plugin-1.0.h to -1.3.h) and load it into this
#      agent: listed with its ABI, its value collected, retiring on
#      "terminate".
#
# Run it from the top of a configured and built tree (a VPATH build dir is
# fine):  sh sdk/ci-check.sh   or   make sdk-check
# Exit status 0 when everything holds, 1 otherwise.  Set SABA_SDK_KEEP=1 to
# keep the temporary directory for a look.
set -eu

me=sdk-check
srcdir=$(cd "$(dirname "$0")/.." && pwd)
MAKE=${MAKE:-make}
CC=${CC:-cc}

fail() {
	echo "$me: FAIL: $*" >&2
	exit 1
}
ok() {
	echo "$me: ok: $*"
}
# Show a log after a failure.
failog() {
	log=$1
	shift
	sed -e 's/^/    /' "$log" | tail -n 40 >&2
	fail "$@"
}

[ -f Makefile ] && [ -f config.status ] ||
	fail "run me from the top of a configured and built saba-agent tree"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/saba-sdk-check.XXXXXX")
cleanup() {
	status=$?
	# The agent may still run if a check failed half way.
	[ -n "${agent_pid-}" ] && kill "$agent_pid" 2>/dev/null || :
	if [ "${SABA_SDK_KEEP-}" = 1 ]; then
		echo "$me: kept $tmp"
	else
		rm -rf "$tmp"
	fi
	exit $status
}
trap cleanup EXIT
trap 'exit 1' HUP INT TERM

# --- 1. install this build ---------------------------------------------------
dest=$tmp/root
$MAKE install DESTDIR="$dest" >"$tmp/install.log" 2>&1 ||
	failog "$tmp/install.log" "make install DESTDIR=$dest failed"
# The configured installation directories, straight from make.
dirs=$($MAKE -s --no-print-directory sdk-dirs) || fail "make sdk-dirs failed"
eval "$dirs"
agent=$dest$bindir/saba-agent
for f in "$agent" "$dest$includedir/saba/plugin.h" "$dest$pkgconfigdir/saba-plugin.pc" \
	"$dest$includedir/saba/plugin-test.h" "$dest$pkgconfigdir/saba-plugin-test.pc" \
	"$dest$libdir/libsaba-plugin-test.so" \
	"$dest$mandir/man8/saba-agent.8" "$dest$mandir/man5/saba-agent.conf.5" \
	"$dest$mandir/man7/saba-plugin.7" "$dest$docdir/examples/metric/example_metric.c" \
	"$dest$docdir/examples/metric/test_example_metric.c" \
	"$dest$docdir/examples/trigger/Makefile"; do
	[ -f "$f" ] || fail "make install did not install ${f#"$dest"}"
done
ok "installed into $dest"

# --- 2. pkg-config sees the installed tree only -----------------------------
# PKG_CONFIG_LIBDIR replaces the default search path, so a saba-agent
# installed on this machine cannot stand in for the one under test; the
# sysroot makes the .pc's absolute paths point into the DESTDIR.
PKG_CONFIG_LIBDIR=$dest$pkgconfigdir
PKG_CONFIG_PATH=
PKG_CONFIG_SYSROOT_DIR=$dest
export PKG_CONFIG_LIBDIR PKG_CONFIG_PATH PKG_CONFIG_SYSROOT_DIR
unset CPATH C_INCLUDE_PATH 2>/dev/null || :
cflags=$(pkg-config --cflags saba-plugin) || fail "pkg-config does not find saba-plugin"
cflags=$(echo $cflags) # pkg-config ends it with a space
[ "$cflags" = "-I$dest$includedir" ] ||
	fail "pkg-config --cflags saba-plugin: \"$cflags\", expected -I$dest$includedir"
pd=$(pkg-config --variable=plugindir saba-plugin)
# pkgconf puts the sysroot in front of path variables, pkg-config 0.29 not.
[ "$pd" = "$dest$plugindir" ] || [ "$pd" = "$plugindir" ] ||
	fail "pkg-config --variable=plugindir saba-plugin: \"$pd\", expected $plugindir"
abi=$(pkg-config --variable=abi_major saba-plugin).$(pkg-config --variable=abi_minor saba-plugin)
"$agent" version | grep -qx "plugin ABI $abi" ||
	fail "saba-plugin.pc says ABI $abi, the agent says: $("$agent" version | grep ABI)"
ok "pkg-config: $cflags, plugindir $plugindir, ABI $abi"

# The test library: its own .pc (saba-plugin keeps no Libs: plugins never
# link anything of the agent's), exporting its documented API only.
tlibs=$(pkg-config --libs saba-plugin-test) || fail "pkg-config does not find saba-plugin-test"
tlibs=$(echo $tlibs)
[ "$tlibs" = "-L$dest$libdir -lsaba-plugin-test" ] ||
	fail "pkg-config --libs saba-plugin-test: \"$tlibs\", expected -L$dest$libdir -lsaba-plugin-test"
tcflags=$(pkg-config --cflags saba-plugin-test)
[ "$(echo $tcflags)" = "$cflags" ] ||
	fail "pkg-config --cflags saba-plugin-test: \"$tcflags\", expected $cflags"
if command -v nm >/dev/null 2>&1; then
	other=$(nm -D --defined-only "$dest$libdir/libsaba-plugin-test.so" |
		awk '$2 == "T" && $3 !~ /^saba_test_/ {print $3}')
	[ -z "$other" ] || fail "libsaba-plugin-test exports more than saba_test_*: $(echo $other)"
fi
ok "pkg-config: saba-plugin-test $tlibs"

# --- 3. build the examples and the metric's unit test out of tree ----------
# The installed copy, as an author would have it: no path back into this tree.
cp -R "$dest$docdir/examples" "$tmp/src"
plugins=$tmp/plugins
for ex in metric trigger; do
	log=$tmp/build-$ex.log
	$MAKE -C "$tmp/src/$ex" CC="$CC" CFLAGS="-O2 -g -Werror" >"$log" 2>&1 ||
		failog "$log" "examples/$ex does not build against the installed tree"
	! grep -q -- "-I$srcdir" "$log" || failog "$log" "examples/$ex used -I into the source tree"
done

# The metric's unit test, against the installed libsaba-plugin-test.
log=$tmp/check-metric.log
$MAKE -C "$tmp/src/metric" check CC="$CC" CFLAGS="-O2 -g -Werror" >"$log" 2>&1 ||
	failog "$log" "make check of examples/metric failed"
! grep -q -- "-I$srcdir\|-L$srcdir\|$srcdir/sdk" "$log" ||
	failog "$log" "examples/metric's test used the source tree"
grep -q "^collected custom.example.uptime = [0-9]" "$log" ||
	failog "$log" "test_example_metric did not collect custom.example.uptime"
grep -q "^test_example_metric: all passed" "$log" ||
	failog "$log" "test_example_metric did not pass"
ok "examples/metric's unit test passes against the installed libsaba-plugin-test"

# --- 4. the examples in the installed agent ---------------------------------
for ex in metric trigger; do
	log=$tmp/build-$ex.log
	$MAKE -C "$tmp/src/$ex" install PLUGINDIR="$plugins" >>"$log" 2>&1 ||
		failog "$log" "make install of examples/$ex failed"
done
for so in example_metric example_trigger; do
	mode=$(stat -c %a "$plugins/$so.so")
	[ "$mode" = 644 ] || fail "$so.so installed with mode $mode, expected 644"
	if command -v nm >/dev/null 2>&1; then
		syms=$(nm -D --defined-only "$plugins/$so.so" | awk '$2 == "T" {print $3}')
		[ "$syms" = saba_plugin_entry ] ||
			fail "$so.so exports $(echo $syms), expected saba_plugin_entry only"
	fi
done
ok "examples built against the installed tree, installed into $plugins"

conf=$tmp/agent.conf
state=$tmp/state
mkdir -p "$state"
cat >"$conf" <<EOF
root = "$state";
plugin_dir = "$plugins";
interval = 1;
plugins = {
  example_metric = {};
  answer = { module = "example_metric"; name = "custom.demo.answer"; value = 42.5; };
  example_trigger = { file = "$state/stop"; };
};
EOF

# NAME CAPABILITIES ABI ENABLED PATH, one line per plugin.
expect_plugin() { # listing name caps abi
	echo "$1" | awk -v n="$2" -v c="$3" -v a="$4" '$1 == n && $2 == c && $3 == a {f = 1}
		END {exit !f}' || fail "saba-agent plugins does not list $2 with $3, ABI $4:
$1"
}
out=$("$agent" plugins -c "$conf" --plugin-dir "$plugins" 2>&1) ||
	fail "saba-agent plugins failed: $out"
expect_plugin "$out" example_metric collect,background "$abi"
expect_plugin "$out" example_trigger shutdown "$abi"
ok "saba-agent plugins lists example_metric and example_trigger"

out=$("$agent" configtest -c "$conf" 2>&1) || fail "saba-agent configtest failed: $out"
ok "saba-agent configtest accepts the examples' settings"

# `once` prints JSON with "name" and "value" on consecutive lines.
expect_metric() { # json name [value]
	echo "$1" | grep -A1 "\"name\": \"$2\"" | grep -q "\"value\": ${3:-[0-9]}" ||
		fail "saba-agent once shows no $2${3:+ = $3}:
$1"
}
out=$("$agent" once -c "$conf" 2>"$tmp/once.err") || failog "$tmp/once.err" "saba-agent once failed"
expect_metric "$out" custom.example.uptime
expect_metric "$out" custom.demo.answer 42.5
ok "saba-agent once shows custom.example.uptime and custom.demo.answer = 42.5"

# A stop under `run --dry-run` (nothing is sent; retire prints its request).
# $1: what to do with the stop file before SIGTERM, $2: the config;
# sets $run_out, $run_err.
stop_agent() {
	# Files of their own: the wait below must not find an earlier run's line.
	run_out=$tmp/run-$1-$(basename "$2").out
	run_err=$tmp/run-$1-$(basename "$2").err
	rm -f "$state/stop" "$run_out" "$run_err"
	[ "$1" = stale ] && echo terminate >"$state/stop" && touch -d '1 minute ago' "$state/stop"
	"$agent" run --dry-run -c "$2" >"$run_out" 2>"$run_err" &
	agent_pid=$!
	i=0
	until grep -q "collecting every" "$run_err" 2>/dev/null; do
		i=$((i + 1))
		[ $i -le 100 ] || failog "$run_err" "run --dry-run did not start"
		sleep 0.1
	done
	[ "$1" = terminate ] && echo terminate >"$state/stop"
	kill -TERM "$agent_pid"
	wait "$agent_pid" || failog "$run_err" "run --dry-run did not stop with status 0"
	agent_pid=
}
expect_retire() { # config trigger
	stop_agent terminate "$1"
	grep -q '"path":"/api/v0/hosts/dry-run/retire"' "$run_out" ||
		failog "$run_err" "$2 did not retire on \"terminate\""
	grep -q "$2: classified this stop as terminate" "$run_err" ||
		failog "$run_err" "the agent did not log $2's classification"
}
expect_retire "$conf" example_trigger
for case in none stale; do
	stop_agent $case "$conf"
	! grep -q '/retire"' "$run_out" || failog "$run_err" "example_trigger retired with $case stop file"
	grep -q "example_trigger: classified this stop as unknown" "$run_err" ||
		failog "$run_err" "example_trigger did not classify a $case stop file as unknown"
done
ok "example_trigger retires on \"terminate\", not without a stop file or with a stale one"

# --- 5. ABI stability: a plugin built against the previous minors --------
# Each header as it was released, in place of the installed one, and a
# plugin written as plugins were at ABI 1.0 (config_keys, its own defaults).
for old in 1.0 1.1 1.2 1.3; do
	[ "$old" != "$abi" ] || fail "sdk/abi/saba-plugin-$old.h is this agent's own ABI"
	mkdir -p "$tmp/abi-$old/saba" "$tmp/plugins-$old"
	cp "$srcdir/sdk/abi/saba-plugin-$old.h" "$tmp/abi-$old/saba/plugin.h"
	log=$tmp/build-legacy-$old.log
	$CC -O2 -g -Wall -Werror -fPIC -shared -fvisibility=hidden -I"$tmp/abi-$old" \
		-o "$tmp/plugins-$old/legacy.so" "$srcdir/sdk/abi/legacy.c" >"$log" 2>&1 ||
		failog "$log" "sdk/abi/legacy.c does not build against the ABI $old header"
	chmod 644 "$tmp/plugins-$old/legacy.so"
	oconf=$tmp/agent-$old.conf
	cat >"$oconf" <<EOF
root = "$state";
plugin_dir = "$tmp/plugins-$old";
interval = 1;
plugins = {
  legacy = { value = 42.5; stop_file = "$state/stop"; };
  plain = { module = "legacy"; };
};
EOF
	out=$("$agent" plugins -c "$oconf" 2>&1) || fail "saba-agent plugins failed: $out"
	expect_plugin "$out" legacy collect,shutdown "$old"
	out=$("$agent" once -c "$oconf" 2>"$tmp/once.err") ||
		failog "$tmp/once.err" "saba-agent once failed with the ABI $old plugin"
	expect_metric "$out" custom.legacy.value 42.5
	expect_metric "$out" custom.legacy.value 7.0
	expect_retire "$oconf" legacy
	ok "a plugin built against ABI $old loads into the ABI $abi agent, collects and retires"
done

echo "$me: all checks passed"
