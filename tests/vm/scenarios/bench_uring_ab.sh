# SPDX-License-Identifier: GPL-2.0-or-later
# Issue 25, interleaved A/B of mirrord's io_uring features: the default
# against --uring-on chan-nowait and chan-nowait,defer-taskrun, three rounds each in one
# boot, 15 s per fio job of bench/mirror.fio (randw4k, randw512_qd1),
# unencrypted.  Not in make bench or any suite: the measurement behind
# docs/design.md's "The worker hop, measured and kept".  Run it with
#   python3 tests/vm/runner.py --kernel KVER --initrd build/initramfs-KVER.cpio \
#     --suite bench --nodes 2 --timeout 900 --logdir D --results D/r.txt bench_uring_ab
# Prints "@@AB ROUND VARIANT JOB IOPS MEAN_LAT_US".
. /tests/lib.sh
plain_conf
for rep in 1 2 3; do
	for v in default chan-nowait chan-nowait,defer-taskrun; do
		if [ $v = default ]; then MD_DAEMON_ARGS= CONF=/tmp/plain.conf start_pair
		else MD_DAEMON_ARGS="--uring-on $v" CONF=/tmp/plain.conf start_pair; fi
		for t in randw4k randw512_qd1; do
			DEV=/dev/mirror0 RUNTIME=15 fio --section=$t --output-format=terse --terse-version=3 /tests/bench/mirror.fio > /tmp/b.out 2>&1 || fail fio
			awk -F';' -v v=$v -v t=$t -v r=$rep '{ printf "@@AB %s %s %s %s %s\n", r, v, t, $49, $81 }' /tmp/b.out
		done
		mdctl deactivate r0; mdctl down r0; on_b "mdctl down r0"
	done
done
