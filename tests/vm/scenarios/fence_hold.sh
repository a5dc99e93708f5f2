# SPDX-License-Identifier: GPL-2.0-or-later
# Fencing = resource-and-stonith (issue 21, item 3): a's link goes down
# for 22 s; fence-peer takes N s and answers 4 (peer outdated).  A write
# made when the link went down waits exactly until fence-peer returns (at
# least N s, done within 1.5 s after it), and completes successfully;
# status said "writes held" meanwhile; then writes go on alone.  Once the
# link is back b is resynced and unfence-peer runs on a.
. /tests/lib.sh
N=8
cat > /tmp/fence-peer.sh <<EOS
#!/bin/sh
echo "fencing \$MD_PEER (\$MD_PEER_ADDRESS) of \$MD_RESOURCE, minor \$MD_MINOR, \$MD_DEVICE, \$DRBD_RESOURCE"
cut -d' ' -f1 /proc/uptime > /tmp/fence.start
sleep $N
cut -d' ' -f1 /proc/uptime > /tmp/fence.end
exit 4
EOS
printf '#!/bin/sh\necho "unfencing $MD_PEER"; touch /tmp/unfenced\n' > /tmp/unfence-peer.sh
chmod +x /tmp/fence-peer.sh /tmp/unfence-peer.sh
rm -f /tmp/fence.start /tmp/fence.end /tmp/unfenced
fence_conf /tmp/fence.conf "fencing = resource-and-stonith" "fence-peer = /tmp/fence-peer.sh" \
	"unfence-peer = /tmp/unfence-peer.sh"
CONF=/tmp/fence.conf start_pair
n0=$(wc -l < /var/log/mirrordisk/r0.log)	# earlier scenarios' lines are not ours
dmesg -c >/dev/null
log "a's link down for 22 s; a write at once"
partition_a 22
sleep 1
t0=$(uptime_s)
bg_write 1 /tmp/w1
wait_held 20
mdctl status r0 | grep "writes held: waiting for fence-peer since" || { mdctl status r0; fail "the text status does not say the writes are held"; }
mdctl status --json r0 | grep -q '"health": "writes-held"' || { mdctl status --json r0; fail "health does not say the writes are held"; }
[ -e /tmp/w1 ] && fail "the write completed while the writes were held"
# Held for the peer, not by a's disk: the write's local part is done, so
# the module's oldest local I/O is none while its oldest request ages.
wait_json a local_oldest_ms 0 5
st=$(mdctl status --json r0)
[ "$(echo "$st" | json_field oldest_request_ms)" -gt 0 ] && echo "$st" | grep -q '"local_disk": "ok"' ||
	{ echo "$st"; fail "held writes counted as a's own disk's"; }
log "writes held; waiting for fence-peer"
wait_file /tmp/w1 30
read rc tw < /tmp/w1
[ "$rc" = 0 ] || fail "the held write failed (dd exit $rc)"
fs=$(cat /tmp/fence.start); fe=$(cat /tmp/fence.end)
log "write issued at $t0, fence-peer ran $fs..$fe, the write completed at $tw"
awk "BEGIN { exit !($tw >= $fe) }" || fail "the write completed before fence-peer returned"
awk "BEGIN { exit !($tw - $fe < 1.5) }" || fail "the write completed $tw, more than 1.5 s after fence-peer returned ($fe)"
awk "BEGIN { exit !($tw - $t0 >= $N) }" || fail "the write waited less than $N s"
mdctl status --json r0 | grep -q '"io_held": false' || { mdctl status r0; fail "still held after fence-peer succeeded"; }
# The daemon's loop reads the handler's result within a second or so.
wait_own_log $n0 "fence-peer: peer outdated (exit 4) after .*: held writes released" 5
mdctl status --json r0 | grep -q '"fence_result": "peer outdated (exit 4)"' || { mdctl status --json r0; fail "fence_result"; }
# Recorded in the superblock: the peer stays outdated while it is away.
mdctl status --json r0 | grep -q '"peer_disk_state": "outdated"' || { mdctl status --json r0; fail "peer_disk_state not outdated after fence-peer answered 4"; }
# Writes go on alone now, at once.
t1=$(uptime_s); bg_write 2 /tmp/w2; wait_file /tmp/w2 5
read rc tw2 < /tmp/w2
[ "$rc" = 0 ] || fail "a write after the release failed"
awk "BEGIN { exit !($tw2 - $t1 < 2) }" || fail "a write after the release took $t1..$tw2"
own_log $n0 > /tmp/own.log
for t in "writes held: waiting for fence-peer since" \
	 "handler fence-peer: fencing node-b (10.77.0.2) of r0, minor 0, /dev/mirror0, r0"; do
	grep -q "$t" /tmp/own.log || { tail -20 /tmp/own.log; fail "a's log lacks: $t"; }
done
dmesg | grep -q "writes held until the peer is fenced" || fail "the kernel did not log the hold"
log "link back: b resyncs, then unfence-peer runs"
wait_conn 60
wait_sync 120
wait_own_log $n0 "handler unfence-peer: exit 0" 30
mdctl status --json r0 | grep -q '"peer_disk_state": "up-to-date"' || { mdctl status --json r0; fail "peer_disk_state not up to date after the resync"; }
[ -e /tmp/unfenced ] || fail "unfence-peer did not run"
own_log $n0 | grep -q "handler unfence-peer: unfencing node-b" || fail "unfence-peer's output is not in the log"
mdctl deactivate r0 >/dev/null
same_disks
echo "writes held until fence-peer answered 'outdated', then released; b resynced; unfence-peer ran"
