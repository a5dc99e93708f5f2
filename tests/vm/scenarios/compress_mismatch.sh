# SPDX-License-Identifier: GPL-2.0-or-later
# Issue 23: compression set differently on the two nodes (zstd on a, none
# on b): both refuse the pair, each log and status says why, and nothing
# reaches b.  Then b's file says auto and 'mdctl adjust' applies it: the
# next connect negotiates compression and resyncs what a wrote.
. /tests/lib.sh
mark_logs
sed 's/^timeout = 5/&\ncompression = zstd/' /tests/md.conf > /tmp/z.conf
md_load; conf_install /tmp/z.conf
on_b ". /tests/lib.sh; md_load; conf_install; mdctl create --force --assume-clean r0 >/dev/null && mdctl up r0" >/dev/null ||
	fail "up b"
mdctl create --force --assume-clean r0 >/dev/null || fail "create a"
mdctl up r0 >/dev/null || fail "up a"
mdctl activate --force r0 >/dev/null || fail "activate a"
n=$((16 << 20))
before=$(on_b ". /tests/lib.sh; digest /dev/vda $n")
dd if=/dev/zero of=/dev/mirror0 bs=1M count=4 oflag=direct 2>/dev/null || fail "write on a"
wait_mine a "compression is on (zstd or auto) on node-a and none on node-b: set it alike"
wait_mine b "compression is none on node-b and on (zstd or auto) on node-a: set it alike"
mdctl status --json r0 | json_field last_error | grep -q "compression is" || fail "a's status does not say why"
on_b "mdctl status --json r0" | json_field last_error | grep -q "compression is" || fail "b's status does not say why"
mdctl status --json r0 | grep -q '"connection": "connected"' && fail "connected although compression differs"
[ "$(on_b ". /tests/lib.sh; digest /dev/vda $n")" = "$before" ] || fail "b's disk changed"
log "compression zstd on a, none on b: both refuse and say why"

on_b "sed -i 's/^timeout = 5/&\ncompression = auto/' /etc/mirrordisk/mirrordisk.conf && mdctl adjust r0" > /tmp/adj.out ||
	{ cat /tmp/adj.out; fail "adjust on b"; }
grep -q "applied compression" /tmp/adj.out || fail "adjust said: $(cat /tmp/adj.out)"
wait_conn 30; wait_sync
wait_mine b 'connected to node-a .*compressed: zstd'
mdctl deactivate r0 >/dev/null
same_disks
echo "mismatched compression is refused on both sides with the reason; adjusted alike, the pair connects compressed and resyncs"
