# SPDX-License-Identifier: GPL-2.0-or-later
# Write-intent ordering: a bit set in memory is not a bit on disk.  Node
# a's metadata sits on /dev/mapper/slowmeta (/dev/vdb behind dm-delay, its
# writes delayed DELAY ms).  Write A to block 0 of a clean chunk sets the
# chunk's bit and waits for that bitmap page to be written.  Write B to
# block 1 of the same chunk comes while A's page write is still in flight:
# its bit is already set in memory, but not durable.  B must wait for the
# same page write: if it reached either disk first, a power cut in that
# window would leave the chunk unmarked on disk with B on one side only.
# Checked inside the window: neither block on a's lower disk nor on b's.
. /tests/lib.sh
DELAY=3000
blk=$((100 * 256))			# 4 KiB block at 100 MiB: chunk 1600, clean
dd if=/dev/urandom of=/tmp/pa bs=4k count=1 2>/dev/null
dd if=/dev/urandom of=/tmp/pb bs=4k count=1 2>/dev/null
pair_dm_meta slowmeta
[ "$(at_a $blk)" != "$(md5_of /tmp/pb)" ] || fail "pattern already on disk"
dm_meta slowmeta delay $DELAY || fail "dm delay"
t0=$(cut -d' ' -f1 /proc/uptime)
# Whatever fails below, the writers end and the delay goes before the
# next scenario (they would hold the device and its metadata busy).
trap 'dm_meta slowmeta ok 2>/dev/null; wait' EXIT
dd if=/tmp/pa of=/dev/mirror0 bs=4k seek=$blk oflag=direct 2>/dev/null &
wa=$!
sleep 0.5
dd if=/tmp/pb of=/dev/mirror0 bs=4k seek=$((blk + 1)) oflag=direct 2>/dev/null &
wb=$!
sleep 1
a_now=$(at_a $((blk + 1))); b_now=$(at_b $((blk + 1))); a0_now=$(at_a $blk)
t1=$(cut -d' ' -f1 /proc/uptime)
log "checked $(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }') s after write A"
# The window must still be open, or the check proves nothing.
awk -v a="$t0" -v b="$t1" -v d=$DELAY 'BEGIN { exit !((b - a) * 1000 < d - 500) }' ||
	skip "the check came too late for the $DELAY ms window (slow guest)"
[ "$a0_now" != "$(md5_of /tmp/pa)" ] || fail "write A reached the disk before its bitmap page: the delay does not hold"
[ "$a_now" != "$(md5_of /tmp/pb)" ] || fail "write B reached a's lower disk while its bit was not yet durable"
[ "$b_now" != "$(md5_of /tmp/pb)" ] || fail "write B reached the peer while its bit was not yet durable"
wait $wa || fail "write A failed"
wait $wb || fail "write B failed"
[ "$(at_a $blk)" = "$(md5_of /tmp/pa)" ] && [ "$(at_a $((blk + 1)))" = "$(md5_of /tmp/pb)" ] ||
	fail "the writes are not on a's disk after completing"
[ "$(at_b $((blk + 1)))" = "$(md5_of /tmp/pb)" ] || fail "write B did not reach b"
dm_meta slowmeta ok || fail "dm linear"
mdctl deactivate r0 >/dev/null
same_disks
echo "a write waits for a bit that is set but not yet durable"
