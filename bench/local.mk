EXTRA_DIST += bench/footprint.sh
