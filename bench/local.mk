EXTRA_DIST += bench/footprint.sh bench/sink.py bench/exec50.sh
