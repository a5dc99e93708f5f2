# SPDX-License-Identifier: GPL-2.0-or-later
# Issue 25, interleaved A/B of how mirrord reads the kernel channel and of
# its io_uring features: --chan-read blocking (the default before),
# nowait, adaptive (the default now) and nowait with --uring-on
# defer-taskrun, three rounds each in one boot, 15 s per fio job of bench/mirror.fio (randw4k, randw512_qd1),
# unencrypted.  Not in make bench or any suite: the measurement behind
# docs/design.md's "The worker hop".  Run it with
#   python3 tests/vm/runner.py --kernel KVER --initrd build/initramfs-KVER.cpio \
#     --suite bench --nodes 2 --timeout 1200 --logdir D --results D/r.txt bench_uring_ab
# Prints "@@AB ROUND VARIANT JOB IOPS MEAN_LAT_US READS REQUESTS" (the
# primary's channel reads and the requests they brought over the job).
. /tests/lib.sh
plain_conf
ctr() { mdctl status --json r0 | json_field "$1"; }
for rep in 1 2 3; do
	for v in blocking nowait adaptive nowait+defer; do
		case $v in
		blocking) args="--chan-read blocking" ;;
		nowait) args="--chan-read nowait" ;;
		adaptive) args="--chan-read adaptive" ;;
		nowait+defer) args="--chan-read nowait --uring-on defer-taskrun" ;;
		esac
		MD_DAEMON_ARGS="$args" CONF=/tmp/plain.conf start_pair
		for t in randw4k randw512_qd1; do
			sleep 1; r0=$(ctr channel_reads); q0=$(ctr channel_requests)
			DEV=/dev/mirror0 RUNTIME=15 fio --section=$t --output-format=terse --terse-version=3 /tests/bench/mirror.fio > /tmp/b.out 2>&1 || fail fio
			sleep 1; r1=$(ctr channel_reads); q1=$(ctr channel_requests)
			awk -F';' -v v=$v -v t=$t -v r=$rep -v rd=$((r1 - r0)) -v rq=$((q1 - q0)) \
				'{ printf "@@AB %s %s %s %s %s %s %s\n", r, v, t, $49, $81, rd, rq }' /tmp/b.out
		done
		mdctl deactivate r0; mdctl down r0; on_b "mdctl down r0"
	done
done
