# SPDX-License-Identifier: GPL-2.0-or-later
# Metadata: a torn superblock write falls back to the other copy; corrupt
# or missing metadata and a disk holding a file system are refused with a
# clear message and exit code 4, and nothing is written.
. /tests/lib.sh
md_load; conf_install
out=$(mdctl create --force r0) || fail "create"
area=$(echo "$out" | sed -n 's/.*metadata written at byte \([0-9]*\) .*/\1/p')
[ -n "$area" ] || fail "no metadata offset in: $out"
blk=$((area / 4096))
# tear SLOT: garbage in the middle of a superblock copy, magic intact.
tear() { dd if=/dev/urandom of=/dev/vda bs=64 seek=$(((area + $1 * 4096 + 128) / 64)) count=1 conv=notrunc 2>/dev/null; }
# Slot 0 holds the newest copy after create: tear it.
tear 0
mdctl up r0 || fail "up with one torn copy"
mdctl down r0 || fail "down"
# Both copies corrupt.
tear 1
before=$(digest /dev/vda)
expect_rc 4 mdctl up r0
mdctl up r0 2>&1 | grep -q corrupt || fail "message does not say corrupt"
[ ! -b /dev/mirror0 ] || fail "device created from corrupt metadata"
# No metadata at all.
dd if=/dev/zero of=/dev/vda bs=4096 seek=$blk count=2 conv=notrunc 2>/dev/null
expect_rc 4 mdctl up r0
mdctl up r0 2>&1 | grep -q "no mirror metadata" || fail "message does not say missing"
# A file system on the disk: create refuses without --force.
mkfs.ext4 -q -F /dev/vda 16m >/dev/null 2>&1 || fail "mkfs"
before=$(digest /dev/vda)
expect_rc 4 mdctl create r0
mdctl create r0 2>&1 | grep -q "ext2/3/4" || fail "message does not name the file system"
[ "$(digest /dev/vda)" = "$before" ] || fail "a refused create changed the disk"
mdctl create --force r0 >/dev/null || fail "create --force"
mdctl up r0 || fail "up after create --force"
mdctl down r0
echo "metadata checks passed"
