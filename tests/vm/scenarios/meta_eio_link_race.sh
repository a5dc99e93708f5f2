# SPDX-License-Identifier: GPL-2.0
# Metadata failure against a link drop (docs/design.md, "Metadata
# failure"): a write whose bit could not be persisted may go to the disks
# only while the peer is connected, and "connected" must be the link state
# it is dispatched under.  The window: bm_work decided "the peer is
# connected" (md_bm_may_go_unrecorded) and released the lock; the link
# dropped; md_dispatch then found it down and sent the write to a's disk
# alone, with no durable record.  The test module mdfault
# (tests/vm/mdfault.c) drops the link exactly there, at the entry of
# md_dispatch of the first unrecorded write: a's metadata fails writes
# (dm-flakey error_writes under external metadata), one 1 MiB write.  It
# must fail and reach neither disk.
. /tests/lib.sh
pair_dm_meta meta
insmod /modules/mdfault.ko || fail "insmod mdfault"
dm_meta meta nowrite || fail "dm error_writes"
dd if=/dev/urandom of=/tmp/p1 bs=1M count=1 2>/dev/null
mib() { dd if=/dev/vda bs=1M skip=30 count=1 iflag=direct 2>/dev/null | md5sum; }
before=$(mib); before_b=$(on_b "dd if=/dev/vda bs=1M skip=30 count=1 iflag=direct 2>/dev/null | md5sum")
echo 1 > /sys/module/mdfault/parameters/drop_link_unrecorded
if dd if=/tmp/p1 of=/dev/mirror0 bs=1M seek=30 oflag=direct 2>/dev/null; then
	fail "a write that could not be recorded completed with the link down"
fi
[ "$(cat /sys/module/mdfault/parameters/hits)" = 1 ] || fail "the probe never dropped the link"
[ "$(mib)" = "$before" ] ||
	fail "the unrecorded write reached a's disk although the link was down at its dispatch"
[ "$(on_b "dd if=/dev/vda bs=1M skip=30 count=1 iflag=direct 2>/dev/null | md5sum")" = "$before_b" ] ||
	fail "the unrecorded write reached b's disk although the link was down at its dispatch"
log "the write failed and reached neither disk"
# The daemon was not told: end the link for real.
killall -9 mirrord
rmmod mdfault
dm_meta meta ok || fail "dm ok"
echo "an unrecorded write dispatched after a link drop fails before either disk"
