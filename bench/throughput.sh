#!/bin/sh
# Metric throughput: 10 000 values per interval (1 s) from one external
# program, in one run:
#   saba-agent            one exec plugin printing 10 000 lines a run,
#                         posting to a loopback sink
#   collectd              the exec plugin (a long-running script printing
#                         10 000 PUTVAL lines a second, as user nobody),
#                         write_http to a loopback sink with a 1 MiB buffer
#                         (the 4 KiB default posts ~500 times a second)
#   node-exporter         the textfile collector on a 10 000-line .prom
#                         file, scraped once a second
# Prints each daemon's own CPU per interval (its threads only; the program
# producing the values is not counted), the values delivered per interval
# and RSS, and the ratios.
#
#   bench/throughput.sh [LINES [WINDOW]]     (defaults 10000 and 30 s)
#
# Needs collectd-core and prometheus-node-exporter.  Run from a built
# tree.  Loopback traffic only.
set -eu

lines=${1:-10000}
window=${2:-30}
. "$(dirname "$0")/common.sh"
bench_need_peers
chmod 755 "$work" # collectd runs its exec program as nobody

bench_exec_script "$work/values.sh" "$lines"
cat > "$work/putval.sh" << EOS
#!/bin/sh
while :; do
	awk -v n=$lines 'BEGIN { for (i = 0; i < n; i++) printf "PUTVAL bench/exec-big/gauge-v%d interval=1 N:%d\n", i, i; fflush() }'
	sleep 1
done
EOS
chmod 755 "$work/putval.sh"
mkdir -p "$work/textfile"
awk -v n="$lines" 'BEGIN { print "# TYPE bench_value gauge"
	for (i = 0; i < n; i++) printf "bench_value{i=\"%d\"} %d\n", i, i }' > "$work/textfile/big.prom"

bench_sink saba
bench_saba_conf "$work/saba" "$port" 1 "$plugins" \
	"big = { module = \"exec\"; command = [ \"$work/values.sh\" ]; };"
bench_sink collectd
bench_collectd_conf "$work/cd" 1 "LoadPlugin exec
<Plugin exec>
  Exec \"nobody\" \"$work/putval.sh\"
</Plugin>
$(bench_write_http "$port" 1048576)"
ne_port=$(bench_free_port)

"$agent" -q -c "$work/saba/saba.conf" run > /dev/null &
p_saba=$!
"$collectd" -f -C "$work/cd/collectd.conf" > /dev/null 2>&1 &
p_cd=$!
"$node_exporter" --web.listen-address=127.0.0.1:$ne_port --collector.disable-defaults \
	--collector.textfile --collector.textfile.directory="$work/textfile" > /dev/null 2>&1 &
p_ne=$!
python3 "$top/bench/scrape.py" "http://127.0.0.1:$ne_port/metrics" 1 "$(bench_ms)" \
	"$work/ne.first" &
bench_kill_later $p_saba $p_cd $p_ne $!

sleep 5
bench_sleep_to 1 0
t0=$(bench_ms)
for p in $p_saba $p_cd $p_ne; do eval "c0_$p=$(bench_cpu_ns $p)"; done
sleep "$window"
for p in $p_saba $p_cd $p_ne; do
	kill -0 "$p" 2> /dev/null || {
		echo "process $p ended early" >&2
		exit 1
	}
	eval "m_$p=\"$(bench_mem $p) \$(($(bench_cpu_ns $p) - \$c0_$p))\""
done
t1=$(bench_ms)

# values the sink received in the window, per interval
per_interval() { # sink
	awk -v a="$t0" -v b="$t1" '$1 >= a && $1 < b {v += $4} END {printf "%.0f", v * 1000 / (b - a)}' \
		"$work/$1.log"
}
echo "$lines values per 1 s interval from one external program, for $window s, one run"
printf '%-24s %12s %12s %8s %8s\n' "" "CPU ms/int" "values/int" "RSS kB" "threads"
row() { # label pid values
	eval "m=\$m_$2"
	echo "$m" | awk -v l="$1" -v d="$window" -v v="$3" \
		'{printf "%-24s %12.2f %12s %8d %8d\n", l, $5 / 1e6 / d, v, $1, $3}'
}
row "saba-agent exec + http" $p_saba "$(per_interval saba)"
row "collectd exec + http" $p_cd "$(per_interval collectd)"
row "node-exporter textfile" $p_ne "(scraped)"
eval "a=\$m_$p_saba; b=\$m_$p_cd; c=\$m_$p_ne"
printf '%s\n%s\n%s\n' "$a" "$b" "$c" | awk 'NR == 1 {s = $5} NR == 2 {c = $5} NR == 3 {n = $5}
	END {printf "CPU ratio saba-agent/collectd %.2f, saba-agent/node-exporter %.2f\n", s / c, s / n}'
