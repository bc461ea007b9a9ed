# Shared by the bench/*.sh scripts (sourced, POSIX sh).  Loopback only.
#
# After sourcing: $top, $agent, $plugins, $work (a temp dir removed on
# exit), and bench_kill_later PID to have PID killed on exit.

top=$(cd "$(dirname "$0")/.." && pwd)
agent=${SABA_AGENT:-$top/core/saba-agent}
plugins=${SABA_PLUGIN_DIR:-$top/plugins/.libs}
test_plugins=${SABA_TEST_PLUGIN_DIR:-$top/tests/core/fixtures/.libs}
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
	wait 2> /dev/null || true # reaped quietly
	for g in "$bench_cgroup_dir".*; do
		[ -n "$bench_cgroup_dir" ] && [ -d "$g" ] || continue
		# what the measured process left behind (a plugin's children)
		xargs -r kill -9 < "$g/cgroup.procs" 2> /dev/null || true
		for _ in 1 2 3 4 5 6 7 8 9 10; do
			rmdir "$g" 2> /dev/null && break
			sleep 0.1
		done
	done
	rm -rf "$work"
}
trap bench_cleanup EXIT
trap 'exit 130' INT TERM

bench_kill_later() { # pid...
	bench_pids="$bench_pids $*"
}

# A loopback sink (bench/sink.py) in the background, logging its requests
# to $work/NAME.log; sets $port and $sink_pid.
bench_sink() { # name
	python3 "$top/bench/sink.py" "$work/$1.log" > "$work/$1.port" &
	sink_pid=$!
	bench_kill_later $sink_pid
	while [ ! -s "$work/$1.port" ]; do sleep 0.05; done
	port=$(cat "$work/$1.port")
}

# A loopback TCP port nobody listens on now.
bench_free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# ms from LAUNCH_MS to the first request in sink log NAME matching the ERE,
# or "-" when there was none.
bench_first() { # name launch_ms ere
	awk -v l="$2" -v re="$3" '$0 ~ re {print $1 - l; found = 1; exit}
		END {if (!found) print "-"}' "$work/$1.log"
}

# Sleep until PHASE seconds past the next wall-clock multiple of INTERVAL.
bench_sleep_to() { # interval phase
	sleep "$(date +%s.%N | awk -v i="$1" -v p="$2" '{print i - $1 % i + p}')"
}

# CPU ns of PID, threads that have exited included: an agent that starts
# short-lived threads spends CPU that /proc/PID/task no longer shows.  The
# first call moves PID into a cgroup of its own (v2, or v1 cpuacct) and
# reads 0 there; later calls read the group's usage.  Without a writable
# cgroup, the live threads' sum (schedstat) is read, with a warning.
bench_cgroup_base() {
	for d in /sys/fs/cgroup /sys/fs/cgroup/unified; do
		[ -f "$d/cgroup.procs" ] && [ -f "$d/cgroup.controllers" ] &&
			{ echo "v2 $d"; return; }
	done
	[ -f /sys/fs/cgroup/cpuacct/cpuacct.usage ] && { echo "v1 /sys/fs/cgroup/cpuacct"; return; }
	echo none
}
bench_cpu_ns() { # pid
	g="$bench_cgroup_dir.$1"
	if [ -n "$bench_cgroup_dir" ] && [ ! -d "$g" ] && mkdir "$g"; then
		if ! echo "$1" > "$g/cgroup.procs" 2> /dev/null; then
			rmdir "$g"
			echo "bench: cannot move $1 into a cgroup" >&2
			exit 1
		fi
	fi
	case $bench_cgroup_kind in
	v2) awk '$1 == "usage_usec" {printf "%.0f\n", $2 * 1000}' "$g/cpu.stat" ;;
	v1) cat "$g/cpuacct.usage" ;;
	*) cat /proc/"$1"/task/*/schedstat | awk '{ns += $1} END {printf "%.0f\n", ns}' ;;
	esac
}
read -r bench_cgroup_kind bench_cgroup_root << EOC
$(bench_cgroup_base)
EOC
bench_cgroup_dir=
if [ "$bench_cgroup_kind" = none ]; then
	echo "bench: no writable cgroup: CPU counts live threads only (short-lived ones are missed)" >&2
else
	bench_cgroup_dir="$bench_cgroup_root/saba-bench.$$"
fi

# CPU ns of PID's own threads, exited ones included, without its children
# (/proc/PID/stat utime + stime, in 10 ms ticks: for windows of seconds of
# CPU, e.g. an agent that starts programs, which its cgroup counts too).
bench_self_ns() { # pid
	awk -v hz="$(getconf CLK_TCK)" '{sub(/.*\) /, ""); printf "%.0f\n", ($12 + $13) * 1e9 / hz}' \
		/proc/"$1"/stat
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

# The peers, when a script compares against them.
bench_need_peers() {
	collectd=${COLLECTD:-/usr/sbin/collectd}
	node_exporter=${NODE_EXPORTER:-/usr/bin/prometheus-node-exporter}
	[ -x "$collectd" ] || {
		echo "collectd not found: apt-get install collectd-core" >&2
		exit 1
	}
	[ -x "$node_exporter" ] || {
		echo "node-exporter not found: apt-get install prometheus-node-exporter" >&2
		exit 1
	}
}

# <dir>/saba.conf: posting to the sink on PORT, root DIR, the given plugin
# instances (libconfig text) from PLUGIN_DIR, and any extra settings.
bench_saba_conf() { # dir port interval plugin-dir plugins [extra]
	mkdir -p "$1"
	cat > "$1/saba.conf" << EOC
apikey = "bench";
apibase = "http://127.0.0.1:$2";
root = "$1";
plugin_dir = "$4";
interval = $3;
plugins = { $5 };
${6:-}
EOC
}

# <dir>/collectd.conf: hostname "bench", base dir DIR, then the given
# LoadPlugin lines and <Plugin> blocks.
bench_collectd_conf() { # dir interval blocks
	mkdir -p "$1"
	cat > "$1/collectd.conf" << EOC
Hostname "bench"
Interval $2
BaseDir "$1"
PIDFile "$1/collectd.pid"
PluginDir "/usr/lib/collectd"
TypesDB "/usr/share/collectd/types.db"
$3
EOC
}

# A write_http block posting collectd's JSON to the sink on PORT.
bench_write_http() { # port [buffer-bytes]
	cat << EOC
LoadPlugin write_http
<Plugin write_http>
  <Node "sink">
    URL "http://127.0.0.1:$1/collectd"
    Format "JSON"${2:+
    BufferSize $2}
  </Node>
</Plugin>
EOC
}

# An exec plugin script printing LINES values "bench.v<i>" each run.
bench_exec_script() { # path lines
	cat > "$1" << EOS
#!/bin/sh
awk -v n=$2 -v t="\$(date +%s)" 'BEGIN { for (i = 0; i < n; i++) printf "bench.v%d\t%d\t%s\n", i, i, t }'
EOS
	chmod 755 "$1"
}
