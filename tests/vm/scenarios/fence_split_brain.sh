# SPDX-License-Identifier: GPL-2.0-or-later
# The split-brain handler (issue 21, item 4) runs on both nodes when the
# handshake finds a split brain, once (not at every retry), with the
# resource and the peer in its environment; nothing is overwritten.
. /tests/lib.sh
printf '#!/bin/sh\necho "split brain of $MD_RESOURCE with $MD_PEER"\necho "$MD_RESOURCE $MD_PEER" > /tmp/sb.marker\n' > /tmp/sb.sh
chmod +x /tmp/sb.sh; put_b /tmp/sb.sh 755
rm -f /tmp/sb.marker; on_b "rm -f /tmp/sb.marker"
fence_conf /tmp/fence.conf "split-brain = /tmp/sb.sh"
CONF=/tmp/fence.conf start_pair
n0=$(wc -l < /var/log/mirrordisk/r0.log)
on_b "killall -9 mirrord" || fail "kill b"
sleep 1
dd if=/dev/urandom of=/dev/mirror0 bs=64k count=16 oflag=direct 2>/dev/null || fail "write on a"
on_b "mdctl activate --force r0 >/dev/null && dd if=/dev/urandom of=/dev/mirror0 bs=64k count=16 seek=64 oflag=direct 2>/dev/null && mdctl deactivate r0 >/dev/null" ||
	fail "write on b while apart"
da=$(digest /dev/vda 16777216); db=$(on_b ". /tests/lib.sh; digest /dev/vda 16777216")
on_b "mdctl up r0" >/dev/null || fail "restart b"
wait_file /tmp/sb.marker 30
[ "$(cat /tmp/sb.marker)" = "r0 node-b" ] || fail "a's handler saw: $(cat /tmp/sb.marker)"
i=0
until [ "$(on_b "cat /tmp/sb.marker 2>/dev/null")" = "r0 node-a" ]; do
	i=$((i + 1)); [ $i -gt 50 ] && fail "b's split-brain handler did not run"
	sleep 0.2
done
sleep 8		# a few more attempts: the handler must not run again
[ "$(own_log $n0 | grep -c 'handler split-brain started')" = 1 ] || { own_log $n0 | grep split-brain; fail "the handler ran more than once"; }
own_log $n0 | grep -q "handler split-brain: split brain of r0 with node-b" || fail "its output is not in a's log"
mdctl status --json r0 | grep -q '"connection": "split-brain"' || fail "a does not report split brain"
[ "$(digest /dev/vda 16777216)" = "$da" ] || fail "a's data changed"
[ "$(on_b ". /tests/lib.sh; digest /dev/vda 16777216")" = "$db" ] || fail "b's data changed"
# Later scenarios start from identical disks: blank the diverged range.
md_reset; on_b ". /tests/lib.sh; md_reset"
blank='dd if=/dev/zero of=/dev/vda bs=1M count=16 oflag=direct 2>/dev/null'
sh -c "$blank"; on_b "$blank"
same_disks 16777216
echo "the split-brain handler ran once on each node"
