# SPDX-License-Identifier: GPL-2.0-or-later
# The write-intent bitmap's capacity budget (module parameter
# bitmap_hot_chunks, issue 25), on a connected primary with a short clean
# interval.  Age alone (0): a chunk not written for a few intervals is
# cleared by an epoch, so writing it again waits for a bitmap page write.
# A budget of 64: 40 chunks stay set and their rewrites wait for nothing;
# with 100 set, the cleaner clears exactly the 36 over the budget (among
# the chunks not written lately), and rewriting all 100 (no clean pass
# meanwhile) waits 36 times.
. /tests/lib.sh
start_pair
P=/sys/module/mirrordisk/parameters
h0=$(cat $P/bitmap_hot_chunks)	# the default, restored at the end
[ "$h0" = 16384 ] || fail "the default budget is $h0 chunks, not 16384"
# waits_for FIRST END EXPECTED WHAT: the writes that waited for a bitmap
# page while rewriting those chunks.
waits_for() {
	w0=$(status_field bitmap_waits); chunk_writes $1 $2; w1=$(status_field bitmap_waits)
	[ $((w1 - w0)) -eq $3 ] || fail "$4: $((w1 - w0)) of chunks $1..$(($2 - 1)) waited for a bitmap write, expected $3"
	log "$4: $3 waits"
}
[ "$(mdctl status --json r0 | json_field chunk_bytes)" = 65536 ] || fail "the scenario assumes 64 KiB chunks"
echo 300 > $P/bitmap_clean_ms || fail "bitmap_clean_ms"
echo 0 > $P/bitmap_hot_chunks || fail "bitmap_hot_chunks"
sleep 6		# the interval before takes its 5 s once more
# Epochs counted from before the writes: the pass after the last of them
# may run before a count taken after them (seen once in make check).
e0=$(status_field epochs)
chunk_writes 0 40
sleep 3
[ "$(status_field epochs)" -gt "$e0" ] || fail "no clean epoch in 3 s at a 300 ms interval"
# The budget from now: the 40 were cleared by age already, and with at
# most 64 set none is picked while they are written again.
echo 64 > $P/bitmap_hot_chunks
waits_for 0 40 40 "age alone: cold again after a few intervals"
sleep 3
waits_for 0 40 0 "budget 64, 40 set: kept"
waits_for 40 100 60 "budget 64: 60 new chunks"
sleep 3		# settles at 64 set
# No clean pass while the 100 are rewritten (one would clear chunks
# not rewritten yet): a long interval from the next pass on.
echo 60000 > $P/bitmap_clean_ms
sleep 1
waits_for 0 100 36 "budget 64, 100 set: the 36 over it cleared"
echo 5000 > $P/bitmap_clean_ms; echo $h0 > $P/bitmap_hot_chunks
# mirrord's counters moved with the 280 writes (the state file follows
# within a second while they move).
sleep 2
[ "$(status_field channel_requests)" -ge 280 ] && [ "$(status_field channel_reads)" -gt 0 ] &&
	[ "$(status_field socket_sends)" -gt 0 ] && [ "$(status_field ack_writes)" -gt 0 ] ||
	{ mdctl status --json r0 | grep -E 'channel|sends|ack_writes'; fail "mirrord's counters did not follow the writes"; }
wait_sync
same_disks
