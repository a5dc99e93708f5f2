# SPDX-License-Identifier: GPL-2.0-or-later
# Issue [7], item 1: a sick peer never freezes the primary.  Node b's data
# disk stops answering (dm suspended: I/O queued, never failed) while its
# daemon and the link stay healthy, so pings keep coming.  A write on a
# must complete within ko-count x timeout (+ slack), a must say why it
# gave up ("peer too slow: request at offset ..."), b must report its own
# stalled disk, and once b's disk answers again the pair reconnects,
# resyncs by itself and both copies are identical.  The metadata of both
# nodes is external (/dev/vdb), so that only b's data disk hangs.
. /tests/lib.sh
md_load
on_b ". /tests/lib.sh; dm_lower ok" || fail "dm_lower on b"
ext='s|^disk = /dev/vda|&\nmeta = /dev/vdb|'
sed "$ext" /tests/md.conf > /tmp/ext.conf; ko_conf /tmp/ext.conf /tmp/ko.conf
on_b "sed '$ext' /tests/md.conf | sed 's|^disk = /dev/vda|disk = /dev/mapper/lower|' > /tmp/ext.conf;
	. /tests/lib.sh; ko_conf /tmp/ext.conf /tmp/ko.conf"
wipe_tail
CONF=/tmp/ko.conf start_pair
on_b "DM_DISABLE_UDEV=1 dmsetup suspend --noudevsync lower" || fail "suspend b's disk"
log "b's data disk suspended"
timed_write 20 $((KO_BOUND + 6))
log "the write on a completed after $TOOK s (bound ${KO_BOUND} s)"
[ "$TOOK" -ge $((KO_BOUND - 2)) ] || fail "completed after $TOOK s: before the bound, so not by it"
mdctl status --json r0 | grep -q '"connection": "connected"' && fail "a still says connected"
mdctl status --json r0 | json_field last_error | grep -q "peer too slow: request at offset 20971520 not acknowledged for [0-9]* s" ||
	{ mdctl status r0; fail "a does not say the peer was too slow"; }
oos=$(mdctl status --json r0 | json_field out_of_sync_bytes)
[ "$oos" -gt 0 ] || fail "the write the peer did not complete is not marked ($oos)"
# The rest of the application goes on alone, without waiting.
timed_write 30 2
wait_json b local_disk stalled 10
on_b "mdctl status r0" | grep -q "local disk stalled: I/O at offset" || { on_b "mdctl status r0"; fail "b's text status"; }
on_b "mdctl status --json r0" | grep -q '"health": "degraded"' || fail "b's health is not degraded"
log "b reports its stalled disk"
on_b "DM_DISABLE_UDEV=1 dmsetup resume --noudevsync lower" || fail "resume b's disk"
wait_conn 30
wait_sync
on_b "mdctl status --json r0" | grep -q '"local_disk": "ok"' || fail "b still reports a stall"
mdctl deactivate r0 >/dev/null
same_disks
echo "the primary gave up on the sick peer within the bound; resynced once it recovered"
