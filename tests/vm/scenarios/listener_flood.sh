# Issue [7], item 3: a listener nobody can hold.  Node a listens.  Clients
# that are not the peer connect to its port: silent ones, ones that send
# garbage, and ones that send a valid HELLO header and then drip one byte
# a second (they would hold a blocking handshake for minutes).  Those
# that connect while the session is up are closed at once (they must not
# be first in line after a break); once the link is down, each is dropped
# within the handshake deadline (timeout, 2 s here); and while they keep
# coming, b's restarted daemon gets in within a bound.
. /tests/lib.sh
ko_conf /tests/md.conf /tmp/ko.conf; on_b ". /tests/lib.sh; ko_conf /tests/md.conf /tmp/ko.conf"
CONF=/tmp/ko.conf start_pair
A=10.77.0.1 P=7790
for i in 1 2 3 4; do mdclient $A $P silent 60 > /tmp/held.$i 2>&1 & done
sleep 2
on_b "killall -9 mirrord" || fail "kill b"
log "b's daemon killed; a is listening for it"
out=$(mdclient $A $P drip 15) && log "a drip client: $out" || fail "a drip client was held: $out"
secs=$(echo "$out" | sed -n 's/dropped after \([0-9]*\)\..*/\1/p')
[ "$secs" -le 4 ] || fail "the drip client was held $secs s (deadline 2 s)"
out=$(mdclient $A $P silent 15) && log "a silent client: $out" || fail "a silent client was held: $out"
out=$(mdclient $A $P garbage 15) && log "a garbage client: $out" || fail "a garbage client was held: $out"
( while :; do for m in silent garbage drip drip; do mdclient $A $P $m 30 >/dev/null 2>&1 & done; sleep 1; done ) &
flood=$!
sleep 2
t0=$(date +%s)
on_b "mdctl up r0" >/dev/null || fail "restart b"
wait_conn 20
took=$(($(date +%s) - t0))
log "b reconnected $took s after its restart, through the flood"
[ "$took" -le 10 ] || fail "b needed $took s to get in"
kill $flood 2>/dev/null; killall mdclient 2>/dev/null || true
grep -q "closed a connection to port $P" /var/log/mirrordisk/r0.log || fail "a logged nothing"
grep "closed a connection" /var/log/mirrordisk/r0.log | tail -3
wait_sync
mdctl deactivate r0 >/dev/null
same_disks
echo "the real peer got in through a flood of silent, garbage and slow clients"
