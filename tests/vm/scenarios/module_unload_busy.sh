# SPDX-License-Identifier: GPL-2.0-or-later
# The module cannot be unloaded while a mirror device exists.  A device
# whose daemon died (kill -9, or refused by a wrong secret) keeps its
# bitmap cleaner and deadline timers queued on the module's workqueue; a
# gendisk pins no module, so before the fix rmmod succeeded and the next
# cleaner tick ran in freed code (an oops, which fails the scenario).  Now
# every device holds a module reference: rmmod gets the kernel's "in use"
# answer (EWOULDBLOCK, which busybox prints as "Resource temporarily
# unavailable"; delete_module(2) has no EBUSY for a module with
# references), the device keeps working, and after mdctl down rmmod works.
. /tests/lib.sh
rmmod mirrordisk 2>/dev/null || true
# A cleaner tick every 100 ms: freed code would run within the sleep below.
insmod /modules/mirrordisk.ko bitmap_clean_ms=100 || fail "insmod"
conf_install
MD_NODE=node-a mdctl create --force --assume-clean r0 >/dev/null || fail "mdctl create"
MD_NODE=node-a mdctl up r0 >/dev/null || fail "mdctl up"
MD_NODE=node-a mdctl activate --force r0 >/dev/null || fail "mdctl activate"
dd if=/dev/urandom of=/dev/mirror0 bs=64k count=4 oflag=direct 2>/dev/null || fail "write"
killall -9 mirrord
i=0; until ! killall -0 mirrord 2>/dev/null; do
	i=$((i + 1)); [ $i -gt 50 ] && fail "mirrord did not die"; sleep 0.1; done
if rmmod mirrordisk 2>/tmp/rmmod.err; then
	sleep 1		# the cleaner's next ticks, in unloaded code
	fail "rmmod succeeded while /dev/mirror0 exists"
fi
grep -q 'Resource temporarily unavailable' /tmp/rmmod.err ||
	{ cat /tmp/rmmod.err; fail "rmmod refused, but not as 'in use' (EWOULDBLOCK)"; }
log "rmmod refused: $(cat /tmp/rmmod.err)"
[ "$(cat /sys/module/mirrordisk/refcnt)" = 1 ] ||
	fail "refcnt $(cat /sys/module/mirrordisk/refcnt) with one device and no daemon, expected 1"
sleep 1
grep -q '^mirrordisk ' /proc/modules || fail "the module is gone"
dd if=/dev/urandom of=/dev/mirror0 bs=64k count=4 seek=8 oflag=direct 2>/dev/null ||
	fail "the device no longer takes writes after the refused rmmod"
MD_NODE=node-a mdctl deactivate r0 >/dev/null || fail "deactivate"
MD_NODE=node-a mdctl down r0 >/dev/null || fail "down"
[ "$(cat /sys/module/mirrordisk/refcnt)" = 0 ] || fail "refcnt $(cat /sys/module/mirrordisk/refcnt) with no device"
rmmod mirrordisk || fail "rmmod after mdctl down"
[ ! -e /dev/mirrordisk-ctl ] || fail "control device left behind"
echo "rmmod refused while a device exists, works once it is down"
