# SPDX-License-Identifier: GPL-2.0-or-later
# Issue 25: a lost link resyncs only what no epoch covered.  The capacity
# budget (bitmap_hot_chunks) keeps bits set for chunks written long ago;
# their writes were flushed on both disks by an epoch, so the peer holds
# them on its media.  A primary with a budget of 64 and a 300 ms clean
# interval writes 40 chunks and waits until epochs covered them (they
# stay set: a rewrite waits for no bitmap write).  Then, with no clean
# pass any more, it writes two chunks, and the link is lost (b's daemon
# killed).  What becomes out of sync, and what the resync copies, is
# exactly the set chunks of the groups no epoch covered: the module
# tracks "written since the last epoch" per group of 32 chunks
# (kmod/bitmap.c).  Chunk 100 is alone in its group (3); chunk 38 shares
# group 1 with the covered chunks 32 to 39, which are copied too (the
# price of the group bitmaps); group 0 (chunks 0 to 31) stays covered.
# 9 chunks; before epochs, every set bit was (42 after every disconnect).
# The disks end identical.
. /tests/lib.sh
start_pair
P=/sys/module/mirrordisk/parameters
h0=$(cat $P/bitmap_hot_chunks)	# the default, restored at the end
[ "$(status_field chunk_bytes)" = 65536 ] || fail "the scenario assumes 64 KiB chunks"
echo 300 > $P/bitmap_clean_ms || fail "bitmap_clean_ms"
echo 64 > $P/bitmap_hot_chunks || fail "bitmap_hot_chunks"
sleep 6		# the interval before takes its 5 s once more
chunk_writes 0 40
e0=$(status_field epochs); sleep 3
log "clean epochs in 3 s: $(($(status_field epochs) - e0))"
w0=$(status_field bitmap_waits); chunk_writes 0 40; w1=$(status_field bitmap_waits)
[ "$w1" -eq "$w0" ] || fail "$((w1 - w0)) of the 40 chunks under the budget waited for a bitmap write: not kept"
sleep 3		# the rewrites covered by epochs again
# No clean pass from the next one on: the last chunk stays uncovered.
echo 60000 > $P/bitmap_clean_ms
sleep 1
chunk_writes 100 101; chunk_writes 38 39
[ "$(status_field out_of_sync_bytes)" = 0 ] || fail "out of sync while connected"
on_b "killall -9 mirrord"
wait_json a connection connecting 20
oos=$(status_field out_of_sync_bytes)
log "after the link loss: $oos bytes out of sync (42 chunks set)"
[ "$oos" = $((9 * 65536)) ] || fail "$oos bytes out of sync after the link loss, expected $((9 * 65536)): the set chunks of the 2 groups no epoch covered"
echo 5000 > $P/bitmap_clean_ms; echo $h0 > $P/bitmap_hot_chunks
r0=$(status_field resynced_bytes)
on_b "mdctl up r0" >/dev/null || fail "up b"
wait_conn; wait_sync
r1=$(status_field resynced_bytes)
[ $((r1 - r0)) -eq $((9 * 65536)) ] || fail "the resync copied $((r1 - r0)) bytes, expected the 9 chunks"
same_disks
echo "a lost link resynced the 9 set chunks of the groups no epoch covered, not the 42 set"
