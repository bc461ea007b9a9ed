#!/bin/sh
# exec fixture: binary junk (NULs, high bytes, control characters) around
# one good line; stderr gets junk too.
now=$(date +%s)
printf '\000\001\377\376 junk\tmore\n\200\201 1 2\n\033[31mred 1 2\n'
printf 'x\000y 1 2\n'
printf 'after.junk 3 %s\n' "$now"
printf '\377\000\033 stderr junk\n' >&2
printf '\000\000\000'
