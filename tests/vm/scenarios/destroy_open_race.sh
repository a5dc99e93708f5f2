# SPDX-License-Identifier: GPL-2.0-or-later
# Destroy against open: opens of /dev/mirror0 in a tight loop while the
# device is destroyed, again and again.  Destroy checks "nobody has it
# open" and marks the device dying in one step; an open that comes after
# is refused (ENXIO), so no open can slip in between the check and the
# removal and later release freed memory.  Passes when every round ends
# with the device gone and the kernel log clean (the runner fails the
# scenario on BUG:, Oops, WARNING:).  A stress test: the window it closes
# is narrow, so before the fix it failed only sometimes.
. /tests/lib.sh
md_load; conf_install
mdctl create --force --assume-clean r0 >/dev/null || fail "create"
i=0
while [ $i -lt 12 ]; do
	mdctl up r0 >/dev/null || fail "up (round $i)"
	mdctl activate --force r0 >/dev/null || fail "activate (round $i)"	# alone: consistent
	( set +e; while :; do dd if=/dev/mirror0 of=/dev/null bs=4k count=1 2>/dev/null; done ) &
	opener=$!
	killall -9 mirrord; sleep 0.3
	n=0
	until mdioctl destroy 0 >/dev/null; do
		n=$((n + 1)); [ $n -gt 2000 ] && { kill $opener; fail "destroy never found the device closed"; }
	done
	kill $opener 2>/dev/null || true
	wait $opener 2>/dev/null || true
	[ ! -e /sys/block/mirror0 ] || fail "mirror0 still there after destroy (round $i)"
	i=$((i + 1))
done
echo "12 rounds of destroy against a loop of opens: clean"
