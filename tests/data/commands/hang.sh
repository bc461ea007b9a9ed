#!/bin/sh
# fixture: never ends (SIGTERM ends it).
echo "hang.started 1 $(date +%s)"
while :; do sleep 1; done
