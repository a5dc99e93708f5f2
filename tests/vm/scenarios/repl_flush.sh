# SPDX-License-Identifier: GPL-2.0-or-later
# fsync after every write (PREFLUSH on the mirror) works end to end, and FUA
# writes (O_SYNC) too; both disks end identical.
. /tests/lib.sh
start_pair
fio_write --rw=randwrite --bs=4k --size=1m --iodepth=1 --fsync=1 --ioengine=psync
fio_write --rw=write --bs=16k --size=2m --offset=16m --sync=1 --ioengine=psync
same_disks
echo "flush and FUA writes replicated"
