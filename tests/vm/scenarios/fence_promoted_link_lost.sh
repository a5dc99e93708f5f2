# SPDX-License-Identifier: GPL-2.0-or-later
# A link lost right after a promotion, before the daemon has seen the new
# role (found reviewing fence_link_race_activate's fix): mirrord reads
# the module's role once a poll (200 ms), and whether a lost link runs
# fence-peer depends on it.  The window is made to last: a's network is
# cut, a's daemon stopped (SIGSTOP), a activated (the module promotes:
# it is still connected), and a's daemon continued more than its timeout
# (ko_conf: 2 s) after the cut, so that the first thing its loop does is
# fail the connection for the peer's silence, before any poll of the
# module.  It must read the role from the module then, run fence-peer (4:
# outdated) as a primary does, and record the peer outdated.  Before: it
# took itself for the secondary it had last seen, and nobody fenced the
# peer of a primary.  The network back: b resynced from a, disks equal.
. /tests/lib.sh
fence_pair 'echo "fence $MD_RESOURCE peer $MD_PEER, my disk $MD_DISK_STATE: 4"
exit 4' ko
mdctl deactivate r0 >/dev/null || fail "deactivate a"
sleep 1
mark_logs

log "a's daemon stopped, a's network cut, a activated, a's daemon continued"
pid=$(pidof mirrord)
# The network first, then the daemon: a ping of b's buffered while it is
# stopped would count as fresh when it continues.
(ifconfig eth0 down; sleep 10; ifconfig eth0 up) >/dev/null 2>&1 &
sleep 0.1
kill -STOP $pid
if ! mdctl activate r0 >/tmp/out 2>&1; then kill -CONT $pid; cat /tmp/out; fail "activate while the module is connected"; fi
sleep 3
kill -CONT $pid
wait_mine a "handler fence-peer: fence r0 peer node-b, my disk up-to-date: 4" 20
wait_json a peer_disk_state outdated 20
st=$(js)
is "a's role" "$(echo "$st" | json_field role)" primary
dd if=/dev/urandom of=/dev/mirror0 bs=1M count=2 seek=8 oflag=direct 2>/dev/null || fail "write on a"

log "the network back: b resynced from a"
resynced_from_a
echo "a link lost before the daemon saw its promotion: it read the role at the loss and fenced the peer"
