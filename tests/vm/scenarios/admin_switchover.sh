# SPDX-License-Identifier: GPL-2.0-or-later
# Switchover and failback with ext4 on the mirror: files written on one node
# are intact on the other, and e2fsck -fn is clean at every step.
. /tests/lib.sh
start_pair
mkfs.ext4 -q -F -E lazy_itable_init=1,lazy_journal_init=1 /dev/mirror0 || fail "mkfs"
mount /dev/mirror0 /mnt || fail "mount a"
dd if=/dev/urandom of=/mnt/one.bin bs=64k count=32 2>/dev/null
s1=$(sha256sum < /mnt/one.bin)
umount /mnt
e2fsck -fn /dev/mirror0 >/tmp/fsck 2>&1 || { cat /tmp/fsck; fail "fsck on a"; }
mdctl deactivate r0 || fail "deactivate a"
on_b "mdctl activate r0" || fail "activate b"
on_b "e2fsck -fn /dev/mirror0 >/tmp/fsck 2>&1" || fail "fsck on b"
on_b "mount /dev/mirror0 /mnt" || fail "mount b"
[ "$(on_b "sha256sum < /mnt/one.bin")" = "$s1" ] || fail "one.bin differs on b"
on_b "dd if=/dev/urandom of=/mnt/two.bin bs=64k count=32 2>/dev/null; sync" || fail "write on b"
s2=$(on_b "sha256sum < /mnt/two.bin")
expect_rc 4 on_b "mdctl deactivate r0"	# still mounted
on_b "umount /mnt" || fail "umount b"
on_b "mdctl deactivate r0" || fail "deactivate b"
mdctl activate r0 || fail "failback to a"
e2fsck -fn /dev/mirror0 >/tmp/fsck 2>&1 || { cat /tmp/fsck; fail "fsck after failback"; }
mount /dev/mirror0 /mnt || fail "mount a again"
[ "$(sha256sum < /mnt/one.bin)" = "$s1" ] || fail "one.bin after failback"
[ "$(sha256sum < /mnt/two.bin)" = "$s2" ] || fail "two.bin after failback"
umount /mnt
same_disks
echo "switchover and failback with ext4: files intact, fsck clean"
