# SPDX-License-Identifier: GPL-2.0-or-later
# Activation with fencing, the link lost between mdctl's read of it and
# the promotion (docs/design.md 6b, "Who may be promoted").  mdctl
# activate goes without fence-peer when it reads the link as up; the
# window: it read "connected", the link went down, and the module made
# the node primary with its peer unknown and nobody fenced (the gap the
# last session's note named).  The test module mdfault drops the module's
# link at the entry of the promotion (md_set_role), exactly in that
# window, and the scenario then ends the link for real (b's daemon
# killed).  The module must refuse the promotion (MD_ROLEF_IF_CONNECTED:
# -ENOTCONN); mdctl undoes its record, decides again, runs fence-peer (4:
# outdated) and activates with the peer recorded outdated.  Then b back:
# resynced from a, the disks equal.
. /tests/lib.sh
fence_pair 'echo "fence $MD_RESOURCE peer $MD_PEER, my disk $MD_DISK_STATE: 4"
exit 4' ko
mdctl deactivate r0 >/dev/null || fail "deactivate a"
insmod /modules/mdfault.ko || fail "insmod mdfault"
mark_logs

log "both secondary and connected; the link dropped at the promotion's entry"
is "a's connection" "$(js | json_field connection)" connected
echo 1 > /sys/module/mdfault/parameters/drop_link_promote
mdctl activate r0 >/tmp/out 2>&1 &
act=$!
i=0
until [ "$(cat /sys/module/mdfault/parameters/hits)" = 1 ]; do
	i=$((i + 1)); [ $i -lt 200 ] || fail "the probe never dropped the link"
	sleep 0.05
done
on_b "killall -9 mirrord"	# the link ends for real
if wait $act; then rc=0; else rc=$?; fi
cat /tmp/out
is "activate's exit code" $rc 0
grep -q "went down during the activation; deciding again" /tmp/out ||
	fail "activate did not see the link go down (promoted with its peer unknown, nobody fenced)"
grep -q "fence-peer: peer outdated (exit 4)" /tmp/out || fail "activate did not run fence-peer"
mine | grep -q "handler fence-peer: fence r0 peer node-b, my disk up-to-date: 4" ||
	{ mine | tail; fail "the handler did not run"; }
st=$(js)
is "a's role" "$(echo "$st" | json_field role)" primary
is "a's peer_disk_state" "$(echo "$st" | json_field peer_disk_state)" outdated
rmmod mdfault
dd if=/dev/urandom of=/dev/mirror0 bs=1M count=2 seek=8 oflag=direct 2>/dev/null || fail "write on a"

log "b back: resynced from a"
on_b "mdctl up r0" >/dev/null || fail "up b"
resynced_from_a
echo "a link lost inside the activation's window: the module refused, mdctl ran fence-peer and activated with the peer outdated"
