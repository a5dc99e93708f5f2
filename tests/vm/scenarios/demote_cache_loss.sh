# SPDX-License-Identifier: GPL-2.0-or-later
# The epoch rule (docs/design.md, "The durability rule", rule 2) holds in
# every role: a bit set for a write the peer acknowledged is cleared only
# after a flush on the peer covered it.  A primary that is demoted while
# connected cannot run such a flush any more (only a primary sends writes
# and flushes), so it keeps those bits; before, its cleaner took the
# secondary's path and cleared them one interval later.  The pattern of
# peer_cache_loss: b's disk drops every write (dm-flakey drop_writes, a
# volatile cache that is lost), one 1 MiB write on a, then a switchover
# (a demoted, b promoted), a wait of several cleaning intervals (the
# module's bitmap_clean_ms at 500 on both nodes), and a power cut of b.
# When b is back the write must be resynced from a: identical disks.
. /tests/lib.sh
cache_pair bitmap_clean_ms=500
b_drop_writes
dd if=/dev/urandom of=/tmp/pat bs=1M count=1 2>/dev/null
dd if=/tmp/pat of=/dev/mirror0 bs=1M seek=40 oflag=direct 2>/dev/null || fail "write on a"
mdctl status --json r0 | grep -q '"out_of_sync_bytes": 0,' || fail "the write was not replicated"
mdctl deactivate r0 >/dev/null || fail "deactivate a"
on_b "mdctl activate r0 >/dev/null" || fail "activate b"
log "switched over; waiting past the cleaning interval"
sleep 3
echo "@@CRASH b" > /dev/console		# the host runner cuts b's power
sleep 2
b_cache_resynced 40 /tmp/pat
same_disks
echo "a demoted primary keeps the bits no peer flush covered"
