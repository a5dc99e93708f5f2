# SPDX-License-Identifier: GPL-2.0-or-later
# Issue [8], encryption: the replication link under TLS (encryption = tls,
# the default wherever there is a secret), the record layer in the kernel
# (kTLS) in both directions on both nodes.  Replication with fio verify
# after a role switch, a bitmap resync, identical disks; what someone on
# the path sees (a relay that records the stream: no plaintext); a bit
# flipped in flight (the kernel refuses the record, the pair reconnects
# and resyncs); then the same with encryption = none, where the relay does
# see the data, and replication and resync work as well.
. /tests/lib.sh
FIO="--rw=randwrite --bs=4k --size=8m --iodepth=16"
yes MIRRORDISK-CANARY-PLAINTEXT | head -c 1048576 > /tmp/canary

# replicate_and_resync MODE: fio through the mirror, verified on b after a
# role switch; a resync of what b missed while down; identical disks.
replicate_and_resync() {
	fio_write $FIO
	fio_write --rw=write --bs=1m --size=8m --offset=64m --iodepth=4
	same_disks
	on_b "mdctl down r0" >/dev/null || fail "down b"
	fio_write --rw=randwrite --bs=64k --size=8m --offset=96m --iodepth=4
	on_b "mdctl up r0" >/dev/null || fail "up b"
	wait_conn; wait_sync
	mdctl deactivate r0 >/dev/null || fail "deactivate a"
	on_b "mdctl activate r0" >/dev/null || fail "activate b"
	on_b ". /tests/lib.sh; fio_verify $FIO && fio_verify --rw=randwrite --bs=64k --size=8m --offset=96m --iodepth=4" ||
		fail "fio verify on b ($1)"
	on_b "mdctl deactivate r0" >/dev/null
	mdctl activate r0 >/dev/null || fail "activate a again"
	same_disks
	log "$1: replicated, resynced, verified on b"
}

# relay_pair MODE: both up again with b's daemon reaching a through a relay
# on b that records the stream in /tmp/wire.MODE (tls: follows TLS records).
relay_pair() {
	mdctl deactivate r0 >/dev/null 2>&1 || true
	mdctl down r0 >/dev/null 2>&1 || true
	on_b "mdctl down r0" >/dev/null 2>&1 || true
	enc=""; [ $1 = tls ] || enc='\nencryption = none'
	sed "s/^timeout = 5/&$enc/" /tests/md.conf > /tmp/relay.conf
	on_b "killall mdrelay 2>/dev/null; rm -f /tmp/flip /tmp/wire.$1
		(MDRELAY_DUMP=/tmp/wire.$1 mdrelay 10.77.0.2 7790 10.77.0.1 1 /tmp/flip $2 > /tmp/relay.log 2>&1 &)
		sed 's/^timeout = 5/&$enc/' /tests/md.conf |
			sed '/^\[resource r0 node node-a\]/,/^\[/ s/^address = .*/address = 10.77.0.2/' > /tmp/relay.conf"
	CONF=/tmp/relay.conf start_pair
}

start_pair
grep -q "connected to node-b (.*authenticated, encrypted: TLS 1.2 in the kernel)" /var/log/mirrordisk/r0.log ||
	{ tail -5 /var/log/mirrordisk/r0.log; fail "a did not log an encrypted connection"; }
on_b "grep -q 'authenticated, encrypted: TLS 1.2 in the kernel' /var/log/mirrordisk/r0.log" ||
	fail "b did not log an encrypted connection"
set -- $(tls_sw); [ "$1" -ge 1 ] && [ "$2" -ge 1 ] || fail "a: kTLS sockets tx $1 rx $2, expected both"
set -- $(on_b ". /tests/lib.sh; tls_sw"); [ "$1" -ge 1 ] && [ "$2" -ge 1 ] || fail "b: kTLS sockets tx $1 rx $2"
mdctl status --json r0 | grep -q '"encryption": "tls"' || fail "status does not say tls"
log "encrypted link, the kernel holds the record layer both ways on both nodes"
replicate_and_resync tls

log "through a relay that records the stream"
relay_pair tls tls
reaches_b 30 /tmp/canary
on_b "test -s /tmp/wire.tls" || fail "the relay recorded nothing"
if on_b "grep -q MIRRORDISK-CANARY /tmp/wire.tls"; then fail "the data crossed in clear under TLS"; fi
log "on the path: $(on_b "wc -c < /tmp/wire.tls") bytes, no plaintext of the data"
flip_repaired 40 'TLS: a record from the peer failed authentication'

log "encryption = none: the same relay sees the data"
relay_pair none ""
mdctl status --json r0 | grep -q '"encryption": "none"' || fail "status does not say none"
grep -q "authenticated, not encrypted)" /var/log/mirrordisk/r0.log || fail "a did not log a plain connection"
reaches_b 30 /tmp/canary
on_b "grep -q MIRRORDISK-CANARY /tmp/wire.none" || fail "the recorded plain stream lacks the data: the test's model does not hold"
# Replication and resync in plain mode over the direct link (the relay, a
# user-space copy on b, only slows them).
mdctl deactivate r0 >/dev/null
mdctl down r0 >/dev/null; on_b "mdctl down r0; killall mdrelay" >/dev/null 2>&1 || true
e='s/^timeout = 5/&\nencryption = none/'
sed "$e" /tests/md.conf > /tmp/plain.conf; on_b "sed '$e' /tests/md.conf > /tmp/plain.conf"
CONF=/tmp/plain.conf start_pair
mdctl status --json r0 | grep -q '"encryption": "none"' || fail "status does not say none (direct)"
replicate_and_resync plain
mdctl deactivate r0 >/dev/null
echo "TLS and plain links replicate and resync; under TLS the path sees no data and a changed record is refused and repaired"
