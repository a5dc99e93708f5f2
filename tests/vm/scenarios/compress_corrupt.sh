# SPDX-License-Identifier: GPL-2.0-or-later
# Issue 23: a compressed DATA packet corrupted in flight.  The relay of the
# data-integrity scenario (tests/vm/mdrelay.c) flips one bit 1 KiB into
# the payload of a DATA packet, here a zstd frame (compression = zstd,
# data-integrity = no, no TLS so that the relay sees the packets).  b's
# decoder refuses it (zstd's content checksum, the lengths), writes
# nothing, resets the link; a marks the write and the resync after the
# reconnect makes the copies identical: a data-integrity failure's path.
. /tests/lib.sh
mark_logs
sed 's/^timeout = 5/&\ncompression = zstd\nencryption = none/' /tests/md.conf > /tmp/zc.conf
on_b "sed 's/^timeout = 5/&\ncompression = zstd\nencryption = none/' /tests/md.conf |
	sed '/^\[resource r0 node node-a\]/,/^\[/ s/^address = .*/address = 10.77.0.2/' > /tmp/zc.conf"
on_b "killall mdrelay 2>/dev/null; rm -f /tmp/flip; (mdrelay 10.77.0.2 7790 10.77.0.1 1 /tmp/flip > /tmp/relay.log 2>&1 &)"
CONF=/tmp/zc.conf start_pair
# 1 MiB that compresses about 2x: its frame is far over 4 KiB (the relay
# flips only in packets that large) and saves more than an eighth.
rm -f /tmp/pat
i=0; while [ $i -lt 128 ]; do
	head -c 4096 /dev/urandom >> /tmp/pat; head -c 4096 /dev/zero >> /tmp/pat; i=$((i + 1))
done
[ "$(wc -c < /tmp/pat)" = 1048576 ] || fail "pattern"
on_b "touch /tmp/flip"
dd if=/tmp/pat of=/dev/mirror0 bs=1M seek=10 oflag=direct 2>/dev/null || fail "write at 10 MiB"
on_b "grep -q flipped /tmp/relay.log" || fail "the relay flipped nothing"
i=0
until mine_b | grep -q 'data integrity: a compressed DATA packet of [0-9]* bytes at offset [0-9]* was refused'; do
	i=$((i + 1)); [ $i -gt 50 ] && { mine_b | tail -5; on_b "cat /tmp/relay.log"; fail "b did not refuse the changed frame"; }
	sleep 0.2
done
mine_b | grep 'was refused' | head -1
wait_conn 30; wait_sync
[ "$(on_b "dd if=/dev/vda bs=1M skip=10 count=1 iflag=direct 2>/dev/null" | md5sum)" = "$(md5sum < /tmp/pat)" ] ||
	fail "b does not hold the write after the resync"
same_disks
on_b "killall mdrelay" || true
echo "a corrupted compressed payload was refused, never written, and resynced"
