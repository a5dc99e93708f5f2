# SPDX-License-Identifier: GPL-2.0-or-later
# Access restriction: on the secondary, the mirror device cannot be mounted
# or written, and the claimed lower device cannot be mounted or opened
# exclusively (mkfs); a secondary cannot be granted without detaching.
. /tests/lib.sh
start_pair
mkfs.ext4 -q -F -E lazy_itable_init=1,lazy_journal_init=1 /dev/mirror0 || fail "mkfs"
wait_sync
on_b "mount /dev/mirror0 /mnt 2>/dev/null" && fail "mounted the mirror on the secondary"
on_b "mount -o ro /dev/mirror0 /mnt 2>/dev/null" && fail "mounted the mirror read-only on the secondary"
on_b "dd if=/dev/zero of=/dev/mirror0 bs=4k count=1 oflag=direct 2>/dev/null" && fail "wrote the mirror on the secondary"
on_b "mount -o ro /dev/vda /mnt 2>/dev/null" && fail "mounted the lower disk on the secondary"
on_b "mkfs.ext4 -q -F /dev/vda 2>/dev/null" && fail "mkfs on the claimed lower disk of b"
mkfs.ext4 -q -F /dev/vda 2>/dev/null && fail "mkfs on the claimed lower disk of a"
mount -o ro /dev/vda /mnt 2>/dev/null && fail "mounted the lower disk on the primary"
expect_rc 4 on_b "mdctl grant r0"	# not detached
expect_rc 4 on_b "mdctl activate r0"	# peer is primary
expect_rc 4 mdctl grant r0		# the primary is not a standby
same_disks
echo "secondary and lower devices refused mounts and writes"
