# SPDX-License-Identifier: GPL-2.0-or-later
# A copy that knows it is wrong never overwrites a good one (issue 19,
# finding 1).  Node a is the first-listed node, so it wins every tie of
# the generation rules.  With b primary:
# - a's disk fails b's write of 1 MiB at 64 MiB (dm "error" on a only):
#   b's write is acknowledged (its own disk has it), both nodes mark the
#   range, a's copy is inconsistent.  a's disk is repaired, b is
#   deactivated cleanly, both daemons restart: two secondaries with equal
#   generations and bits on both.  a must be the resync target, and b's
#   acknowledged write must survive on both disks (before the fix a was
#   the source and its stale range overwrote b's write);
# - the verify variant: a range of a's lower disk changed behind the
#   mirror's back; verify run on a (secondary, b primary) marks it on a;
#   both secondary again at the next start: a is the target, b's data is
#   kept.
. /tests/lib.sh
dm_pair
CONF=/tmp/dm.conf start_pair
mdctl deactivate r0 >/dev/null || fail "deactivate a"
on_b "mdctl activate r0 >/dev/null" || fail "activate b"

# restart_both_secondary: b deactivated cleanly, both daemons down and up
# again (as after a reboot of both): two secondaries meet.
restart_both_secondary() {
	on_b "mdctl deactivate r0 >/dev/null" || fail "deactivate b"
	mdctl down r0 || fail "down a"; on_b "mdctl down r0" || fail "down b"
	on_b "mdctl up r0" || fail "up b"; mdctl up r0 || fail "up a"
	wait_conn; wait_sync
	st=$(mdctl status --json r0 | json_field disk_state)
	[ "$st" = up-to-date ] || fail "a's copy is '$st' after the resync"
}

# both_hold MIB FILE: the 1 MiB at MIB of both lower disks is FILE.
both_hold() {
	[ "$(on_b "dd if=/dev/vda bs=1M skip=$1 count=1 iflag=direct 2>/dev/null" | md5sum)" = "$(md5sum < "$2")" ] ||
		fail "b's acknowledged data at $1 MiB was overwritten"
	[ "$(dd if=/dev/vda bs=1M skip=$1 count=1 iflag=direct 2>/dev/null | md5sum)" = "$(md5sum < "$2")" ] ||
		fail "a does not hold b's data at $1 MiB after the resync"
}

log "a's disk fails a write of primary b"
on_b "dd if=/dev/urandom of=/tmp/pat bs=1M count=1 2>/dev/null; cat /tmp/pat" > /tmp/pat
dm_lower error || fail "dm error on a"
on_b "dd if=/tmp/pat of=/dev/mirror0 bs=1M seek=64 oflag=direct conv=fsync 2>/dev/null" ||
	fail "b's write was not acknowledged although b's disk works"
wait_json a disk_state inconsistent 10
[ "$(on_b "mdctl status --json r0" | json_field out_of_sync_bytes)" -ge 65536 ] ||
	fail "b did not mark the range a failed"
dm_lower ok || fail "dm ok on a"
n0=$(wc -l < /var/log/mirrordisk/r0.log)	# earlier scenarios' lines are not ours
restart_both_secondary
tail -n +$((n0 + 1)) /var/log/mirrordisk/r0.log | grep -q "resync from node-b starts" || {
	tail -5 /var/log/mirrordisk/r0.log; fail "a was not the resync target"; }
both_hold 64 /tmp/pat
same_disks

log "verify on secondary a finds its copy different"
on_b "mdctl activate r0 >/dev/null" || fail "activate b again"
on_b "dd if=/dev/urandom of=/tmp/pat2 bs=1M count=1 2>/dev/null; cat /tmp/pat2" > /tmp/pat2
on_b "dd if=/tmp/pat2 of=/dev/mirror0 bs=1M seek=32 oflag=direct conv=fsync 2>/dev/null" || fail "write on b"
dd if=/dev/urandom of=/dev/vda bs=4k count=1 seek=$((32 * 256 + 3)) oflag=direct conv=notrunc 2>/dev/null ||
	skip "this kernel refuses writes to the claimed lower disk"
expect_rc 6 mdctl verify r0
st=$(mdctl status --json r0 | json_field disk_state)
[ "$st" = inconsistent ] || fail "a's copy is '$st' after verify found it different from primary b"
n0=$(wc -l < /var/log/mirrordisk/r0.log)
restart_both_secondary
tail -n +$((n0 + 1)) /var/log/mirrordisk/r0.log | grep -q "resync from node-b starts" || {
	tail -5 /var/log/mirrordisk/r0.log; fail "a was not the resync target after verify"; }
both_hold 32 /tmp/pat2
same_disks
mdctl down r0; on_b "mdctl down r0"
DM_DISABLE_UDEV=1 dmsetup remove --noudevsync lower
on_b "DM_DISABLE_UDEV=1 dmsetup remove --noudevsync lower"
echo "a copy that knew it was wrong was the target both times; b's acknowledged writes kept"
