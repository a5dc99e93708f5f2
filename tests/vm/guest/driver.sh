#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Runs each scenario of the suite on node a, with a per-scenario timeout,
# between markers the host runner parses.  Exit code 0 passes, 4 skips,
# anything else fails (kselftest's convention).
. /tests/lib.sh
# Programs built with the sanitizers (/etc/md-san, a SAN=1 suite): a report
# fails the scenario.  A sanitized program aborts on its first report;
# mirrord's goes to its log (on either node), the others' to the
# scenario's output.  Those logs start afresh with each scenario.
SAN_RE='ERROR: AddressSanitizer|runtime error:'
SAN_LOGS="grep -h -A40 -E '$SAN_RE' /var/log/mirrordisk/*.log 2>/dev/null; rm -f /var/log/mirrordisk/*.log"
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
	t0=$(cut -d. -f1 /proc/uptime)
	export MD_T0=$t0
	[ -n "$MD_peer" ] && on_b "echo '@@BEGIN $s' > /dev/kmsg" >/dev/null 2>&1
	timeout -s KILL "$MD_timeout" sh -e "/tests/scenarios/$s.sh" > "/tmp/$s.log" 2>&1
	rc=$?
	cat "/tmp/$s.log"
	if [ "$rc" -eq 137 ]; then	# timed out: say what it waited for
		dump_blocked
		[ -z "$MD_peer" ] || on_b ". /tests/lib.sh; dump_blocked" 2>/dev/null | sed 's/^/b: /'
	fi
	md_reset >/dev/null 2>&1
	[ -n "$MD_peer" ] && on_b ". /tests/lib.sh; md_reset; echo '@@END $s' > /dev/kmsg" >/dev/null 2>&1
	if [ -e /etc/md-san ]; then
		rep=$( { grep -h -A40 -E "$SAN_RE" "/tmp/$s.log"; sh -c "$SAN_LOGS" | sed 's/^/a: /'
			[ -z "$MD_peer" ] || on_b "$SAN_LOGS" 2>/dev/null | sed 's/^/b: /'; } | head -120)
		if [ -n "$rep" ]; then
			echo "$rep"
			echo "FAIL: sanitizer report (above)"
			[ "$rc" -ne 0 ] && [ "$rc" -ne "$SKIP" ] || rc=1
		fi
	fi
	echo "@@END $s $rc $(( $(cut -d. -f1 /proc/uptime) - t0 ))"	# seconds it took
done
