# SPDX-License-Identifier: GPL-2.0-or-later
# Issue [7], item 3: a listener nobody can hold.  Node a listens.  Clients
# that are not the peer's daemon connect to its port from the peer's own
# address (so the source check lets them in): silent ones, ones that send
# garbage, and ones that send a valid AUTH header and then drip one byte a
# second (they would hold a blocking handshake for minutes).  Those that
# connect while the session is up are closed at once (they must not be
# first in line after a break); once the link is down, each is dropped
# within the handshake deadline (timeout, 2 s here); and while they keep
# coming, b's restarted daemon gets in within a bound.
. /tests/lib.sh
ko_conf /tests/md.conf /tmp/ko.conf; on_b ". /tests/lib.sh; ko_conf /tests/md.conf /tmp/ko.conf"
CONF=/tmp/ko.conf start_pair
A=10.77.0.1 P=7790
on_b "for i in 1 2 3 4; do mdclient $A $P silent 60 >/dev/null 2>&1 & done"
sleep 2
on_b "killall -9 mirrord" || fail "kill b"
log "b's daemon killed; a is listening for it"
for m in drip silent garbage; do
	out=$(on_b "mdclient $A $P $m 15") && log "a $m client: $out" || fail "a $m client was held: $out"
	secs=$(echo "$out" | sed -n 's/dropped after \([0-9]*\)\..*/\1/p')
	[ "$secs" -le 4 ] || fail "the $m client was held $secs s (deadline 2 s)"
done
on_b "(while :; do for m in silent garbage drip drip; do mdclient $A $P \$m 30 >/dev/null 2>&1 & done; sleep 1; done) >/dev/null 2>&1 & echo \$! > /tmp/flood.pid"
sleep 2
t0=$(date +%s)
on_b "mdctl up r0" >/dev/null || fail "restart b"
wait_conn 20
took=$(($(date +%s) - t0))
log "b reconnected $took s after its restart, through the flood"
[ "$took" -le 10 ] || fail "b needed $took s to get in"
on_b "kill \$(cat /tmp/flood.pid); killall mdclient" >/dev/null 2>&1 || true
grep -q "closed a connection to port $P" /var/log/mirrordisk/r0.log || fail "a logged nothing"
grep "closed a connection" /var/log/mirrordisk/r0.log | tail -3
wait_sync
mdctl deactivate r0 >/dev/null
same_disks
echo "the real peer got in through a flood of silent, garbage and slow clients"
