# SPDX-License-Identifier: GPL-2.0-or-later
# The backup split: stop writes, detach the standby, resume writes on the
# primary, grant read-only access on the standby, mount its copy and check a
# file written before the split, revoke, attach.  Both copies end identical
# and only the changed chunks crossed the wire.
. /tests/lib.sh
start_pair
mkfs.ext4 -q -F -E lazy_itable_init=1,lazy_journal_init=1 /dev/mirror0 || fail "mkfs"
mount -o noinit_itable /dev/mirror0 /mnt || fail "mount on a"
dd if=/dev/urandom of=/mnt/before.bin bs=64k count=16 2>/dev/null
sum_before=$(sha256sum < /mnt/before.bin)
umount /mnt	# "stop writes": the standby's copy is a clean file system
wait_sync
on_b "mdctl detach r0" || fail "detach b"
on_b "mdctl status --json r0" | grep -q '"detached": true' || fail "b does not report detached"
expect_rc 0 on_b "mdctl detach r0"	# idempotent
expect_rc 4 on_b "mdctl activate r0"	# a detached copy is stale: refused
sleep 1
st=$(mdctl status --json r0)
echo "$st" | grep -q '"connection": "connected"' && fail "a still connected to a detached b"
echo "$st" | grep -q '"health": "degraded"\|"health": "needs-recovery"' || fail "a health: $st"
# Writes resume on the primary while the standby is split off.
mount -o noinit_itable /dev/mirror0 /mnt || fail "remount on a"
dd if=/dev/urandom of=/mnt/after.bin bs=64k count=64 2>/dev/null; sync
oos=$(mdctl status --json r0 | json_field out_of_sync_bytes)
log "a marked $oos bytes while b was detached"
[ "$oos" -gt 0 ] || fail "nothing marked out of sync on a"
# The standby's copy, read-only, for the backup.
on_b "mdctl grant r0" || fail "grant on b"
on_b "mount -o ro /dev/mirror0 /mnt" || fail "mount the granted copy read-only on b"
[ "$(on_b "sha256sum < /mnt/before.bin")" = "$sum_before" ] || fail "file from before the split differs on b"
on_b "test -e /mnt/after.bin" && fail "b sees a file written after the split"
on_b "dd if=/dev/zero of=/dev/mirror0 bs=4k count=1 oflag=direct 2>/dev/null" && fail "read-only grant accepted a write"
# attach refuses while the copy is mounted, and says who holds it.
out=$(on_b "mdctl attach r0 2>&1"; echo "rc=$?")
echo "$out"
echo "$out" | grep -q 'rc=4' || fail "attach while mounted: expected exit 4"
echo "$out" | grep -q 'mounted on /mnt' || fail "attach does not say who holds the device"
on_b "umount /mnt" || fail "umount on b"
on_b "mdctl revoke r0" || fail "revoke"
on_b "mount -o ro /dev/mirror0 /mnt 2>/dev/null" && fail "mount after revoke"
sync
oos=$(mdctl status --json r0 | json_field out_of_sync_bytes)	# all a changed while apart
on_b "mdctl attach r0" || fail "attach b"
wait_conn
wait_sync
umount /mnt
rs=$(mdctl status --json r0 | json_field resynced_bytes)
size=$(mdctl status --json r0 | json_field size_bytes)
log "resynced $rs of $size bytes after the split"
[ "$rs" -gt 0 ] && [ "$rs" -le $((oos + 2097152)) ] && [ "$rs" -lt $((size / 8)) ] ||
	fail "resynced $rs bytes for $oos marked (device $size)"
same_disks
echo "backup split: standby copy read, only changed chunks resynced, copies identical"
