#!/bin/sh
# check fixture: runs 1-2 OK "same", 3 WARNING, 4 on OK "same" again; the
# run count is kept in $STATE.
n=$(cat "$STATE" 2>/dev/null || echo 0)
n=$((n + 1))
echo "$n" > "$STATE"
case $n in
1 | 2) printf 'same'; exit 0 ;;
3) printf 'warn'; exit 1 ;;
*) printf 'same'; exit 0 ;;
esac
