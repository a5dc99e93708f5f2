# SPDX-License-Identifier: GPL-2.0-or-later
# Activation of a consistent copy with fencing (issue 21, item 2): after
# both nodes went down, a comes up alone (consistent).  'mdctl activate'
# without --force runs fence-peer through a's daemon: a handler answering
# 5 (peer unreachable) leaves the copy consistent and the activation
# refused with the reason (exit 4); one answering 7 (peer fenced) makes it
# up to date with the peer recorded outdated, and the activation goes on.
# b, back, is resynced from a.
. /tests/lib.sh
LOG=/var/log/mirrordisk/r0.log
jb() { on_b "mdctl status --json r0" || true; }
fence_pair 'rc=$(cat /tmp/fence.answer)
echo "fence $MD_RESOURCE peer $MD_PEER at $MD_PEER_ADDRESS: $rc"
exit $rc'
n0=$(wc -l < $LOG)

log "both down; a up alone: consistent"
mdctl deactivate r0 >/dev/null || fail "deactivate a"
mdctl down r0 >/dev/null || fail "down a"
on_b "mdctl down r0" >/dev/null || fail "down b"
mdctl up r0 >/dev/null || fail "up a alone"
is "a's disk_state" "$(js | json_field disk_state)" consistent

log "fence-peer answers 5 (unreachable): refused, still consistent"
echo 5 > /tmp/fence.answer
if mdctl activate r0 >/tmp/out 2>/tmp/err; then fail "activated after fence-peer said unreachable"; else rc=$?; fi
cat /tmp/out /tmp/err
is "activate's exit code" $rc 4
grep -q "running fence-peer" /tmp/out || fail "activate did not say it runs fence-peer"
grep -q "fence-peer did not outdate or fence the peer" /tmp/err || fail "the refusal does not say why"
is "a's role" "$(js | json_field role)" secondary
is "a's disk_state" "$(js | json_field disk_state)" consistent
own_log $n0 | grep -q "handler fence-peer: fence r0 peer node-b at .*: 5" || { own_log $n0 | tail; fail "the handler's output or environment"; }

log "fence-peer answers 7 (fenced): activated without --force"
echo 7 > /tmp/fence.answer
mdctl activate r0 >/tmp/out 2>&1 || { cat /tmp/out; fail "activate after fence-peer said fenced"; }
cat /tmp/out
grep -q "fence-peer: peer fenced (exit 7)" /tmp/out || fail "activate did not report fence-peer's answer"
st=$(js)
is "a's role" "$(echo "$st" | json_field role)" primary
is "a's disk_state" "$(echo "$st" | json_field disk_state)" up-to-date
is "a's peer_disk_state" "$(echo "$st" | json_field peer_disk_state)" outdated
dd if=/dev/urandom of=/dev/mirror0 bs=1M count=2 seek=8 oflag=direct 2>/dev/null || fail "write on a"

log "b back: resynced from a"
on_b "mdctl up r0" >/dev/null || fail "up b"
wait_conn; wait_sync
own_log $n0 | grep -q "resync to node-b" || { own_log $n0 | tail -5; fail "a was not the resync source"; }
is "b's disk_state" "$(jb | json_field disk_state)" up-to-date
is "a's peer_disk_state" "$(js | json_field peer_disk_state)" up-to-date
mdctl deactivate r0 >/dev/null || fail "deactivate a"
same_disks
echo "a lone start with fencing: refused while fence-peer could not fence, activated once it did"
