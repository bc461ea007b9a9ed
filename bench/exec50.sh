#!/bin/sh
# The agent's own cost of running many metric plugins: N exec instances
# (default 50), each a tiny shell script printing one value, every second
# for DURATION seconds, with run --dry-run.  Prints the agent's own CPU per
# interval (its threads only, not the plugin processes it starts), its RSS
# and threads, and how many values arrived per interval.
#
#   bench/exec50.sh [N] [DURATION]      (defaults 50 and 30)
#
# Run from a built tree (make first).  Nothing leaves the machine.
set -eu

n=${1:-50}
duration=${2:-30}
. "$(dirname "$0")/common.sh"

cat > "$work/plugin.sh" <<'EOS'
#!/bin/sh
echo "bench.value.$1	1	$(date +%s)"
EOS
chmod 755 "$work/plugin.sh"
{
	echo "root = \"$work/root\";"
	echo "plugin_dir = \"$plugins\";"
	echo "interval = 1;"
	echo "plugins = {"
	i=0
	while [ $i -lt "$n" ]; do
		echo "  p$i = { module = \"exec\"; command = [ \"$work/plugin.sh\", \"p$i\" ]; };"
		i=$((i + 1))
	done
	echo "};"
} > "$work/saba.conf"

"$agent" -q -c "$work/saba.conf" run --dry-run > "$work/out" &
pid=$!
bench_kill_later $pid
sleep 3 # past start-up and the plugins' one meta run
cpu0=$(bench_self_ns $pid)
lines0=$(wc -l < "$work/out")
sleep "$duration"
cpu1=$(bench_self_ns $pid)
# Threads over two seconds: the median is the agent at rest between rounds.
threads=$(for _ in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
	awk '/^Threads:/ {print $2}' /proc/$pid/status
	sleep 0.1
done | sort -n | awk '{v[NR] = $1} END {printf "%d (max %d)", v[int(NR / 2) + 1], v[NR]}')
posts=$(tail -n +"$((lines0 + 1))" "$work/out" | grep -c '"/api/v0/tsdb"' || true)
values=$(tail -n +"$((lines0 + 1))" "$work/out" | grep -o '"name":"custom.bench' | wc -l)
rss=$(awk '/^VmRSS:/ {print $2}' /proc/$pid/status)
echo "$n exec plugins every 1 s for $duration s (run --dry-run)"
awk -v c0="$cpu0" -v c1="$cpu1" -v d="$duration" -v p="$posts" -v v="$values" \
    -v r="$rss" -v t="$threads" -v n="$n" 'BEGIN {
	printf "agent CPU per interval: %.2f ms (every thread, exited ones too; the %d scripts not counted)\n",
		(c1 - c0) / 1e6 / d, n
	printf "values per interval:    %.1f of %d\n", (p > 0 ? v / p : 0), n
	printf "RSS: %d kB, threads at rest (median of 20 samples over 2 s): %s\n", r, t
}'
