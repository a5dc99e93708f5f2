# SPDX-License-Identifier: GPL-2.0-or-later
# Fencing = resource-and-stonith with a fence-peer that hangs (issue 21,
# item 3): a write made when a's link went down stays held, also after
# mirrord dies (the module keeps the hold without a daemon), until the
# administrator's 'mdctl resume-io r0' (no daemon needed) releases it:
# it completes successfully, as not replicated; b is resynced later.
. /tests/lib.sh
cat > /tmp/fence-hang.sh <<'EOS'
#!/bin/sh
echo $$ > /tmp/hang.pid
echo "fence-peer hangs"
exec sleep 1000
EOS
chmod +x /tmp/fence-hang.sh
fence_conf /tmp/fence.conf "fencing = resource-and-stonith" "fence-peer = /tmp/fence-hang.sh" \
	"handler-timeout = 600"
CONF=/tmp/fence.conf start_pair
dmesg -c >/dev/null
log "a's link down for 30 s; a write at once"
partition_a 30
sleep 1
bg_write 1 /tmp/w1
wait_held 20
sleep 2
[ -e /tmp/w1 ] && fail "the write completed while held"
expect_rc 0 mdctl resume-io --dry-run r0
log "mirrord dies while the writes are held"
killall -9 mirrord
sleep 2
[ -e /tmp/w1 ] && fail "the daemon's death completed the held write"
mdctl status --json r0 | grep -q '"io_held": true' || { mdctl status r0; fail "no longer held after the daemon died"; }
dmesg | grep -q "daemon detached from the channel: writes stay held" || fail "the kernel did not say the writes stay held"
log "resume-io without a daemon"
out=$(mdctl resume-io r0) || fail "resume-io exited $?"
echo "$out" | grep -q "held writes released" || fail "resume-io said: $out"
wait_file /tmp/w1 3
read rc tw < /tmp/w1
[ "$rc" = 0 ] || fail "the released write failed (dd exit $rc)"
out=$(mdctl resume-io r0) || fail "a second resume-io exited $?"
echo "$out" | grep -q "no writes are held" || fail "a second resume-io said: $out"
mdctl status --json r0 | grep -q '"io_held": false' || fail "still held after resume-io"
dmesg | grep -q "held writes released after" || fail "the kernel did not log the release"
kill -9 -- -$(cat /tmp/hang.pid) 2>/dev/null || true	# the dead daemon's handler
mdctl up r0 >/dev/null || fail "restart mirrord on a"
log "link back: b resyncs"
wait_conn 60
wait_sync 120
mdctl deactivate r0 >/dev/null
same_disks
echo "held writes survived mirrord's death and were released by resume-io"
