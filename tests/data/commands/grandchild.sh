#!/bin/sh
# exec fixture: leaves a background process holding stdout open, writes
# its pid to $PIDFILE, prints a value and exits 0 at once.
sleep 1000 &
echo $! > "$PIDFILE"
echo "gc.value 5 $(date +%s)"
exit 0
