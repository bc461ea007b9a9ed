#!/bin/sh
# Footprint of saba-agent beside collectd, in one run on one machine: each
# collects load average and memory (with --full: the whole Linux set) every
# second for DURATION seconds.
#   saba-agent dry-run   run --dry-run (requests printed, nothing sent)
#   saba-agent http      run, posting to a loopback sink (bench/sink.py)
#   collectd csv         load + memory + csv writer
#   collectd http        load + memory + write_http to the same sink
# Prints steady RSS, anonymous RSS, CPU ms per collection and threads, and
# the ratios of each saba-agent row to its collectd counterpart.
#
#   bench/footprint.sh [--full] [DURATION]
#       (default 60 s; needs collectd-core libyajl2 libcurl3-gnutls)
#   --full: the whole Linux set on both sides: loadavg cpu memory disk
#       interface filesystem against collectd's load cpu memory disk
#       interface df.
#
# Run from a built tree (make first).  Loopback traffic only.
set -eu

full=no
if [ "${1:-}" = --full ]; then
	full=yes
	shift
fi
duration=${1:-60}
if [ $full = yes ]; then
	saba_plugins="loadavg = {}; memory = {}; cpu = {}; disk = {}; interface = {}; filesystem = {};"
	collectd_plugins="LoadPlugin load
LoadPlugin memory
LoadPlugin cpu
LoadPlugin disk
LoadPlugin interface
LoadPlugin df"
	set_name="loadavg cpu memory disk interface filesystem"
else
	saba_plugins="loadavg = {}; memory = {};"
	collectd_plugins="LoadPlugin load
LoadPlugin memory"
	set_name="load + memory"
fi
top=$(cd "$(dirname "$0")/.." && pwd)
agent=${SABA_AGENT:-$top/core/saba-agent}
plugins=${SABA_PLUGIN_DIR:-$top/plugins/.libs}
collectd=${COLLECTD:-/usr/sbin/collectd}
[ -x "$agent" ] || { echo "build first: $agent not found" >&2; exit 1; }
[ -x "$collectd" ] || { echo "collectd not found: apt-get install collectd-core" >&2; exit 1; }

work=$(mktemp -d)
pids=""
trap 'kill $pids 2>/dev/null || true; rm -rf "$work"' EXIT INT TERM

python3 "$top/bench/sink.py" > "$work/port" &
pids="$pids $!"
while [ ! -s "$work/port" ]; do sleep 0.1; done
port=$(cat "$work/port")

saba_conf() { # name
	mkdir -p "$work/$1"
	cat > "$work/$1/saba.conf" <<EOC
apikey = "bench";
apibase = "http://127.0.0.1:$port";
root = "$work/$1";
plugin_dir = "$plugins";
interval = 1;
plugins = { $saba_plugins };
EOC
}
collectd_conf() { # name writer-block
	mkdir -p "$work/$1/data"
	cat > "$work/$1/collectd.conf" <<EOC
Hostname "bench"
Interval 1
BaseDir "$work/$1"
PIDFile "$work/$1/collectd.pid"
PluginDir "/usr/lib/collectd"
TypesDB "/usr/share/collectd/types.db"
$collectd_plugins
$2
EOC
}

saba_conf sd
"$agent" -q -c "$work/sd/saba.conf" run --dry-run > /dev/null &
p_sd=$!
saba_conf sh
"$agent" -q -c "$work/sh/saba.conf" run > /dev/null &
p_sh=$!
collectd_conf cc "LoadPlugin csv
<Plugin csv>
  DataDir \"$work/cc/data\"
</Plugin>"
"$collectd" -f -C "$work/cc/collectd.conf" > /dev/null 2>&1 &
p_cc=$!
collectd_conf ch "LoadPlugin write_http
<Plugin write_http>
  <Node \"sink\">
    URL \"http://127.0.0.1:$port/collectd\"
    Format \"JSON\"
  </Node>
</Plugin>"
"$collectd" -f -C "$work/ch/collectd.conf" > /dev/null 2>&1 &
p_ch=$!
pids="$pids $p_sd $p_sh $p_cc $p_ch"
sleep "$duration"

# pid -> "rss_kb anon_kb cpu_ms threads"
measure() {
	st=$(awk '/^VmRSS:/ {r=$2} /^RssAnon:/ {a=$2} /^Threads:/ {t=$2} END {print r, a, t}' \
		"/proc/$1/status")
	# On-CPU time of every thread in ns (schedstat), finer than the
	# 10 ms ticks of /proc/PID/stat.
	cpu=$(cat /proc/"$1"/task/*/schedstat | awk '{ns += $1} END {print ns / 1e6}')
	set -- $st
	echo "$1 $2 $cpu $3"
}
m_sd=$(measure $p_sd)
m_sh=$(measure $p_sh)
m_cc=$(measure $p_cc)
m_ch=$(measure $p_ch)

echo "$set_name every 1 s for $duration s, measured at the end"
printf '%-20s %9s %9s %12s %8s\n' "" "RSS kB" "anon kB" "CPU ms/coll" "threads"
row() { # label "rss anon cpu threads"
	echo "$2" | awk -v l="$1" -v d="$duration" \
		'{printf "%-20s %9d %9d %12.3f %8d\n", l, $1, $2, $3 / d, $4}'
}
ratio() { # label a b
	printf '%s\n%s\n' "$2" "$3" | awk -v l="$1" 'NR == 1 {r=$1; a=$2; c=$3; t=$4}
		NR == 2 {printf "%-20s %9.2f %9.2f %12s %8.2f\n", l, r / $1, a / $2,
			($3 > 0 ? sprintf("%.2f", c / $3) : "n/a"), t / $4}'
}
row "saba-agent dry-run" "$m_sd"
row "saba-agent http" "$m_sh"
row "collectd csv" "$m_cc"
row "collectd write_http" "$m_ch"
ratio "ratio dry-run/csv" "$m_sd" "$m_cc"
ratio "ratio http/http" "$m_sh" "$m_ch"
