#!/bin/sh
# exec fixture: one good line, then 10 MB of output.
printf 'big.first 1 %s\n' "$(date +%s)"
yes 'big.line 1 1700000000' | head -c 10485760
