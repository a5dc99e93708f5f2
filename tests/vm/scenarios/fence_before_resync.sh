# SPDX-License-Identifier: GPL-2.0-or-later
# before-resync-target (issue 21, item 4): b, behind after a detach, runs
# it before it would become a resync target; exit 3 refuses the resync
# with the reason in b's status and b's copy stays up to date; once the
# handler exits 0 the resync happens, and after-resync-target runs on b
# once it ended; a verify that finds a difference runs out-of-sync on a.
. /tests/lib.sh
# It agrees at first: the start's activation may already make b a target.
printf '#!/bin/sh\necho snapshot taken\n' > /tmp/brt.sh
put_b /tmp/brt.sh 755
# after-resync-target and out-of-sync leave a marker with their environment.
printf '#!/bin/sh\necho "$MD_HANDLER $MD_RESOURCE $MD_PEER" > /tmp/$MD_HANDLER.marker\n' > /tmp/mark.sh
chmod +x /tmp/mark.sh; put_b /tmp/mark.sh 755
fence_conf /tmp/fence.conf "before-resync-target = /tmp/brt.sh" \
	"after-resync-target = /tmp/mark.sh" "out-of-sync = /tmp/mark.sh"
CONF=/tmp/fence.conf start_pair
rm -f /tmp/*.marker; on_b "rm -f /tmp/*.marker"	# the start's own resync
printf '#!/bin/sh\necho "no room for a snapshot of $MD_DISK"\nexit 3\n' > /tmp/brt.sh
put_b /tmp/brt.sh 755
on_b "mdctl detach r0" >/dev/null || fail "detach b"
dd if=/dev/urandom of=/dev/mirror0 bs=1M count=4 seek=8 oflag=direct 2>/dev/null || fail "write on a"
nb=$(on_b "wc -l < /var/log/mirrordisk/r0.log")
on_b "mdctl attach r0" >/dev/null || fail "attach b"
i=0
until on_b "mdctl status --json r0" | grep -q '"last_error": "refused peer: before-resync-target refused the resync: exit 3'; do
	i=$((i + 1)); [ $i -gt 150 ] && { on_b "mdctl status r0"; fail "b's status never gave the refusal"; }
	sleep 0.2
done
stb=$(on_b "mdctl status --json r0")
echo "$stb" | grep -q '"disk_state": "inconsistent"' && { echo "$stb"; fail "b's copy became inconsistent"; }
echo "$stb" | grep -q '"connection": "connected"' && fail "b connected despite the refusal"
# a hears b's REJECT in its connected loop, unless b's close reset the
# stream first: shown, not asserted.
mdctl status r0 | grep "last error" || true
on_b "tail -n +$((nb + 1)) /var/log/mirrordisk/r0.log" > /tmp/b.log
grep -q "handler before-resync-target: no room for a snapshot of /dev/vda" /tmp/b.log || { tail /tmp/b.log; fail "b's log lacks the handler's output"; }
grep -q "resync from" /tmp/b.log && fail "a resync started"
log "the handler now agrees"
printf '#!/bin/sh\necho snapshot taken\n' > /tmp/brt.sh
put_b /tmp/brt.sh 755
wait_conn 30
wait_sync 60
on_b "tail -n +$((nb + 1)) /var/log/mirrordisk/r0.log" > /tmp/b.log
grep -q "handler before-resync-target: snapshot taken" /tmp/b.log || fail "b's log lacks the handler's second run"
grep -q "resync from node-a finished" /tmp/b.log || fail "no resync on b"
i=0
until [ "$(on_b "cat /tmp/after-resync-target.marker 2>/dev/null")" = "after-resync-target r0 node-a" ]; do
	i=$((i + 1)); [ $i -gt 50 ] && fail "after-resync-target did not run on b after its resync"
	sleep 0.2
done
[ -e /tmp/after-resync-target.marker ] && fail "after-resync-target ran on the source"
log "out-of-sync: verify finds a chunk changed behind b's mirror"
on_b "dd if=/dev/urandom of=/dev/vda bs=4k count=1 seek=100 oflag=direct conv=notrunc 2>/dev/null" ||
	fail "change b's lower disk"
expect_rc 6 mdctl verify r0
wait_file /tmp/out-of-sync.marker 20
[ "$(cat /tmp/out-of-sync.marker)" = "out-of-sync r0 node-b" ] || fail "out-of-sync saw: $(cat /tmp/out-of-sync.marker)"
on_b "mdctl detach r0 >/dev/null; mdctl attach r0 >/dev/null" || fail "detach and attach b"
wait_conn 30
wait_sync 60
mdctl deactivate r0 >/dev/null
same_disks
echo "before-resync-target refused a resync with its reason, then let it run; after-resync-target and out-of-sync ran"
