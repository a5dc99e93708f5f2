# SPDX-License-Identifier: GPL-2.0-or-later
# The primary's own data disk stops answering (dm suspended: I/O queued,
# never failed) while the link and the peer stay healthy.  The module
# waits, as a plain disk would (docs/design.md, "Timeouts"); mirrord on a
# must say so once the write is older than ko-count x timeout: the log
# line with the write's offset, status local_disk stalled with it, health
# degraded, the link still up.  Nothing fails and nothing is marked: once
# the disk resumes the write completes, the stall clears and both disks
# are identical.  On the code before, a's status said local_disk ok and
# health normal for the whole stall.  The metadata of both nodes is
# external (/dev/vdb), so that only a's data disk hangs.
. /tests/lib.sh
md_load
dm_lower ok || fail "dm_lower on a"
sed 's|^disk = /dev/vda|disk = /dev/mapper/lower\nmeta = /dev/vdb|' /tests/md.conf > /tmp/ext.conf
ko_conf /tmp/ext.conf /tmp/ko.conf
on_b "sed 's|^disk = /dev/vda|&\nmeta = /dev/vdb|' /tests/md.conf > /tmp/ext.conf;
	. /tests/lib.sh; ko_conf /tmp/ext.conf /tmp/ko.conf"
wipe_tail
CONF=/tmp/ko.conf start_pair
mdctl status --json r0 | grep -q '"local_disk": "ok"' || fail "a reports a stall before any"
dmsetup suspend --noudevsync lower || fail "suspend a's disk"
t0=$(date +%s)
dd if=/dev/urandom of=/dev/mirror0 bs=4k count=1 seek=$((20 * 256)) oflag=direct 2>/dev/null &
w=$!
log "a's data disk suspended; a write at 20 MiB"
wait_json a local_disk stalled $((KO_BOUND + 5))
took=$(($(date +%s) - t0))
log "a reports its disk stalled after $took s (bound $KO_BOUND s)"
[ "$took" -ge $((KO_BOUND - 1)) ] || fail "reported after $took s: before the bound"
kill -0 $w 2>/dev/null || fail "the write completed while a's disk was suspended"
st=$(mdctl status --json r0)
[ "$(echo "$st" | json_field disk_stall_offset)" = 20971520 ] || { echo "$st"; fail "the stall's offset"; }
[ "$(echo "$st" | json_field local_oldest_offset)" = 20971520 ] || { echo "$st"; fail "the module's offset"; }
[ "$(echo "$st" | json_field local_oldest_ms)" -ge $((KO_BOUND * 1000)) ] || { echo "$st"; fail "the module's age"; }
echo "$st" | grep -q '"health": "degraded"' || { echo "$st"; fail "a's health is not degraded"; }
echo "$st" | grep -q '"connection": "connected"' || { echo "$st"; fail "the link dropped: the peer is healthy"; }
mdctl status r0 | grep -q "local disk stalled: I/O at offset 20971520 has not completed" ||
	{ mdctl status r0; fail "a's text status"; }
grep -q "local disk /dev/mapper/lower: I/O at offset 20971520 has not completed for [0-9]* s" \
	/var/log/mirrordisk/r0.log || { tail -20 /var/log/mirrordisk/r0.log; fail "a's log does not say"; }
dmsetup resume --noudevsync lower || fail "resume a's disk"
wrc=0; wait $w || wrc=$?
[ $wrc -eq 0 ] || fail "the write failed ($wrc) once the disk resumed"
wait_json a local_disk ok 5
wait_json a health normal 10
grep -q "local disk /dev/mapper/lower completes I/O again" /var/log/mirrordisk/r0.log || fail "no all-clear in a's log"
[ "$(mdctl status --json r0 | json_field out_of_sync_bytes)" = 0 ] || fail "something was marked out of sync"
mdctl deactivate r0 >/dev/null
same_disks
echo "a reported its own disk's stall within the bound, failed nothing, cleared it when the disk answered"
