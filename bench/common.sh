# Shared by the bench/*.sh scripts (sourced, POSIX sh).  Loopback only.
#
# After sourcing: $top, $agent, $plugins, $work (a temp dir removed on
# exit), and bench_kill_later PID to have PID killed on exit.

top=$(cd "$(dirname "$0")/.." && pwd)
agent=${SABA_AGENT:-$top/core/saba-agent}
plugins=${SABA_PLUGIN_DIR:-$top/plugins/.libs}
test_plugins=${SABA_TEST_PLUGIN_DIR:-$top/tests/plugins/.libs}
[ -x "$agent" ] || {
	echo "build first: $agent not found" >&2
	exit 1
}

work=$(mktemp -d)
bench_pids=""
bench_cleanup() {
	for p in $bench_pids; do
		kill "$p" 2> /dev/null || true
	done
	rm -rf "$work"
}
trap bench_cleanup EXIT
trap 'exit 130' INT TERM

bench_kill_later() { # pid...
	bench_pids="$bench_pids $*"
}

# The loopback sink (bench/sink.py) in the background; sets $port.
bench_sink() {
	python3 "$top/bench/sink.py" > "$work/sink.port" &
	bench_kill_later $!
	while [ ! -s "$work/sink.port" ]; do sleep 0.05; done
	port=$(cat "$work/sink.port")
}

# On-CPU ns of every thread of PID (schedstat: finer than the 10 ms ticks
# of /proc/PID/stat).
bench_cpu_ns() { # pid
	cat /proc/"$1"/task/*/schedstat | awk '{ns += $1} END {printf "%.0f\n", ns}'
}

# "rss_kB anon_kB threads fds" of PID.
bench_mem() { # pid
	fds=$(ls /proc/"$1"/fd | wc -l)
	awk -v f="$fds" '/^VmRSS:/ {r=$2} /^RssAnon:/ {a=$2} /^Threads:/ {t=$2}
		END {print r, a, t, f}' /proc/"$1"/status
}

# Milliseconds since the epoch (GNU date).
bench_ms() {
	date +%s%3N
}

# An exec plugin script printing LINES values "bench.v<i>" each run.
bench_exec_script() { # path lines
	cat > "$1" << EOS
#!/bin/sh
awk -v n=$2 -v t="\$(date +%s)" 'BEGIN { for (i = 0; i < n; i++) printf "bench.v%d\t%d\t%s\n", i, i, t }'
EOS
	chmod 755 "$1"
}
