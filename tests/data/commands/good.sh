#!/bin/sh
# exec fixture: well-formed lines, any whitespace, extra fields ignored,
# plus what the plugin must set up for a values run.
now=$(date +%s)
printf 'good.tab\t1.5\t%s\n' "$now"
printf 'good.spaces   -2e3   %s  extra fields\n' "$now"
printf '  good.lead 42 %s\n' "$now"
printf 'good.nan NaN %s\n' "$now"
printf 'good.crlf 7 %s\r\n' "$now"
printf '\n'
# MACKEREL_AGENT_PLUGIN_META set and empty
if [ "${MACKEREL_AGENT_PLUGIN_META+set}" = set ] && [ -z "$MACKEREL_AGENT_PLUGIN_META" ]; then
	printf 'env.meta_empty 1 %s\n' "$now"
fi
# MACKEREL_PLUGIN_WORKDIR as configured (EXPECT_WORKDIR comes from `env`)
if [ -n "$EXPECT_WORKDIR" ] && [ "$MACKEREL_PLUGIN_WORKDIR" = "$EXPECT_WORKDIR" ]; then
	printf 'env.workdir 1 %s\n' "$now"
fi
# stdin is /dev/null: EOF at once
if ! read -r _line; then
	printf 'env.stdin_eof 1 %s\n' "$now"
fi
# a process group of its own, not the agent's ($AGENT_PGRP from `env`)
set -- $(cat /proc/$$/stat)
if [ -n "$AGENT_PGRP" ] && [ "$5" != "$AGENT_PGRP" ] && [ -d "/proc/$5" ]; then
	printf 'env.own_pgrp 1 %s\n' "$now"
fi
# no signal blocked or ignored, whatever the agent does with them
set -- $(grep -E '^Sig(Blk|Ign):' /proc/$$/status)
if [ "$2" = 0000000000000000 ] && [ "$4" = 0000000000000000 ]; then
	printf 'env.signals_default 1 %s\n' "$now"
fi
# none of the agent's descriptors ($AGENT_FD from `env`, opened without
# O_CLOEXEC)
if [ -n "$AGENT_FD" ] && [ ! -e "/proc/$$/fd/$AGENT_FD" ]; then
	printf 'env.fds_closed 1 %s\n' "$now"
fi
