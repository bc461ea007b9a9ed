#!/bin/sh
# Shutdown latency of saba-agent, in one run:
#   1. SIGTERM to process exit with an empty queue (posting to a loopback
#      sink, signalled 0.8 s past a tick, after that tick's post), beside
#      collectd (write_http to a sink) and node-exporter;
#   2. SIGTERM to the retire request on the wire, with the test trigger
#      plugin (tests/core/fixtures/trigger.c) classifying the stop as a poweroff;
#   3. the same when the API is a black hole (the sink stops answering 2 s
#      before the SIGTERM, so a post hangs and metrics are queued): time to
#      exit, which must stay within retire.timeout + 1 s.
# Each is repeated ROUNDS times (default 5; 2 for the black hole); prints
# the median and the maximum in ms.
#
#   bench/shutdown.sh [ROUNDS]
#
# Needs the test plugins (make check TESTS= builds them), collectd-core and
# prometheus-node-exporter.  Run from a built tree.  Loopback traffic only.
set -eu

rounds=${1:-5}
retire_timeout=5
. "$(dirname "$0")/common.sh"
[ -f "$test_plugins/trigger.so" ] || {
	echo "build the test plugins first: make check TESTS=" >&2
	exit 1
}
bench_need_peers
mkdir -p "$work/plugins"
cp "$plugins/loadavg.so" "$plugins/memory.so" "$test_plugins/trigger.so" "$work/plugins/"
chmod 644 "$work/plugins"/*.so

saba_conf() { # dir port extra-plugins
	bench_saba_conf "$1" "$2" 1 "$work/plugins" "loadavg = {}; memory = {}; $3" \
		"retire = { timeout = $retire_timeout; };"
}

# Start "$@" in the background, wait 3 s and for 0.8 s past a tick,
# SIGTERM it; prints the ms to its exit.  (In a subshell whose stderr is
# closed: sh reports a child killed by the signal, "Terminated".)
term_to_exit() {
	(
		"$@" > /dev/null 2>&1 &
		p=$!
		sleep 3
		bench_sleep_to 1 0.8
		t0=$(bench_ms)
		kill -TERM $p
		wait $p || true
		echo $(($(bench_ms) - t0))
	) 2> /dev/null
}

# median and max of the numbers on stdin
stats() {
	sort -n | awk '{v[NR] = $1} END {printf "%8d %8d\n", v[int((NR + 1) / 2)], v[NR]}'
}

trigger='trig = { module = "trigger"; kind = "poweroff"; retire_on = [ "poweroff" ]; confirm = "yes"; };'

# 1. empty queue
bench_sink plain
saba_conf "$work/plain" "$port" ""
: > "$work/exit.saba"
: > "$work/exit.collectd"
: > "$work/exit.ne"
bench_collectd_conf "$work/cd" 1 "LoadPlugin load
LoadPlugin memory
$(bench_write_http "$port")"
i=0
while [ $i -lt "$rounds" ]; do
	term_to_exit "$agent" -q -c "$work/plain/saba.conf" run >> "$work/exit.saba"
	term_to_exit "$collectd" -f -C "$work/cd/collectd.conf" >> "$work/exit.collectd"
	term_to_exit "$node_exporter" --web.listen-address=127.0.0.1:$(bench_free_port) \
		--collector.disable-defaults --collector.loadavg --collector.meminfo >> "$work/exit.ne"
	i=$((i + 1))
done

# 2. retire on the wire, 3. black hole: a fresh sink and root each round
retire_round() { # name blackhole
	bench_sink "$1"
	saba_conf "$work/$1" "$port" "$trigger"
	"$agent" -q -c "$work/$1/saba.conf" run > /dev/null 2>&1 &
	p=$!
	sleep 1
	bench_sleep_to 1 0.8
	# the API stops answering 2 s before the stop: a post hangs, two
	# ticks of metrics wait in the queue
	[ "$2" = no ] || kill -USR1 $sink_pid
	sleep 2
	t0=$(bench_ms)
	kill -TERM $p
	wait $p || true
	t1=$(bench_ms)
	echo "$(bench_first "$1" "$t0" "/retire") $((t1 - t0))"
}
: > "$work/retire"
: > "$work/blackhole"
i=0
while [ $i -lt "$rounds" ]; do
	retire_round "r$i" no >> "$work/retire"
	i=$((i + 1))
done
i=0
while [ $i -lt 2 ]; do
	retire_round "b$i" yes >> "$work/blackhole"
	i=$((i + 1))
done

echo "shutdown, $rounds rounds (black hole: 2), interval 1 s, loadavg + memory, one run"
printf '%-46s %8s %8s\n' "" "median" "max"
printf '%-46s %s\n' "SIGTERM -> exit, empty queue: saba-agent (ms)" "$(stats < "$work/exit.saba")"
printf '%-46s %s\n' "  collectd write_http" "$(stats < "$work/exit.collectd")"
printf '%-46s %s\n' "  node-exporter" "$(stats < "$work/exit.ne")"
printf '%-46s %s\n' "SIGTERM -> retire request on the wire (ms)" \
	"$(cut -d' ' -f1 "$work/retire" | stats)"
printf '%-46s %s\n' "SIGTERM -> exit after the retire (ms)" "$(cut -d' ' -f2 "$work/retire" | stats)"
printf '%-46s %s\n' "SIGTERM -> exit, API a black hole (ms)" \
	"$(cut -d' ' -f2 "$work/blackhole" | stats)"
max=$(cut -d' ' -f2 "$work/blackhole" | sort -n | tail -1)
bound=$(((retire_timeout + 1) * 1000))
if [ "$max" -le $bound ]; then
	echo "black hole: within retire.timeout + 1 s = $bound ms: PASS"
else
	echo "black hole: over retire.timeout + 1 s = $bound ms: FAIL"
	exit 1
fi
