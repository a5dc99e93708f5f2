# SPDX-License-Identifier: GPL-2.0-or-later
# Write-intent ordering with the group bitmaps (issue 25: the module
# tracks "set but not yet durable" per group of 32 chunks, kmod/bitmap.c).
# Node a's metadata sits behind dm-delay (DELAY ms per write).  Write A to
# clean chunk X starts a bitmap page write (round 1).  While it is in
# flight, write B to clean chunk X+1 (same group, same page) sets its bit,
# after round 1's snapshot: only round 2, which bm_work starts when round
# 1 completed, makes it durable.  Inside round 2 (one page write counted,
# the second not yet), write C goes to another block of chunk X+1: its
# bit is set but not durable, and C must wait for round 2.  A group taken
# for durable when round 1 completed (its pending mark cleared by the
# write that did not carry B's bit) would let C reach both disks with its
# chunk unmarked on disk: a power cut then loses the record of a write
# the peer may lack.  Checked inside the window, measured by the module's
# own count of completed page writes.
. /tests/lib.sh
DELAY=4000
X=3200					# chunk at 200 MiB: group 100, clean
blk=$((X * 16))				# its first 4 KiB block (64 KiB chunks)
for p in a b c; do dd if=/dev/urandom of=/tmp/p$p bs=4k count=1 2>/dev/null; done
pw() { status_field bitmap_page_writes; }
pair_dm_meta slowmeta
[ "$(status_field chunk_bytes)" = 65536 ] || fail "the scenario assumes 64 KiB chunks"
dm_meta slowmeta delay $DELAY || fail "dm delay"
trap 'dm_meta slowmeta ok 2>/dev/null; wait' EXIT
p0=$(pw)
dd if=/tmp/pa of=/dev/mirror0 bs=4k seek=$blk oflag=direct 2>/dev/null &
wa=$!
sleep 0.5
dd if=/tmp/pb of=/dev/mirror0 bs=4k seek=$((blk + 16)) oflag=direct 2>/dev/null &
wb=$!
i=0
until [ "$(pw)" -gt "$p0" ]; do		# round 1 completed
	i=$((i + 1)); [ $i -gt 100 ] && fail "no bitmap page write completed in 20 s"
	sleep 0.2
done
[ "$(pw)" -eq $((p0 + 1)) ] || skip "round 2 completed before the check (slow guest)"
dd if=/tmp/pc of=/dev/mirror0 bs=4k seek=$((blk + 17)) oflag=direct 2>/dev/null &
wc=$!
sleep 0.7
c_a=$(at_a $((blk + 17))); c_b=$(at_b $((blk + 17)))
p1=$(pw)
log "page writes completed: $((p1 - p0)) at the check (1: inside round 2)"
[ "$p1" -eq $((p0 + 1)) ] || skip "round 2 completed before the check (slow guest)"
[ "$c_a" != "$(md5_of /tmp/pc)" ] || fail "write C reached a's lower disk before its chunk's bit (set by B) was durable"
[ "$c_b" != "$(md5_of /tmp/pc)" ] || fail "write C reached the peer before its chunk's bit (set by B) was durable"
for w in $wa $wb $wc; do wait $w || fail "a write failed"; done
for x in "$blk a" "$((blk + 16)) b" "$((blk + 17)) c"; do
	set -- $x
	[ "$(at_a $1)" = "$(md5_of /tmp/p$2)" ] && [ "$(at_b $1)" = "$(md5_of /tmp/p$2)" ] ||
		fail "write $2 is not on both disks after completing"
done
dm_meta slowmeta ok || fail "dm linear"
mdctl deactivate r0 >/dev/null
same_disks
echo "a write waits for its chunk's bit set after its group's page snapshot"
