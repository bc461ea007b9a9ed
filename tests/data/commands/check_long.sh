#!/bin/sh
# check fixture: 1000 ASCII characters, then 100 three-byte ones (U+3042).
i=0
while [ $i -lt 100 ]; do
	printf 'xxxxxxxxxx'
	i=$((i + 1))
done
i=0
while [ $i -lt 100 ]; do
	printf '\343\201\202'
	i=$((i + 1))
done
exit 1
