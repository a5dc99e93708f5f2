# SPDX-License-Identifier: GPL-2.0-or-later
# Disk states (issue 21): both nodes show the peer's disk state;
# activate --force on the secondary while the primary peer is connected is
# refused; after both went down, a node that comes up alone is consistent,
# refuses activate with the reason (exit 4) and takes --force, and the
# peer, back, is resynced from it; a standby that was connected and up to
# date when the primary's power was cut takes over without --force.
. /tests/lib.sh
LOG=/var/log/mirrordisk/r0.log
n0=$(cat $LOG 2>/dev/null | wc -l)	# earlier scenarios' lines are not ours
js() { mdctl status --json r0 || true; }	# exits 5 while not up
jb() { on_b "mdctl status --json r0" || true; }
is() { [ "$2" = "$3" ] || fail "$1 is '$2', expected '$3'"; }

start_pair
log "(d) both show the peer's disk state"
is "a's peer_disk_state" "$(js | json_field peer_disk_state)" up-to-date
is "b's peer_disk_state" "$(jb | json_field peer_disk_state)" up-to-date
mdctl status r0 | grep -q "peer disk up-to-date, may promote: yes" || { mdctl status r0; fail "a's text status"; }
on_b "mdctl status r0" | grep -q "peer disk up-to-date, may promote: the peer is primary" ||
	{ on_b "mdctl status r0"; fail "b's text status"; }
js | grep -q '"promote_refusal": null' || fail "a, primary, has a promote_refusal"

log "(b) activate --force on b while primary a is connected: refused"
expect_rc 4 on_b "mdctl activate --force r0 2>/tmp/err"
on_b "cat /tmp/err"
on_b "grep -q 'the peer is primary.*--force does not override' /tmp/err" || fail "b's refusal does not say why"
jb | grep -q '"may_promote": false' || fail "b may promote while a is primary"
jb | grep -q '"promote_refusal": "the peer is primary' || fail "b's promote_refusal"
is "b's role" "$(jb | json_field role)" secondary

log "(a) both down, a comes up alone: consistent"
mdctl deactivate r0 >/dev/null || fail "deactivate a"
mdctl down r0 >/dev/null || fail "down a"
on_b "mdctl down r0" >/dev/null || fail "down b"
expect_rc 5 mdctl status r0
is "a's state when down" "$(js | json_field state)" down
mdctl up r0 >/dev/null || fail "up a alone"
st=$(js)
is "a's disk_state" "$(echo "$st" | json_field disk_state)" consistent
is "a's peer_disk_state" "$(echo "$st" | json_field peer_disk_state)" unknown
is "a's peer_disk_state_last_known" "$(echo "$st" | json_field peer_disk_state_last_known)" up-to-date
echo "$st" | grep -q '"may_promote": false' || fail "a may promote, consistent"
echo "$st" | grep -q '"promote_refusal": "the local data is consistent' || fail "a's promote_refusal"
mdctl status r0 | grep -q "peer disk unknown (last known up-to-date)" || { mdctl status r0; fail "a's text status"; }
if mdctl activate r0 2>/tmp/err; then fail "a consistent copy was activated without --force"; else rc=$?; fi
cat /tmp/err
is "activate's exit code" $rc 4
grep -q "started without meeting its peer" /tmp/err || fail "the refusal does not say why"
is "a's role" "$(js | json_field role)" secondary
mdctl activate --force r0 >/dev/null || fail "activate --force refused"
is "a's disk_state after --force" "$(js | json_field disk_state)" up-to-date
dd if=/dev/urandom of=/dev/mirror0 bs=1M count=2 seek=8 oflag=direct 2>/dev/null || fail "write on a alone"
on_b "mdctl up r0" >/dev/null || fail "up b"
wait_conn; wait_sync
tail -n +$((n0 + 1)) $LOG | grep -q "resync to node-b" || { tail -5 $LOG; fail "a was not the resync source"; }
is "b's disk_state" "$(jb | json_field disk_state)" up-to-date
is "a's peer_disk_state" "$(js | json_field peer_disk_state)" up-to-date
is "b's peer_disk_state" "$(jb | json_field peer_disk_state)" up-to-date
same_disks

log "power cut of primary b: a, connected and up to date, takes over without --force"
mdctl deactivate r0 >/dev/null || fail "deactivate a"
on_b "mdctl activate r0" >/dev/null || fail "activate b"
echo "@@CRASH b" > /dev/console		# the host runner cuts b's power
i=0
while js | grep -q '"connection": "connected"'; do
	i=$((i + 1)); [ $i -gt 100 ] && fail "a did not notice b's power cut"
	sleep 0.2
done
is "a's disk_state" "$(js | json_field disk_state)" up-to-date
mdctl activate r0 || fail "the up-to-date standby did not take over without --force"
dd if=/dev/urandom of=/dev/mirror0 bs=1M count=1 seek=16 oflag=direct 2>/dev/null || fail "write on a"
b_back_up
wait_conn; wait_sync
is "b's disk_state after its return" "$(jb | json_field disk_state)" up-to-date
mdctl deactivate r0 >/dev/null || fail "deactivate a"
same_disks
echo "lone start consistent (refused, then forced); --force never against a primary peer; takeover after a power cut without --force"
