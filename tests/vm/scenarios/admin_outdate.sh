# SPDX-License-Identifier: GPL-2.0-or-later
# mdctl outdate (issue 21): refused on the primary and on a connected
# secondary; on a secondary whose peer went away, its daemon running on,
# it marks the copy outdated: status says so, activate is refused with the
# reason, and when the peer is back the resync from it makes the copy up
# to date again.
. /tests/lib.sh
LOG=/var/log/mirrordisk/r0.log
n0=$(cat $LOG 2>/dev/null | wc -l)	# earlier scenarios' lines are not ours
js() { mdctl status --json r0 || true; }
jb() { on_b "mdctl status --json r0" || true; }
is() { [ "$2" = "$3" ] || fail "$1 is '$2', expected '$3'"; }

start_pair
log "refused on the primary, and on b while connected"
if mdctl outdate r0 2>/tmp/err; then fail "outdate on the primary went through"; else rc=$?; fi
cat /tmp/err
is "outdate's exit code on a" $rc 4
grep -q "this node is primary" /tmp/err || fail "the refusal on a does not say why"
expect_rc 4 on_b "mdctl outdate r0 2>/tmp/err"
on_b "grep -q 'connected to the peer' /tmp/err" || fail "the refusal on b does not say why"
is "b's disk_state" "$(jb | json_field disk_state)" up-to-date

log "a goes down; b, its daemon running, is outdated"
mdctl deactivate r0 >/dev/null || fail "deactivate a"
mdctl down r0 >/dev/null || fail "down a"
wait_json b connection connecting 20
on_b "mdctl outdate r0" || fail "outdate b"
st=$(jb)
is "b's disk_state" "$(echo "$st" | json_field disk_state)" outdated
echo "$st" | grep -q '"may_promote": false' || fail "b may promote, outdated"
echo "$st" | grep -q '"promote_refusal": "the local data is outdated' || fail "b's promote_refusal"
on_b "mdctl status r0" | grep -q "disk outdated" || { on_b "mdctl status r0"; fail "b's text status"; }
expect_rc 4 on_b "mdctl activate r0 2>/tmp/err"
on_b "grep -q 'outdated (known to be behind' /tmp/err" || fail "b's activate refusal does not say why"
on_b "mdctl outdate r0" >/dev/null || fail "outdate again is not idempotent"

log "a back (alone: consistent); it meets b and resyncs it"
mdctl up r0 >/dev/null || fail "up a"
wait_conn; wait_sync 300
tail -n +$((n0 + 1)) $LOG | grep -q "resync to node-b" || { tail -5 $LOG; fail "b was not the resync target"; }
is "b's disk_state" "$(jb | json_field disk_state)" up-to-date
is "a's disk_state" "$(js | json_field disk_state)" up-to-date
is "a's peer_disk_state" "$(js | json_field peer_disk_state)" up-to-date
is "b's peer_disk_state" "$(jb | json_field peer_disk_state)" up-to-date
on_b "mdctl activate r0" >/dev/null || fail "b, up to date again, cannot be activated"
on_b "mdctl deactivate r0" >/dev/null || fail "deactivate b"
same_disks
echo "outdate refused on a primary and while connected; an outdated copy refused activation until resynced"
