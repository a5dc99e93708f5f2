# SPDX-License-Identifier: GPL-2.0-or-later
# A handler that hangs is cut at its timeout (issue 21, item 4):
# fence-peer (fencing = resource-only) starts a child and sleeps; at
# handler-timeout = 3 s mirrord kills its whole process group, says so in
# the log and in status, and goes on; nothing was held.
. /tests/lib.sh
cat > /tmp/fence-hang.sh <<'EOS'
#!/bin/sh
sleep 1000 &
echo $! > /tmp/hang.child
echo $$ > /tmp/hang.pid
echo "fence-peer hangs"
sleep 1000
EOS
chmod +x /tmp/fence-hang.sh
rm -f /tmp/hang.pid /tmp/hang.child
fence_conf /tmp/fence.conf "fencing = resource-only" "fence-peer = /tmp/fence-hang.sh" \
	"handler-timeout = 3"
CONF=/tmp/fence.conf start_pair
n0=$(wc -l < /var/log/mirrordisk/r0.log)
log "a's link down for 14 s"
partition_a 14
wait_own_log $n0 "handler fence-peer started" 20
wait_file /tmp/hang.child 5
t0=$(uptime_s)
bg_write 1 /tmp/w1		# resource-only: not held
wait_own_log $n0 "handler fence-peer did not finish within 3 s: killing its process group" 10
wait_own_log $n0 "fence-peer: failed (killed at the 3 s timeout)" 5
sleep 1
for f in hang.pid hang.child; do
	pid_gone $(cat /tmp/$f) || fail "the handler's process $(cat /tmp/$f) ($f) still runs"
done
st=$(mdctl status --json r0)
echo "$st" | grep -q '"last_handler_result": "killed at the 3 s timeout"' || { echo "$st"; fail "status"; }
echo "$st" | grep -q '"io_held": false' || fail "resource-only held writes"
own_log $n0 | grep -q "handler fence-peer: fence-peer hangs" || fail "its output is not in the log"
read rc tw < /tmp/w1
[ "$rc" = 0 ] || fail "a write during the partition failed"
log "link back: b resyncs"
wait_conn 60
wait_sync 120
mdctl deactivate r0 >/dev/null
same_disks
echo "a hanging handler was killed at its timeout with its child"
