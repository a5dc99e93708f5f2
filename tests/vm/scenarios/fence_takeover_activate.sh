# SPDX-License-Identifier: GPL-2.0-or-later
# Activation of an up-to-date secondary whose link is down, with fencing
# (DRBD's rule: a primary without its peer needs the peer known behind).
# What the cluster test found: Pacemaker moved the Promoted role to the
# other node while the replication link was being cut; that node, up to
# date with its peer's state unknown, was promoted without fence-peer, so
# nothing kept the cluster from promoting the old copy later, and no
# constraint named the new primary.  Here: both secondary and in sync, a
# cut off; 'mdctl activate' on a runs fence-peer through a's daemon: 5
# (peer unreachable) refuses it (exit 4, still secondary, nothing
# recorded), 4 (peer outdated) records the peer outdated and activates.
# The link back: b is resynced from a, the disks equal.
. /tests/lib.sh
fence_pair 'rc=$(cat /tmp/fence.answer)
echo "fence $MD_RESOURCE peer $MD_PEER, my disk $MD_DISK_STATE: $rc"
exit $rc' ko
mdctl deactivate r0 >/dev/null || fail "deactivate a"
mark_logs
is "a's promote_fence_peer while connected" "$(js | json_field promote_fence_peer)" false

log "a cut off for 30 s, both secondary and up to date"
partition_a 30
wait_json a connection connecting 20
st=$(js)
is "a's role" "$(echo "$st" | json_field role)" secondary
is "a's disk_state" "$(echo "$st" | json_field disk_state)" up-to-date
is "a's peer_disk_state" "$(echo "$st" | json_field peer_disk_state)" unknown
is "a's may_promote" "$(echo "$st" | json_field may_promote)" true
is "a's promote_fence_peer" "$(echo "$st" | json_field promote_fence_peer)" true
mdctl status r0 | grep -q "may promote: if fence-peer outdates or fences the peer" ||
	{ mdctl status r0; fail "status does not say activate runs fence-peer first"; }

log "fence-peer answers 5 (unreachable): refused, still secondary"
echo 5 > /tmp/fence.answer
if mdctl activate r0 >/tmp/out 2>/tmp/err; then rc=0; else rc=$?; fi
cat /tmp/out /tmp/err
is "activate's exit code" $rc 4
grep -q "link to the peer is down .* running fence-peer" /tmp/out || fail "activate did not say it runs fence-peer"
grep -q "fence-peer did not outdate or fence the peer" /tmp/err || fail "the refusal does not say why"
is "a's role" "$(js | json_field role)" secondary
is "a's peer_disk_state" "$(js | json_field peer_disk_state)" unknown
mine | grep -q "handler fence-peer: fence r0 peer node-b, my disk up-to-date: 5" || { mine | tail; fail "the handler's output or environment"; }

log "fence-peer answers 4 (outdated): activated without --force"
echo 4 > /tmp/fence.answer
mdctl activate r0 >/tmp/out 2>&1 || { cat /tmp/out; fail "activate after fence-peer said outdated"; }
cat /tmp/out
grep -q "fence-peer: peer outdated (exit 4)" /tmp/out || fail "activate did not report fence-peer's answer"
st=$(js)
is "a's role" "$(echo "$st" | json_field role)" primary
is "a's peer_disk_state" "$(echo "$st" | json_field peer_disk_state)" outdated
dd if=/dev/urandom of=/dev/mirror0 bs=1M count=2 seek=8 oflag=direct 2>/dev/null || fail "write on a"

log "the link back: b resynced from a"
resynced_from_a
echo "an up-to-date secondary without its link: refused while fence-peer could not outdate the peer, activated once it did"
