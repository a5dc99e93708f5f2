# SPDX-License-Identifier: GPL-2.0-or-later
# "On both disks" means durable on the peer.  Node b acknowledges a write
# when its O_DIRECT write completed, which a disk may hold in a volatile
# cache.  Model the worst such cache: b's lower disk is dm-flakey with
# drop_writes (every write and flush "completes" and never reaches the
# media).  One 1 MiB write on a, no fsync; then b loses power within a
# second, before any cleaning epoch could have flushed it.  When b is back,
# the automatic resync must restore the write there: a may forget a chunk
# only after a flush on the peer covered it, and on the connection loss
# everything not yet covered became out of sync.
. /tests/lib.sh
# Only b's copy sits on a device-mapper layer; a uses /dev/vda directly.
on_b ". /tests/lib.sh; dm_lower ok" || fail "dm_lower on b"
md_load; conf_install /tests/md.conf
on_b ". /tests/lib.sh; md_load; sed 's|^disk = /dev/vda|disk = /dev/mapper/lower|' /tests/md.conf > /tmp/dm.conf;
	conf_install /tmp/dm.conf; mdctl create --force --assume-clean r0 >/dev/null && mdctl up r0 >/dev/null" ||
	fail "up b on the dm layer"
mdctl create --force --assume-clean r0 >/dev/null || fail "create a"
mdctl up r0 >/dev/null || fail "up a"
mdctl activate --force r0 >/dev/null || fail "activate a"
wait_conn; wait_sync
on_b "DM_DISABLE_UDEV=1; export DM_DISABLE_UDEV; sz=\$(blockdev --getsz /dev/vda);
	dmsetup suspend --noudevsync lower &&
	echo \"0 \$sz flakey /dev/vda 0 0 3600 1 drop_writes\" | dmsetup reload lower &&
	dmsetup resume --noudevsync lower" || fail "drop_writes on b"
dd if=/dev/urandom of=/tmp/pat bs=1M count=1 2>/dev/null
dd if=/tmp/pat of=/dev/mirror0 bs=1M seek=40 oflag=direct 2>/dev/null || fail "write on a"
mdctl status --json r0 | grep -q '"out_of_sync_bytes": 0,' || fail "the write was not replicated"
echo "@@CRASH b" > /dev/console		# the host runner cuts b's power
sleep 2
b_back_up
[ "$(on_b "dd if=/dev/vda bs=1M skip=40 count=1 iflag=direct 2>/dev/null" | md5sum)" != "$(md5sum < /tmp/pat)" ] ||
	fail "the write reached b's media: the dropped-write model does not hold"
wait_conn; wait_sync
[ "$(on_b "dd if=/dev/vda bs=1M skip=40 count=1 iflag=direct 2>/dev/null" | md5sum)" = "$(md5sum < /tmp/pat)" ] ||
	fail "the write b acknowledged but lost in its cache was not resynced"
mdctl deactivate r0 >/dev/null
same_disks
echo "a write lost in the peer's cache is resynced after its power cut"
