# SPDX-License-Identifier: GPL-2.0-or-later
# Issue [8]: only the configured peer gets in.  Node b comes back with
# another secret: the connection is refused on both sides, each says
# "peer failed authentication", and b's disk receives nothing while a
# writes (its digest is unchanged).  An impostor without the secret, from
# the peer's address, gets the listener's 104-byte AUTH answer and nothing
# more; a connection from an address that is not the peer's is closed
# without a byte.  With the right secret back, the pair resyncs.
. /tests/lib.sh
start_pair
A=10.77.0.1 P=7790
on_b "killall -9 mirrord; . /tests/lib.sh; secret_install another-secret-of-sufficient-length" || fail "wrong secret on b"
sleep 1
n=$(mdctl status --json r0 | json_field size_bytes)
before=$(on_b ". /tests/lib.sh; digest /dev/vda $n")
on_b "mdctl up r0" >/dev/null || fail "up b"
dd if=/dev/urandom of=/dev/mirror0 bs=1M count=4 seek=20 oflag=direct 2>/dev/null || fail "write on a"
sleep 6
mdctl status --json r0 | grep -q '"connection": "connected"' && fail "a connected to a peer with another secret"
mdctl status --json r0 | json_field last_error | grep -q "peer failed authentication: it does not hold this resource's secret" ||
	{ mdctl status r0; fail "a does not say the peer failed authentication"; }
on_b "mdctl status --json r0" | json_field last_error | grep -q "peer failed authentication: it does not hold" ||
	{ on_b "mdctl status r0"; fail "b does not say the peer failed authentication"; }
grep -q "peer failed authentication" /var/log/mirrordisk/r0.log || fail "not in a's log"
on_b "grep -q 'peer failed authentication' /var/log/mirrordisk/r0.log" || fail "not in b's log"
on_b "killall -9 mirrord" || true
after=$(on_b ". /tests/lib.sh; digest /dev/vda $n")
[ "$before" = "$after" ] || fail "b's disk changed while it was refused"
log "refused both ways; b's disk unchanged"
out=$(on_b "mdclient $A $P auth 10") || fail "the impostor was held: $out"
log "impostor without the secret: $out"
echo "$out" | grep -q ", 104 bytes received" || fail "the impostor received more than the AUTH answer: $out"
out=$(mdclient $A $P silent 10 $A) || fail "a client from a's own address was held: $out"
log "client from an address that is not the peer's: $out"
echo "$out" | grep -q "dropped after 0\.[0-9] s, 0 bytes received" || fail "not closed at once without a byte: $out"
grep -q "from $A: not from the peer's address" /var/log/mirrordisk/r0.log || fail "a did not log the foreign address"
on_b ". /tests/lib.sh; secret_install; mdctl up r0" >/dev/null || fail "up b with the right secret"
wait_conn; wait_sync
grep -q "connected to node-b (.*, authenticated, encrypted: TLS 1.2 in the kernel)" /var/log/mirrordisk/r0.log ||
	fail "no authenticated, encrypted connection logged"
mdctl deactivate r0 >/dev/null
same_disks
echo "a peer with another secret got nothing and wrote nothing; the right one resynced"
