#!/bin/sh
# Footprint of saba-agent beside collectd and prometheus-node-exporter, in
# one run on one machine, with the same metric set at one interval:
#   saba-agent dry-run    run --dry-run (requests printed, nothing sent)
#   saba-agent http       run, posting to a loopback sink (bench/sink.py)
#   collectd csv          the same set + the csv writer
#   collectd write_http   the same set + write_http to a loopback sink
#   node-exporter         the same collectors only, scraped once per
#                         interval by bench/scrape.py (it never posts)
# Prints steady RSS, anonymous RSS, CPU per collection, threads, and the
# start-up time to the first post (node-exporter: to its first scrape
# answer), with the ratios of saba-agent to each peer.
#
#   bench/footprint.sh [--full] [--interval SECONDS] [WINDOW]
#     --full      loadavg cpu memory disk interface filesystem, against
#                 collectd's load cpu memory disk interface df and
#                 node-exporter's loadavg cpu meminfo diskstats netdev
#                 filesystem (default: load average and memory only)
#     --interval  collection interval (default 1)
#     WINDOW      seconds measured (default 60 intervals at 1 s, else 10
#                 intervals), rounded to whole intervals
#
# CPU counts only the window, which starts once every process has collected
# at least twice (delta plugins prime on their first round) and at the same
# point of the wall-clock interval as it ends.  With --full, one more
# saba-agent dry-run runs under `strace -f -y` through the same window and
# its system calls per collection are printed: the plugins' part (every
# call on the six /proc files, every statfs) next to its floor (one read
# of each file, where a poll showing /proc/mounts unchanged counts as its
# read, and one statfs per filesystem reported), and the rest (the
# core, the output).  With --full, bench/cpu-floor (built here with make)
# runs through the window too: the same /proc reads and statfs calls and
# one libcurl POST of the agent's own body per interval, with nothing
# else, the least CPU a posting collection of this set can take.  Needs
# collectd-core (libyajl2, libcurl3-gnutls),
# prometheus-node-exporter and, for --full, strace.  Run from a built tree
# (make first).  Loopback traffic only.
set -eu

full=no
interval=1
while [ $# -gt 0 ]; do
	case $1 in
	--full) full=yes ;;
	--interval)
		interval=$2
		shift
		;;
	*) break ;;
	esac
	shift
done
if [ "$interval" -eq 1 ]; then window=${1:-60}; else window=${1:-$((interval * 10))}; fi
n=$((window / interval))
[ $n -ge 1 ] || n=1
if [ $full = yes ]; then
	saba_plugins="loadavg = {}; memory = {}; cpu = {}; disk = {}; interface = {}; filesystem = {};"
	collectd_plugins="LoadPlugin load
LoadPlugin memory
LoadPlugin cpu
LoadPlugin disk
LoadPlugin interface
LoadPlugin df"
	ne_collectors="loadavg cpu meminfo diskstats netdev filesystem"
	set_name="loadavg cpu memory disk interface filesystem"
else
	saba_plugins="loadavg = {}; memory = {};"
	collectd_plugins="LoadPlugin load
LoadPlugin memory"
	ne_collectors="loadavg meminfo"
	set_name="load + memory"
fi
. "$(dirname "$0")/common.sh"
bench_need_peers
if [ $full = yes ] && ! command -v strace > /dev/null; then
	echo "strace not found: apt-get install strace" >&2
	exit 1
fi
if [ $full = yes ]; then
	make -s -C "$top" bench/cpu-floor > /dev/null
	# The agent's body, from a dry-run that collects twice (the second
	# round has the delta plugins' values), for the floor to post.
	bench_saba_conf "$work/sb" 9 1 "$plugins" "$saba_plugins"
	timeout 3.5 "$agent" -q -c "$work/sb/saba.conf" run --dry-run > "$work/sb.out" || true
	grep '"path":"/api/v0/tsdb","body":' "$work/sb.out" | tail -n 1 |
		sed 's/^.*"path":"\/api\/v0\/tsdb","body"://; s/}$//' > "$work/body.json"
	nfs=$(grep -o '"name":"filesystem\.[^"]*\.size"' "$work/body.json" | wc -l)
	[ -s "$work/body.json" ] && [ "$nfs" -ge 1 ] || {
		echo "bench: no tsdb body from a dry-run of the agent" >&2
		exit 1
	}
fi

bench_saba_conf "$work/sd" 9 "$interval" "$plugins" "$saba_plugins"
bench_sink sh
bench_saba_conf "$work/sh" "$port" "$interval" "$plugins" "$saba_plugins"
mkdir -p "$work/cc/data"
bench_collectd_conf "$work/cc" "$interval" "$collectd_plugins
LoadPlugin csv
<Plugin csv>
  DataDir \"$work/cc/data\"
</Plugin>"
bench_sink ch
bench_collectd_conf "$work/ch" "$interval" "$collectd_plugins
$(bench_write_http "$port")"
ne_port=$(bench_free_port)
ne_args="--web.listen-address=127.0.0.1:$ne_port --collector.disable-defaults"
for c in $ne_collectors; do ne_args="$ne_args --collector.$c"; done

l_sd=$(bench_ms)
"$agent" -q -c "$work/sd/saba.conf" run --dry-run > /dev/null &
p_sd=$!
l_sh=$(bench_ms)
"$agent" -q -c "$work/sh/saba.conf" run > /dev/null &
p_sh=$!
l_cc=$(bench_ms)
"$collectd" -f -C "$work/cc/collectd.conf" > /dev/null 2>&1 &
p_cc=$!
l_ch=$(bench_ms)
"$collectd" -f -C "$work/ch/collectd.conf" > /dev/null 2>&1 &
p_ch=$!
l_ne=$(bench_ms)
# shellcheck disable=SC2086 # one word per flag
"$node_exporter" $ne_args > /dev/null 2>&1 &
p_ne=$!
python3 "$top/bench/scrape.py" "http://127.0.0.1:$ne_port/metrics" "$interval" "$l_ne" \
	"$work/ne.first" &
bench_kill_later $p_sd $p_sh $p_cc $p_ch $p_ne $!
all="$p_sd $p_sh $p_cc $p_ch $p_ne"
if [ $full = yes ]; then
	bench_sink fl
	# shellcheck disable=SC2046 # one / per filesystem the agent reports
	"$top/bench/cpu-floor" "http://127.0.0.1:$port/api/v0/tsdb" "$work/body.json" "$interval" \
		$(seq "$nfs" | sed 's|.*|/|') &
	p_fl=$!
	bench_kill_later $p_fl
	all="$all $p_fl"
	bench_saba_conf "$work/st" 9 "$interval" "$plugins" "$saba_plugins"
	"$agent" -q -c "$work/st/saba.conf" run --dry-run > "$work/st.out" &
	p_st=$!
	bench_kill_later $p_st
fi

sleep $((2 * interval + 2))
half=$(awk -v i="$interval" 'BEGIN {print i / 2}')
bench_sleep_to "$interval" "$half"
for p in $all; do eval "c0_$p=$(bench_cpu_ns $p)"; done
if [ $full = yes ]; then
	strace -f -y -qq -o "$work/st.trace" -p $p_st &
	p_strace=$!
	bench_kill_later $p_strace
fi
i=0
while [ $i -lt $n ]; do
	bench_sleep_to "$interval" "$half"
	i=$((i + 1))
done
for p in $all; do
	kill -0 "$p" 2> /dev/null || {
		echo "process $p ended early" >&2
		exit 1
	}
	eval "m_$p=\"$(bench_mem $p) \$(($(bench_cpu_ns $p) - \$c0_$p))\""
done
if [ $full = yes ]; then
	kill -INT $p_strace # detaches
	wait $p_strace || true
fi

echo "$set_name every $interval s; CPU over $n intervals; measured at the end, one run"
printf '%-22s %8s %8s %12s %8s %14s\n' "" "RSS kB" "anon kB" "CPU ms/coll" "threads" \
	"first post ms"
row() { # label pid first
	eval "m=\$m_$2"
	echo "$m" | awk -v l="$1" -v n="$n" -v f="$3" \
		'{printf "%-22s %8d %8d %12.3f %8d %14s\n", l, $1, $2, $5 / 1e6 / n, $3, f}'
}
ratio() { # label pid-a pid-b first-a first-b
	eval "a=\$m_$2; b=\$m_$3"
	printf '%s\n%s\n' "$a" "$b" | awk -v l="$1" -v fa="$4" -v fb="$5" \
		'NR == 1 {r = $1; an = $2; t = $3; c = $5}
		NR == 2 {printf "%-22s %8.2f %8.2f %12s %8.2f %14s\n", l, r / $1, an / $2,
			($5 > 0 ? sprintf("%.2f", c / $5) : "n/a"), t / $3,
			(fa + 0 > 0 && fb + 0 > 0 ? sprintf("%.2f", fa / fb) : "-")}'
}
f_sh=$(bench_first sh "$l_sh" "POST /api/v0/tsdb")
f_ch=$(bench_first ch "$l_ch" "POST")
f_ne=$(cat "$work/ne.first" 2> /dev/null || echo -)
row "saba-agent dry-run" $p_sd -
row "saba-agent http" $p_sh "$f_sh"
row "collectd csv" $p_cc -
row "collectd write_http" $p_ch "$f_ch"
row "node-exporter scraped" $p_ne "$f_ne (scrape)"
ratio "dry-run/collectd csv" $p_sd $p_cc - -
ratio "http/collectd http" $p_sh $p_ch "$f_sh" "$f_ch"
ratio "http/node-exporter" $p_sh $p_ne "$f_sh" "$f_ne"
[ $full = yes ] || exit 0
echo
echo "the floor: the same reads and statfs calls, one libcurl POST of the agent's body, nothing else"
row "floor (cpu-floor)" $p_fl -
cpu_ratio() { # label pid-a pid-b
	eval "a=\$m_$2; b=\$m_$3"
	printf '%s\n%s\n' "$a" "$b" | awk -v l="$1" \
		'NR == 1 {c = $5} NR == 2 {printf "%-22s %8s %8s %12s\n", l, "", "",
			($5 > 0 ? sprintf("%.2f", c / $5) : "n/a")}'
}
cpu_ratio "http/floor" $p_sh $p_fl
cpu_ratio "floor/collectd http" $p_fl $p_ch

# A call is counted where it starts ("<... resumed>" lines are its end).
# The plugins' files by name (an open) or by descriptor (-y: "5</proc/stat>";
# /proc/net and /proc/self resolve to /proc/<pid>).
echo
echo "system calls per collection, saba-agent dry-run under strace -f over $n intervals"
awk -v n="$n" -v nfs="$nfs" '
	/resumed>/ || $2 ~ /^(---|\+\+\+)/ { next }
	{ all++ }
	/\/proc\/(loadavg|meminfo|stat|diskstats)[>"]/ ||
	/\/proc\/((self|[0-9]+)\/)?(net\/dev|mounts)[>"]/ || $2 ~ /^f?statfs\(/ {
		plug++
		split($2, name, "(")
		calls[name[1]]++
	}
	END {
		floor = 6 + nfs
		detail = ""
		for (c in calls)
			detail = detail sprintf(" %s %.1f", c, calls[c] / n)
		printf "%-22s %8.1f   floor %d (6 files: a read each, or a poll for /proc/mounts; %d statfs): %.2fx\n", "plugins (/proc, statfs)",
			plug / n, floor, nfs, (plug / n) / floor
		printf "%-22s %8s  %s\n", "", "", detail
		printf "%-22s %8.1f\n", "rest (core, output)", (all - plug) / n
	}' "$work/st.trace"
