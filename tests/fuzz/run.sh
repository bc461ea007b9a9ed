#!/bin/sh
# One bounded libFuzzer run of a target, for `make fuzz` (tests/fuzz/local.mk):
#
#   run.sh OUT FUZZDIR NAME SECONDS [libFuzzer options...]
#       runs OUT/fuzz_NAME on its corpus (FUZZDIR/corpus/NAME, the
#       regression inputs FUZZDIR/regress/NAME and what earlier runs found,
#       OUT/work/NAME) for SECONDS; the log goes to OUT/logs/NAME.log, a
#       crashing input to OUT/crashes/, one result line to OUT/results/NAME.
#       Always exits 0: the summary decides.
#   run.sh --summary OUT NAME...
#       prints the result lines; exits 1 when a run failed or is missing.
set -u

if [ "$1" = --summary ]; then
	out=$2
	shift 2
	status=0
	echo "fuzz results (log and crashing inputs under $out/):"
	for name in "$@"; do
		if [ -f "$out/results/$name" ]; then
			cat "$out/results/$name"
			grep -q '^FAIL' "$out/results/$name" && status=1
		else
			echo "FAIL  $name: no result (the run did not happen)"
			status=1
		fi
	done
	[ $status = 0 ] && echo "fuzz: all targets ran without a crash" ||
		echo "fuzz: FAILED (see the logs; add the crashing input to tests/fuzz/regress/NAME/)"
	exit $status
fi

out=$1 fuzzdir=$2 name=$3 seconds=$4
shift 4
bin=$out/fuzz_$name
log=$out/logs/$name.log
result=$out/results/$name
mkdir -p "$out/work/$name" "$out/logs" "$out/crashes" "$out/results"
rm -f "$result"

set -- -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
	-close_fd_mask=3 -artifact_prefix="$out/crashes/$name-" "$@"
[ -f "$fuzzdir/$name.dict" ] && set -- "$@" -dict="$fuzzdir/$name.dict"
set -- "$@" "$out/work/$name" "$fuzzdir/corpus/$name"
[ -d "$fuzzdir/regress/$name" ] && set -- "$@" "$fuzzdir/regress/$name"

# the targets write scratch files for every input: keep them off the disk
# (the id file is fsync'ed) when tmpfs is at hand
if [ -z "${TMPDIR:-}" ] && [ -d /dev/shm ] && [ -w /dev/shm ]; then
	TMPDIR=/dev/shm
	export TMPDIR
fi

# A small quarantine keeps the heap small: libFuzzer scans it for leaks
# after every input whose mallocs and frees do not match, and libconfig's
# (suppressed) leaks make that frequent.  Use-after-free of a block freed
# within the last 16 MB of frees is still caught.
ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=16"
export ASAN_OPTIONS

echo "fuzz: $name for $seconds s ..."
"$bin" "$@" </dev/null >"$log" 2>&1
rc=$?

# libFuzzer's own numbers: the instrumented edges, the last status line,
# the final statistics
edges=$(sed -n 's/.*Loaded [0-9]* modules *(\([0-9]*\) inline 8-bit counters).*/\1/p' "$log" | head -n 1)
last=$(grep -E '^#[0-9]+.*cov: ' "$log" | tail -n 1)
cov=$(echo "$last" | sed -n 's/.* cov: \([0-9]*\).*/\1/p')
ft=$(echo "$last" | sed -n 's/.* ft: \([0-9]*\).*/\1/p')
corp=$(echo "$last" | sed -n 's/.* corp: \([0-9]*\).*/\1/p')
runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
pct=$(awk -v c="${cov:-0}" -v e="${edges:-0}" 'BEGIN { if (e > 0) printf "%.0f%%", 100 * c / e; else print "?" }')
stats="runs ${runs:-?}, ${speed:-?} exec/s, cov ${cov:-?}/${edges:-?} edges ($pct), ft ${ft:-?}, corpus ${corp:-?}"

if [ $rc = 0 ] && grep -q '^Done [0-9]* runs' "$log"; then
	echo "ok    $name: $stats" >"$result"
else
	what=$(grep -m 1 -E '^SUMMARY: |ERROR: libFuzzer: |^fuzz: ' "$log" || echo "exit status $rc")
	input=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -n 1)
	echo "FAIL  $name: $what; input ${input:-none}; log $log" >"$result"
fi
cat "$result"
exit 0
