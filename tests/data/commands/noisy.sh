#!/bin/sh
# fixture: 50 lines of stderr, one value.
i=0
while [ $i -lt 50 ]; do
	echo "noise line $i" >&2
	i=$((i + 1))
done
echo "noisy.value 1 $(date +%s)"
