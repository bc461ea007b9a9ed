#!/bin/sh
# check fixture: prints $CHECK_MESSAGE and exits $CHECK_EXIT.
printf '%s' "$CHECK_MESSAGE"
exit "${CHECK_EXIT:-0}"
