# SPDX-License-Identifier: GPL-2.0-or-later
# Power cut of the primary in the middle of writes: every write it
# acknowledged is on the secondary; after it comes back, the resync makes
# both copies identical.
. /tests/lib.sh
start_pair
mdctl deactivate r0 || fail "deactivate a"
on_b "mdctl activate r0" || fail "activate b"
on_b "mdwrite write /dev/mirror0 60000" > /tmp/acked 2>/dev/null &
writer=$!
sleep 8
# The host runner watches the console for this line and kills node b's qemu.
echo "@@CRASH b" > /dev/console
sleep 3
kill $writer 2>/dev/null	# its connection to the dead node would hang
n=$(wc -l < /tmp/acked)
log "$n writes acknowledged before the power cut"
[ "$n" -gt 10 ] || fail "too few writes before the crash"
sync; echo 3 > /proc/sys/vm/drop_caches
mdwrite check /dev/vda /tmp/acked || fail "an acknowledged write is missing on the secondary"
b_back_up
wait_conn
wait_sync
grep 'resync from node-b' /var/log/mirrordisk/r0.log | tail -2
same_disks
echo "acknowledged writes survived; copies identical after resync"
