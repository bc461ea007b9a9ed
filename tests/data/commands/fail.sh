#!/bin/sh
# exec fixture: values, then a non-zero exit (values still count).
echo "fail.value 9 $(date +%s)"
echo "something went wrong" >&2
exit 3
