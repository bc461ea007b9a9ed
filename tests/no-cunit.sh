#!/bin/sh
# Stands in for the unit tests when configure did not find CUnit: a hard
# failure, so a missing test dependency is never mistaken for a pass.
echo "CUnit not found: install the Debian package libcunit1-dev and re-run configure" >&2
exit 99
