#!/bin/sh
# fixture: the uid and gid it runs with, and $HOME's length.
now=$(date +%s)
echo "user.uid $(id -u) $now"
echo "user.gid $(id -g) $now"
