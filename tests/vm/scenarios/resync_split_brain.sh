# SPDX-License-Identifier: GPL-2.0-or-later
# Both nodes written while apart: split brain is detected on reconnect,
# reported in status on both, and nothing is overwritten.
. /tests/lib.sh
start_pair
on_b "killall -9 mirrord" || fail "kill b"
sleep 1
fio_write --rw=write --bs=64k --size=1m --offset=0
on_b "mdctl activate r0" || fail "activate b while apart"
on_b ". /tests/lib.sh; fio_write --rw=write --bs=64k --size=1m --offset=4m" || fail "write on b"
on_b "mdctl deactivate r0" || fail "deactivate b"
da=$(digest /dev/vda 16777216); db=$(on_b ". /tests/lib.sh; digest /dev/vda 16777216")
on_b "mdctl up r0" >/dev/null || fail "restart b"
sleep 6
mdctl status r0
st_a=$(mdctl status --json r0); st_b=$(on_b "mdctl status --json r0")
echo "$st_a" | grep -q '"connection": "split-brain"' || fail "a does not report split brain"
echo "$st_b" | grep -q '"connection": "split-brain"' || fail "b does not report split brain"
echo "$st_a" | grep -q '"health": "needs-recovery"' || fail "a health"
grep -q 'split brain' /var/log/mirrordisk/r0.log || fail "no log message"
[ "$(digest /dev/vda 16777216)" = "$da" ] || fail "a's data changed"
[ "$(on_b ". /tests/lib.sh; digest /dev/vda 16777216")" = "$db" ] || fail "b's data changed"
echo "split brain detected and nothing overwritten"
# Later scenarios start from identical disks (--assume-clean): undo the
# two divergent writes by blanking that range on both lower disks.
md_reset; on_b ". /tests/lib.sh; md_reset"
blank='dd if=/dev/zero of=/dev/vda bs=1M count=16 oflag=direct 2>/dev/null'
sh -c "$blank"; on_b "$blank"
same_disks 16777216
