# SPDX-License-Identifier: GPL-2.0-or-later
# With io_uring disabled (kernel.io_uring_disabled=2 where the kernel has
# it, --io aio elsewhere) mirrord falls back to libaio+epoll and replicates
# the same.
. /tests/lib.sh
if [ -e /proc/sys/kernel/io_uring_disabled ]; then
	echo 2 > /proc/sys/kernel/io_uring_disabled
	on_b "echo 2 > /proc/sys/kernel/io_uring_disabled"
	start_pair
else
	export MD_DAEMON_ARGS="--io aio"
	start_pair "--daemon-args='--io aio'"
fi
mdctl status r0 | grep -q 'via libaio+epoll' || { mdctl status r0; fail "not on the fallback"; }
on_b "mdctl status r0" | grep -q 'via libaio+epoll' || fail "b not on the fallback"
fio_write --rw=randwrite --bs=4k --size=8m --iodepth=16
fio_write --rw=randwrite --bs=4k --size=1m --offset=64m --iodepth=1 --fsync=1 --ioengine=psync
same_disks
[ -e /proc/sys/kernel/io_uring_disabled ] && echo 0 > /proc/sys/kernel/io_uring_disabled
[ -e /proc/sys/kernel/io_uring_disabled ] && on_b "echo 0 > /proc/sys/kernel/io_uring_disabled"
echo "fallback replication verified"
