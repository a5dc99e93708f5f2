# SPDX-License-Identifier: GPL-2.0-or-later
# Differential resync: on a 4 GiB device, 8 MiB written while the peer's
# daemon is down resyncs 8 MiB, not the device.
. /tests/lib.sh
start_pair
on_b "killall -9 mirrord" || fail "kill b"
sleep 1
fio_write --rw=write --bs=1m --size=8m --offset=1g --iodepth=4
oos=$(mdctl status --json r0 | json_field out_of_sync_bytes)
[ "$oos" = 8388608 ] || fail "expected 8 MiB out of sync, status says $oos"
on_b "mdctl up r0" || fail "restart b's daemon"
wait_conn
wait_sync
rs=$(mdctl status --json r0 | json_field resynced_bytes)
size=$(mdctl status --json r0 | json_field size_bytes)
log "device $size bytes, dirtied 8388608, resynced $rs"
[ "$rs" = 8388608 ] || fail "resynced $rs bytes for 8 MiB dirty"
grep 'resync to node-b finished' /var/log/mirrordisk/r0.log | tail -1
same_disks 1082130432	# the first 1 GiB + 8 MiB: everything written
mdctl deactivate r0 || fail "deactivate a"
on_b "mdctl activate r0" || fail "activate b"
on_b ". /tests/lib.sh; fio_verify --rw=write --bs=1m --size=8m --offset=1g" || fail "verify on b"
echo "differential resync copied exactly the dirty 8 MiB"
