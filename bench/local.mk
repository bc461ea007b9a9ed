# Benchmarks (bench/*.sh, run by hand from a built tree; never part of
# make check): footprint against collectd and node-exporter, shutdown
# latency, metric throughput, the 30-minute soak, many exec plugins.
EXTRA_DIST += bench/README.md bench/common.sh bench/footprint.sh bench/shutdown.sh bench/throughput.sh \
	bench/soak.sh bench/exec50.sh bench/sink.py bench/scrape.py bench/sweep.sh

# The floor a posting collection cannot go under (bench/footprint.sh
# --full builds it with `make bench/cpu-floor`).
EXTRA_PROGRAMS = bench/cpu-floor
bench_cpu_floor_SOURCES = bench/cpu_floor.c
bench_cpu_floor_CFLAGS = $(AM_CFLAGS) $(CURL_CFLAGS)
bench_cpu_floor_LDADD = $(CURL_LIBS)
CLEANFILES += bench/cpu-floor
