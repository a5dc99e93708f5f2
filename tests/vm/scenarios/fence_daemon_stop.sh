# SPDX-License-Identifier: GPL-2.0-or-later
# The kernel's deadline under fencing = resource-and-stonith (issue 21,
# item 3; docs/design.md 6b): mirrord on the primary is stopped
# (SIGSTOP).  At the deadline the module gives up on the daemon as
# before, but holds the write instead of completing it (a stopped daemon
# fenced nobody).  After SIGCONT the daemon finds the link gone, runs
# fence-peer (answers 4), and the write completes successfully.
. /tests/lib.sh
printf '#!/bin/sh\ncut -d" " -f1 /proc/uptime > /tmp/fenced\nexit 4\n' > /tmp/fence-peer.sh
chmod +x /tmp/fence-peer.sh; rm -f /tmp/fenced
ko_conf /tests/md.conf /tmp/ko.conf
FENCE_BASE=/tmp/ko.conf fence_conf /tmp/fence.conf "fencing = resource-and-stonith" "fence-peer = /tmp/fence-peer.sh"
CONF=/tmp/fence.conf start_pair
dmesg -c >/dev/null
pid=$(pidof mirrord) || fail "no mirrord on a"
kill -STOP $pid
log "mirrord on a stopped; a write"
bg_write 20 /tmp/w1
sleep $((KERNEL_DEADLINE + 4))
dmesg | grep -q "mirrord has not .* going standalone, writes held (fencing)" || { dmesg | tail; fail "the kernel did not hold at its deadline"; }
[ -e /tmp/w1 ] && fail "the write completed while nobody had fenced the peer"
mdctl status --json r0 | grep -q '"io_held": true' || { mdctl status r0; fail "status does not say the writes are held"; }
kill -CONT $pid
log "mirrord on a continued"
wait_file /tmp/w1 15
read rc tw < /tmp/w1
[ "$rc" = 0 ] || fail "the held write failed (dd exit $rc)"
[ -e /tmp/fenced ] || fail "fence-peer did not run"
awk "BEGIN { exit !($tw >= $(cat /tmp/fenced)) }" || fail "the write completed before fence-peer ran"
[ "$(pidof mirrord)" = "$pid" ] || fail "mirrord was restarted"
wait_conn 30
wait_sync
mdctl deactivate r0 >/dev/null
same_disks
echo "at its deadline the kernel held the write for fencing; after SIGCONT fence-peer released it"
