EXTRA_DIST += bench/footprint.sh bench/sink.py
