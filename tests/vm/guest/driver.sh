#!/bin/sh
# Runs each scenario of the suite on node a, with a per-scenario timeout,
# between markers the host runner parses.  Exit code 0 passes, 4 skips,
# anything else fails (kselftest's convention).
. /tests/lib.sh
IFS=,
set -- $MD_scen
unset IFS
if [ -n "$MD_peer" ]; then
	# Wait for node b's agent: it boots at the same time as we do.
	i=0
	while ! mdagent -c "$MD_peer" true 2>/dev/null; do
		i=$((i + 1)); [ $i -gt 120 ] && { echo "driver: node b unreachable"; break; }
		sleep 1
	done
fi
for s in "$@"; do
	echo "@@BEGIN $s"
	[ -n "$MD_peer" ] && on_b "echo '@@BEGIN $s' > /dev/kmsg" >/dev/null 2>&1
	timeout -s KILL "$MD_timeout" sh -e "/tests/scenarios/$s.sh" > "/tmp/$s.log" 2>&1
	rc=$?
	cat "/tmp/$s.log"
	md_reset >/dev/null 2>&1
	[ -n "$MD_peer" ] && on_b ". /tests/lib.sh; md_reset; echo '@@END $s' > /dev/kmsg" >/dev/null 2>&1
	echo "@@END $s $rc"
done
