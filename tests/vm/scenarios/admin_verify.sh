# SPDX-License-Identifier: GPL-2.0-or-later
# Online verify: identical copies verify clean; a chunk changed behind the
# mirror's back on the secondary is reported (exit 6) and marked, never
# fixed silently; detach + attach then copies exactly that chunk.
. /tests/lib.sh
start_pair
fio_write --rw=write --bs=64k --size=2m --offset=0
out=$(mdctl verify r0) || fail "verify of identical copies: exit $?"
echo "$out"
echo "$out" | grep -q ': 0 differ' || fail "verify output: $out"
# Corrupt 4 KiB at byte 409600 (chunk 6 of 64 KiB) of b's lower disk.
on_b "dd if=/dev/urandom of=/dev/vda bs=4k count=1 seek=100 oflag=direct conv=notrunc 2>/dev/null" ||
	skip "this kernel refuses writes to the claimed lower disk"
db=$(on_b ". /tests/lib.sh; digest /dev/vda 2097152")
if out=$(mdctl verify r0); then fail "verify missed the difference: $out"; else rc=$?; fi
echo "$out"
[ $rc = 6 ] || fail "verify with a difference exited $rc, expected 6"
echo "$out" | grep -q ': 1 differ' || fail "expected exactly one differing chunk"
echo "$out" | grep -q 'offsets: 393216' || fail "expected the chunk at byte 393216"
oos=$(mdctl status --json r0 | json_field out_of_sync_bytes)
[ "$oos" = 65536 ] || fail "expected the chunk marked out of sync, status says $oos"
[ "$(on_b ". /tests/lib.sh; digest /dev/vda 2097152")" = "$db" ] || fail "verify changed the secondary"
grep -q 'verify: chunk 6 ' /var/log/mirrordisk/r0.log || fail "no log line for the chunk"
expect_rc 4 on_b "mdctl detach r0 >/dev/null; mdctl verify r0"	# not connected
on_b "mdctl attach r0" || fail "attach"
wait_conn
wait_sync
same_disks
on_b "mdctl verify r0" || fail "verify from the secondary after the resync"
echo "verify reported and marked the damaged chunk; the resync repaired it"
