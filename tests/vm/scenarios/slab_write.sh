# SPDX-License-Identifier: GPL-2.0-or-later
# A write whose data is a slab object of a cache without a usercopy
# whitelist, as jbd2's frozen journal blocks are on an ext4 with 1 KiB
# blocks (found by make check-cluster: PostgreSQL on ext4 on the mirror).
# The channel copied it with copy_to_user from the kernel address, which
# hardened usercopy refuses with a BUG in the daemon's io_uring worker: the
# batch never reached the peer and the device went standalone.  The test
# module tests/vm/mdslabwrite.c makes exactly that write; it must complete,
# reach b, and leave no kernel error.
. /tests/lib.sh
start_pair
insmod /modules/mdslabwrite.ko dev=/dev/mirror0 sector=2048 fill=90 ||
	fail "the write from a slab object failed"
rmmod mdslabwrite
want=$(printf 'Z%.0s' $(seq 1 1024) | md5sum)	# 90 = 'Z'
[ "$(dd if=/dev/vda bs=1024 skip=1024 count=1 iflag=direct 2>/dev/null | md5sum)" = "$want" ] ||
	fail "a's disk does not hold the write"
[ "$(on_b "dd if=/dev/vda bs=1024 skip=1024 count=1 iflag=direct 2>/dev/null | md5sum")" = "$want" ] ||
	fail "b's disk does not hold the write"
mdctl status --json r0 | grep -q '"connection": "connected"' || fail "a is no longer connected"
[ "$(mdctl status --json r0 | json_field out_of_sync_bytes)" = 0 ] || fail "the write was not replicated"
mdctl deactivate r0 >/dev/null
same_disks
echo "a write from a slab object reached both disks"
