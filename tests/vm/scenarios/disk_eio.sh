# SPDX-License-Identifier: GPL-2.0-or-later
# A lower disk that returns EIO (device-mapper "error" target over 1 MiB of
# it, at 64 MiB), on each side in turn:
# - secondary: the primary's writes still complete (its own disk has them);
#   the secondary logs the failed write, marks the range and its copy
#   inconsistent (so it cannot be activated over the hole), which the
#   primary learns at once (peer_disk_state); once the disk
#   works again, detach + attach resyncs the range and the copies match;
# - primary: the application gets EIO for a write or read of the failing
#   range (no hang, never "done"), writes elsewhere go on and replicate; the
#   range is marked, and after repair the resync makes the copies identical.
. /tests/lib.sh
dm_pair
CONF=/tmp/dm.conf start_pair
dd if=/dev/urandom of=/tmp/pat bs=1M count=1 2>/dev/null
oos() { mdctl status --json r0 | json_field out_of_sync_bytes; }

log "secondary's disk fails"
on_b ". /tests/lib.sh; dm_lower error" || fail "dm error on b"
dd if=/tmp/pat of=/dev/mirror0 bs=1M seek=64 oflag=direct conv=fsync 2>/tmp/dd.err ||
	{ cat /tmp/dd.err; fail "write failed on the primary although its own disk works"; }
[ "$(oos)" -ge 65536 ] || fail "the primary did not mark the range the peer failed ($(oos) bytes)"
on_b "grep -q 'failed on /dev/mapper/lower' /var/log/mirrordisk/r0.log" || fail "no error in b's log"
st=$(on_b "mdctl status --json r0" | json_field disk_state)
[ "$st" = inconsistent ] || fail "b's copy is '$st' after a failed write, not inconsistent"
# a learns it while connected (b's STATE), without a new handshake.
wait_json a peer_disk_state inconsistent 10
mdctl status --json r0 | grep -q '"connection": "connected"' || fail "a is no longer connected"
# Writes elsewhere still replicate.
reaches_b 8 /tmp/pat
on_b ". /tests/lib.sh; dm_lower ok" || fail "dm ok on b"
resync_b
st=$(on_b "mdctl status --json r0" | json_field disk_state)
[ "$st" = up-to-date ] || fail "b's copy is '$st' after the resync"
wait_json a peer_disk_state up-to-date 10
# (The whole-disk comparison comes at the end: the next part leaves this
# range alone, so a miss here would show there too.)
[ "$(on_b "dd if=/dev/vda bs=1M skip=64 count=1 iflag=direct 2>/dev/null" | md5sum)" = "$(md5sum < /tmp/pat)" ] ||
	fail "the resync did not rewrite b's failed range"

log "primary's disk fails"
# Another pattern: b takes it, a's disk does not; only the resync can make
# them equal again.
dd if=/dev/urandom of=/tmp/pat2 bs=1M count=1 2>/dev/null
dm_lower error || fail "dm error on a"
if dd if=/tmp/pat2 of=/dev/mirror0 bs=1M seek=64 count=1 oflag=direct conv=fsync 2>/tmp/dd.err; then
	fail "a write to the failing range was reported done"
fi
grep -Eqi 'input/output|i/o error' /tmp/dd.err || { cat /tmp/dd.err; fail "the write did not fail with EIO"; }
if dd if=/dev/mirror0 of=/dev/null bs=1M skip=64 count=1 iflag=direct 2>/tmp/dd.err; then
	fail "a read of the failing range was reported done"
fi
grep -Eqi 'input/output|i/o error' /tmp/dd.err || { cat /tmp/dd.err; fail "the read did not fail with EIO"; }
[ "$(oos)" -ge 65536 ] || fail "the failed local write was not marked ($(oos) bytes)"
reaches_b 16 /tmp/pat		# writes elsewhere still replicate
dm_lower ok || fail "dm ok on a"
resync_b
same_disks
dm_unpair
echo "disk errors on either side: reported, marked, repaired by resync"
