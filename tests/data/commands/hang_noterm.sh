#!/bin/sh
# fixture: never ends and ignores SIGTERM (its sleeps too): needs SIGKILL.
trap '' TERM
while :; do sleep 1; done
