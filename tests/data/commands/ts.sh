#!/bin/sh
# exec fixture: timestamps now, 10 minutes ago, long ago and not a number.
now=$(date +%s)
echo "ts.now 1 $now"
echo "ts.recent 2 $((now - 600))"
echo "ts.old 3 1000000000"
echo "ts.junk 4 soon"
