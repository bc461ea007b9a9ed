#!/bin/sh
# exec fixture: lines with fewer than 3 fields (2 and 4), a bad value (5)
# and a bad name (6) between good ones.
now=$(date +%s)
printf 'ok.one 1 %s\n' "$now"
printf 'only.two 2\n'
printf 'ok.three 3 %s\n' "$now"
printf 'lonely\n'
printf 'bad.value abc %s\n' "$now"
printf 'bad/name 6 %s\n' "$now"
printf 'ok.seven 7 %s\n' "$now"
