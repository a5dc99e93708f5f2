# SPDX-License-Identifier: GPL-2.0-or-later
# A read error on the resync source (device-mapper "error" target over the
# 64 KiB at 64 MiB of the primary's disk: chunk 1024): the kernel reports
# the failed read to the daemon.  The source asks for runs of up to 16
# chunks (1 MiB), so the run 1024-1039 fails as a whole; the daemon asks
# for its chunks again one by one, leaves only chunk 1024 marked, and
# finishes the rest; the resync ends incomplete with the reason in status,
# the target stays inconsistent, replication goes on. Once the disk is
# repaired, detach + attach completes the resync and the copies are
# identical.
. /tests/lib.sh
export DM_ERR_SECTORS=128
dm_pair
CONF=/tmp/dm.conf start_pair
on_b "killall -9 mirrord"; sleep 1
# 8 MiB around the failing MiB change while b is away.
dd if=/dev/urandom of=/dev/mirror0 bs=1M seek=60 count=8 oflag=direct conv=fsync 2>/dev/null || fail "dirty"
dm_lower error || fail "dm error on a"
on_b "mdctl up r0" >/dev/null || fail "up b"
wait_conn
i=0
until mdctl status --json r0 | grep -q '"last_error": "resync incomplete'; do
	i=$((i + 1)); [ $i -gt 600 ] && { mdctl status r0; fail "no incomplete resync reported"; }
	sleep 0.2
done
mdctl status r0 | grep 'last error'
oos=$(mdctl status --json r0 | json_field out_of_sync_bytes)
[ "$oos" = 65536 ] || fail "$oos bytes out of sync, expected exactly the failing chunk (64 KiB)"
grep -q 'reading chunk 1024 .* failed' /var/log/mirrordisk/r0.log || fail "no read error in a's log"
grep -q 'reading chunks 1024-1039 .* failed; trying them one by one' /var/log/mirrordisk/r0.log ||
	fail "no run 1024-1039 failed as a whole in a's log: runs were not asked for"
st=$(on_b "mdctl status --json r0" | json_field disk_state)
[ "$st" = inconsistent ] || fail "b's copy is '$st' after an incomplete resync"
# Everything readable crossed: chunks 960-1023 and 1025-1087 (60 MiB to
# 68 MiB but the failing 64 KiB) are on b.
for r in "960 64" "1025 63"; do
	set -- $r
	[ "$(dd if=/dev/vda bs=64k skip=$1 count=$2 iflag=direct 2>/dev/null | md5sum)" = \
	  "$(on_b "dd if=/dev/vda bs=64k skip=$1 count=$2 iflag=direct 2>/dev/null" | md5sum)" ] ||
		fail "chunks $1+$2 not resynced"
done
# Replication goes on.
dd if=/dev/urandom of=/tmp/pat bs=1M count=1 2>/dev/null
reaches_b 16 /tmp/pat
dm_lower ok || fail "dm ok on a"
resync_b
st=$(on_b "mdctl status --json r0" | json_field disk_state)
[ "$st" = up-to-date ] || fail "b's copy is '$st' after the repaired resync"
same_disks
dm_unpair
echo "resync read errors: reported, kept marked, completed after repair"
