# SPDX-License-Identifier: GPL-2.0-or-later
# README's override after a double failure, then the cluster's own
# activation (what the cluster test's double failure does): a comes up
# alone (consistent); 'mdctl activate --force' and 'mdctl deactivate'
# make it up to date; the next 'mdctl activate' (no --force: the agent's
# promote) runs fence-peer, whose environment must say the copy is up to
# date now.  The handler here answers as pcmk-fence-peer does: 5 for a
# consistent copy (a constraint proves nothing then), else 4.  Found by
# the cluster test: mirrord passed the disk state it had read before the
# override (consistent), pcmk-fence-peer refused, and the survivor was
# never promoted.  b, back, is resynced from a.
. /tests/lib.sh
fence_pair 'echo "fence $MD_RESOURCE peer $MD_PEER, my disk $MD_DISK_STATE"
[ "$MD_DISK_STATE" = consistent ] && exit 5
exit 4'
mdctl deactivate r0 >/dev/null || fail "deactivate a"
mdctl down r0 >/dev/null || fail "down a"
on_b "mdctl down r0" >/dev/null || fail "down b"
mdctl up r0 >/dev/null || fail "up a alone"
st=$(js)
is "a's disk_state" "$(echo "$st" | json_field disk_state)" consistent
is "a's may_promote (consistent)" "$(echo "$st" | json_field may_promote)" false
is "a's promote_fence_peer (consistent, fencing)" "$(echo "$st" | json_field promote_fence_peer)" true
mark_logs

log "the override: activate --force, deactivate"
mdctl activate --force r0 >/dev/null || fail "activate --force"
mdctl deactivate r0 >/dev/null || fail "deactivate after the override"
is "a's disk_state" "$(js | json_field disk_state)" up-to-date

log "activate without --force: fence-peer is told the copy is up to date"
mdctl activate r0 >/tmp/out 2>&1 || { cat /tmp/out; mine | tail; fail "activate after the override"; }
cat /tmp/out
mine | grep -q "handler fence-peer: fence r0 peer node-b, my disk up-to-date" || { mine | tail; fail "fence-peer's MD_DISK_STATE"; }
grep -q "fence-peer: peer outdated (exit 4)" /tmp/out || fail "activate did not report fence-peer's answer"
st=$(js)
is "a's role" "$(echo "$st" | json_field role)" primary
is "a's promote_fence_peer (primary)" "$(echo "$st" | json_field promote_fence_peer)" false
is "a's peer_disk_state" "$(echo "$st" | json_field peer_disk_state)" outdated
dd if=/dev/urandom of=/dev/mirror0 bs=1M count=2 seek=8 oflag=direct 2>/dev/null || fail "write on a"

log "b back: resynced from a"
on_b "mdctl up r0" >/dev/null || fail "up b"
resynced_from_a
echo "after the override, the unforced activation's fence-peer saw an up-to-date copy and the peer was outdated"
