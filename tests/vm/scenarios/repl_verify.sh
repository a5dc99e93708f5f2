# SPDX-License-Identifier: GPL-2.0-or-later
# Writes on the primary reach the secondary's disk byte for byte, and fio's
# verify passes on the secondary after a role switch.  Both daemons run
# io_uring, by default without SINGLE_ISSUER and DEFER_TASKRUN (mirrord
# --uring-on defer-taskrun; measured, it did not pay).
. /tests/lib.sh
start_pair
for be in "$(mdctl status --json r0 | json_field io_backend)" \
	  "$(on_b "mdctl status --json r0" | json_field io_backend)"; do
	[ "$be" = io_uring ] || fail "io_backend '$be', not io_uring"
done
FIO="--rw=randwrite --bs=4k --size=48m --iodepth=16"
fio_write $FIO
fio_write --rw=write --bs=1m --size=32m --offset=64m --iodepth=4
mdctl status r0
oos=$(mdctl status --json r0 | json_field out_of_sync_bytes)
[ "$oos" = 0 ] || fail "out of sync bytes after a connected run: $oos"
same_disks
mdctl deactivate r0 || fail "deactivate a"
on_b "mdctl activate r0" || fail "activate b"
on_b ". /tests/lib.sh; fio_verify $FIO" || fail "fio verify on b"
on_b "mdctl deactivate r0" || fail "deactivate b"
echo "replicated data verified on the peer"
