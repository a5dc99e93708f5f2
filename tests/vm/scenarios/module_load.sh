# SPDX-License-Identifier: GPL-2.0-or-later
# The module loads, creates its control device, and unloads cleanly, twice.
. /tests/lib.sh
for i in 1 2; do
	insmod /modules/mirrordisk.ko || fail "insmod failed"
	[ -c /dev/mirrordisk-ctl ] || fail "no /dev/mirrordisk-ctl"
	grep -q '^mirrordisk ' /proc/modules || fail "not in /proc/modules"
	rmmod mirrordisk || fail "rmmod failed"
	[ ! -e /dev/mirrordisk-ctl ] || fail "control device left behind"
done
dmesg | grep -q 'mirrordisk: loaded' || fail "no load message"
echo "module loaded and unloaded twice"
