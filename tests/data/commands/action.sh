#!/bin/sh
# check action fixture: appends what the agent told it to $ACTION_OUT.
printf '%s|%s|%s\n' "$MACKEREL_STATUS" "$MACKEREL_PREVIOUS_STATUS" "$MACKEREL_CHECK_MESSAGE" \
	>> "$ACTION_OUT"
