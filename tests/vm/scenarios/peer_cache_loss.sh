# SPDX-License-Identifier: GPL-2.0-or-later
# "On both disks" means durable on the peer.  Node b acknowledges a write
# when its O_DIRECT write completed, which a disk may hold in a volatile
# cache.  Model the worst such cache: b's lower disk is dm-flakey with
# drop_writes (every write and flush "completes" and never reaches the
# media).  One 1 MiB write on a, no fsync; then b loses power within a
# second, before any cleaning epoch could have flushed it (the module's
# bitmap_clean_ms at 60 s: the first epoch after a write may run at the
# next pass, and a flush this disk drops cannot cover anything; the
# scenario is about the window before it).  When b is back,
# the automatic resync must restore the write there: a may forget a chunk
# only after a flush on the peer covered it, and on the connection loss
# everything not yet covered became out of sync.
. /tests/lib.sh
cache_pair bitmap_clean_ms=60000
b_drop_writes
dd if=/dev/urandom of=/tmp/pat bs=1M count=1 2>/dev/null
dd if=/tmp/pat of=/dev/mirror0 bs=1M seek=40 oflag=direct 2>/dev/null || fail "write on a"
mdctl status --json r0 | grep -q '"out_of_sync_bytes": 0,' || fail "the write was not replicated"
echo "@@CRASH b" > /dev/console		# the host runner cuts b's power
sleep 2
b_cache_resynced 40 /tmp/pat
mdctl deactivate r0 >/dev/null
same_disks
echo "a write lost in the peer's cache is resynced after its power cut"
