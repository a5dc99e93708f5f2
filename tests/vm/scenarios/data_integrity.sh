# SPDX-License-Identifier: GPL-2.0-or-later
# Issue [8], data integrity: a relay on node b (tests/vm/mdrelay.c) sits
# between the two daemons and flips one bit in the payload of one DATA
# packet, as a bad NIC or switch may while TCP's checksum lets it pass.
# With data-integrity = yes on both nodes, b finds the digest wrong, never
# writes the packet, resets the link; the write is marked on a and the
# resync after the reconnect makes the copies identical.  Without it, the
# same flip lands on b's disk silently: shown here, and caught by verify.
. /tests/lib.sh
relay_start() {	# on b: b's daemon connects to the relay, which connects to a from b's address
	on_b "killall mdrelay 2>/dev/null; rm -f /tmp/flip; (mdrelay 10.77.0.2 7790 10.77.0.1 1 /tmp/flip > /tmp/relay.log 2>&1 &)"
}
# Plain mode (encryption = none): with TLS the kernel authenticates every
# record and the relay's flip is a TLS error instead (tls_link).
sed 's/^timeout = 5/&\ndata-integrity = yes\nencryption = none/' /tests/md.conf > /tmp/di.conf
on_b "sed 's/^timeout = 5/&\ndata-integrity = yes\nencryption = none/' /tests/md.conf |
	sed '/^\[resource r0 node node-a\]/,/^\[/ s/^address = .*/address = 10.77.0.2/' > /tmp/di.conf"
relay_start
CONF=/tmp/di.conf start_pair
flip_repaired 10 'data integrity: a DATA packet of [0-9]* bytes failed its digest'

log "the same flip without data-integrity"
mdctl deactivate r0 >/dev/null; mdctl down r0 >/dev/null; on_b "mdctl down r0" >/dev/null
sed -i 's/^data-integrity = yes/data-integrity = no/' /etc/mirrordisk/mirrordisk.conf
on_b "sed -i 's/^data-integrity = yes/data-integrity = no/' /etc/mirrordisk/mirrordisk.conf"
relay_start
on_b "mdctl up r0" >/dev/null && mdctl up r0 >/dev/null || fail "up again"
wait_conn	# up alone, a is only consistent: it is up to date once it met b
mdctl activate r0 >/dev/null || fail "activate"
wait_sync
on_b "touch /tmp/flip"
dd if=/tmp/pat of=/dev/mirror0 bs=1M seek=20 oflag=direct 2>/dev/null || fail "write on a"
on_b "grep -q flipped /tmp/relay.log" || fail "the relay flipped nothing"
mdctl status --json r0 | grep -q '"connection": "connected"' || fail "the link broke without integrity checks"
[ "$(on_b "dd if=/dev/vda bs=1M skip=20 count=1 iflag=direct 2>/dev/null" | md5sum)" != "$(md5sum < /tmp/pat)" ] ||
	fail "the flip did not reach b's disk: the relay's model does not hold"
log "without data-integrity the flipped bit is on b's disk, unnoticed"
if mdctl verify r0 > /tmp/verify.out; then fail "verify missed it: $(cat /tmp/verify.out)"; else rc=$?; fi
[ $rc = 6 ] || fail "verify exited $rc, expected 6"
resync_b
same_disks
on_b "killall mdrelay" || true
echo "a bit flipped in flight is caught with data-integrity, and would land silently without"
