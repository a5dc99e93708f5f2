# SPDX-License-Identifier: GPL-2.0-or-later
# External metadata on a separate small device (/dev/vdb): the mirror then
# spans the whole data disk, and the bitmap there drives the resync.
. /tests/lib.sh
sed 's|^disk = /dev/vda|disk = /dev/vda\nmeta = /dev/vdb|' /tests/md.conf > /tmp/ext.conf
grep -q 'meta = /dev/vdb' /tmp/ext.conf || fail "config edit"
on_b "sed 's|^disk = /dev/vda|disk = /dev/vda\nmeta = /dev/vdb|' /tests/md.conf > /tmp/ext.conf"
# The mirror now spans the whole disk, including the tail where earlier
# scenarios kept internal metadata (different on each node): blank it on
# both so that --assume-clean holds.
wipe='dd if=/dev/zero of=/dev/vda bs=1M seek=255 count=1 oflag=direct 2>/dev/null'
sh -c "$wipe"; on_b "$wipe"
md_load; conf_install /tmp/ext.conf
on_b ". /tests/lib.sh; md_load; conf_install /tmp/ext.conf; mdctl create --force --assume-clean r0 >/dev/null && mdctl up r0" || fail "up b"
mdctl create --force --assume-clean r0 | grep -q 'of /dev/vdb' || fail "metadata not on /dev/vdb"
mdctl up r0 || fail "up a"
wait_conn	# up alone, a is only consistent: it is up to date once it met b
mdctl activate r0 || fail "activate"
size=$(mdctl status --json r0 | json_field size_bytes)
[ "$size" = "$(blockdev --getsize64 /dev/vda)" ] || fail "mirror is $size bytes, not the whole disk"
on_b "killall -9 mirrord"
sleep 1
fio_write --rw=randwrite --bs=4k --size=16m --iodepth=8
on_b "mdctl up r0" >/dev/null || fail "restart b"
wait_conn
wait_sync
same_disks
mdctl deactivate r0
echo "external metadata works"
