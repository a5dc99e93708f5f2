# SPDX-License-Identifier: GPL-2.0-or-later
# A chunk a resync copied may, on the peer, be in its volatile cache only:
# the primary must count it uncovered until an epoch flushes it, like a
# write (docs/design.md, "The durability rule", rule 2).  b's daemon is
# killed and a writes 1 MiB (out of sync).  b's disk then drops every
# write (dm-flakey drop_writes: the worst volatile cache), b's daemon
# returns with the resync paused, and a clean pass on a takes the
# chunks' write into an epoch.  Then no more passes (bitmap_clean_ms at
# 60 s), the resync copies the chunks, and b loses power at once.  When b
# is back the chunks must be out of sync on a and resynced again.
# Without the rule the resync's copy counted as covered by the epoch
# before it: the link loss left the chunks in sync on a.
. /tests/lib.sh
P=/sys/module/mirrordisk/parameters
cache_pair bitmap_clean_ms=300
on_b "killall -9 mirrord"
wait_json a connection connecting 20
dd if=/dev/urandom of=/tmp/pat bs=1M count=1 2>/dev/null
dd if=/tmp/pat of=/dev/mirror0 bs=1M seek=40 oflag=direct 2>/dev/null || fail "write on a"
[ "$(status_field out_of_sync_bytes)" = 1048576 ] || fail "the write is not out of sync: $(status_field out_of_sync_bytes)"
mdctl pause r0 >/dev/null || fail "pause"
b_drop_writes
e0=$(status_field epochs)
on_b "mdctl up r0" >/dev/null || fail "up b"
wait_conn
i=0
until [ "$(status_field epochs)" -gt "$e0" ]; do
	i=$((i + 1)); [ $i -gt 50 ] && fail "no clean epoch in 10 s at a 300 ms interval"
	sleep 0.2
done
sleep 1		# that epoch's flush completed (b's disk dropped it)
echo 60000 > $P/bitmap_clean_ms || fail "bitmap_clean_ms"
sleep 1		# the pass in progress queues the next one 60 s later
[ "$(status_field out_of_sync_bytes)" = 1048576 ] || fail "the resync ran while paused"
log "an epoch took the write; the resync copies it now"
mdctl resume r0 >/dev/null || fail "resume"
wait_sync
echo "@@CRASH b" > /dev/console		# the host runner cuts b's power
wait_json a connection connecting 30
oos=$(status_field out_of_sync_bytes)
log "after b's power cut: $oos bytes out of sync on a"
[ "$oos" = 1048576 ] || fail "$oos bytes out of sync after the link loss: the resync's copy counted as covered"
b_cache_resynced 40 /tmp/pat
grep 'resync to node-b' /var/log/mirrordisk/r0.log | tail -1
same_disks
echo "a chunk the resync copied into the peer's cache is resynced after its power cut"
