# SPDX-License-Identifier: GPL-2.0-or-later
# Issue 25, interleaved A/B of REQ_NOWAIT on the mirror device for io_uring
# applications: fio's io_uring engine, 512-byte random writes at QD1 and
# 4 KiB at QD32, 15 s each, on a mirror created with the module parameter
# nowait=1 (writes issued from fio's task) and nowait=0 (the default: each
# write through an io-wq worker), three rounds in one boot, unencrypted.
# Not in make bench or any suite: the measurement behind docs/design.md's
# REQ_NOWAIT paragraph.  Run it with
#   python3 tests/vm/runner.py --kernel KVER --initrd build/initramfs-KVER.cpio \
#     --suite bench --nodes 2 --timeout 1200 --logdir D --results D/r.txt bench_nowait
# Prints "@@AB ROUND VARIANT JOB IOPS MEAN_LAT_US".
. /tests/lib.sh
plain_conf
trap 'rc=$?; echo 0 > /sys/module/mirrordisk/parameters/nowait; exit $rc' EXIT
md_load
for rep in 1 2 3; do
	for v in 1 0; do
		echo $v > /sys/module/mirrordisk/parameters/nowait
		CONF=/tmp/plain.conf start_pair
		[ "$(cat /sys/block/mirror0/mirror/nowait)" = $v ] || fail "nowait=$v did not apply"
		for t in 512:1 4k:32; do
			sleep 1
			fio --name=u --filename=/dev/mirror0 --direct=1 --size=128m --time_based --runtime=15 \
				--rw=randwrite --bs=${t%:*} --iodepth=${t#*:} --ioengine=io_uring \
				--output-format=terse --terse-version=3 > /tmp/b.out 2>&1 || { cat /tmp/b.out; fail fio; }
			awk -F';' -v v=nowait=$v -v t="${t%:*}_qd${t#*:}" -v r=$rep \
				'{ printf "@@AB %s %s %s %s %s\n", r, v, t, $49, $81 }' /tmp/b.out
		done
		mdctl deactivate r0; mdctl down r0; on_b "mdctl down r0"
	done
done
