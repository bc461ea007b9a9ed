#!/bin/sh
# Soak: saba-agent at a 1-second interval with every Linux metric plugin
# (loadavg cpu memory disk interface filesystem), 20 exec plugins (5 values
# each) and one check, posting to a loopback sink, for DURATION seconds.
# Samples RSS, anonymous RSS, threads and open fds every 10 s, at the same
# point of the second, and passes when
#   - RSS at the end is within 5% of RSS after the first minute, and
#   - the fd count at the end equals the one after the first minute.
#
#   bench/soak.sh [DURATION [SAMPLES]]
#       DURATION: seconds (default 1800, at least 120)
#       SAMPLES:  also write the samples there (CSV)
#
# Exit 0 when both hold, 1 when not.  Run from a built tree (make first).
set -eu

duration=${1:-1800}
samples=${2:-}
[ "$duration" -ge 120 ] || {
	echo "DURATION must be at least 120 s" >&2
	exit 2
}
. "$(dirname "$0")/common.sh"

bench_sink sink
bench_exec_script "$work/values.sh" 5
instances="loadavg = {}; cpu = {}; memory = {}; disk = {}; interface = {}; filesystem = {};"
i=0
while [ $i -lt 20 ]; do
	instances="$instances e$i = { module = \"exec\"; command = [ \"$work/values.sh\" ]; };"
	i=$((i + 1))
done
bench_saba_conf "$work/saba" "$port" 1 "$plugins" \
	"$instances c0 = { module = \"check\"; command = \"true\"; };"

"$agent" -q -c "$work/saba/saba.conf" run 2> "$work/stderr" &
pid=$!
bench_kill_later $pid
t0=$(date +%s)

echo "t_s,rss_kB,anon_kB,threads,fds,cpu_ms" > "$work/samples.csv"
while :; do
	bench_sleep_to 10 0.5 # the same point of the second each time
	kill -0 $pid 2> /dev/null || {
		echo "saba-agent exited early:" >&2
		tail -5 "$work/stderr" >&2
		exit 1
	}
	t=$(($(date +%s) - t0))
	set -- $(bench_mem $pid)
	cpu=$(bench_cpu_ns $pid)
	echo "$t,$1,$2,$3,$4,$((cpu / 1000000))" >> "$work/samples.csv"
	[ "$t" -lt "$duration" ] || break
done
[ -z "$samples" ] || cp "$work/samples.csv" "$samples"

awk -F, -v d="$duration" 'NR == 1 { next }
	# the reference: the first sample at or after 60 s
	ref == "" && $1 >= 60 { ref = NR; r0 = $2; a0 = $3; t0 = $4; f0 = $5; c0 = $6; s0 = $1 }
	ref != "" { if (fmin == "" || $5 < fmin) fmin = $5; if ($5 > fmax) fmax = $5
		if (rmax == "" || $2 > rmax) rmax = $2 }
	{ r1 = $2; a1 = $3; t1 = $4; f1 = $5; c1 = $6; s1 = $1 }
	END {
		growth = (r1 - r0) * 100 / r0
		printf "soak: %d s at 1 s: loadavg cpu memory disk interface filesystem, " \
			"20 exec (5 values each), 1 check, posting to a loopback sink\n", d
		printf "%-22s %10s %10s %8s %6s\n", "", "RSS kB", "anon kB", "threads", "fds"
		printf "%-22s %10d %10d %8d %6d\n", "after " s0 " s", r0, a0, t0, f0
		printf "%-22s %10d %10d %8d %6d\n", "at the end (" s1 " s)", r1, a1, t1, f1
		printf "RSS growth %+.2f%% (bound 5%%), peak %d kB; fds %d..%d after the first " \
			"minute; CPU %.2f ms per interval\n", growth, rmax, fmin, fmax,
			(c1 - c0) / (s1 - s0)
		ok = (growth <= 5 && growth >= -5 && f1 == f0)
		print ok ? "PASS" : "FAIL"
		exit !ok
	}' "$work/samples.csv"
