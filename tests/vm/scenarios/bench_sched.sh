# SPDX-License-Identifier: GPL-2.0-or-later
# Issue 25, interleaved A/B of both daemons under SCHED_BATCH (chrt
# --batch on every thread of mirrord, on both nodes; the io-wq workers it
# starts later copy it) against SCHED_OTHER (as they run): a woken
# SCHED_BATCH task does not preempt the running one, so fio keeps
# submitting until it waits, and mirrord then reads the requests in fewer,
# fuller batches.  Three rounds in one boot, 15 s per fio job of
# bench/mirror.fio, unencrypted.  A job that has not ended 60 s after its
# start is a stall: the scenario then prints what both nodes hold (below,
# stall_dump) and fails.  Not in make bench or any suite
# (docs/performance.md, "Who runs when").  Run it with
#   python3 tests/vm/runner.py --kernel KVER --initrd build/initramfs-KVER.cpio \
#     --suite bench --nodes 2 --timeout 1500 --logdir D --results D/r.txt bench_sched
# Prints "@@AB ROUND VARIANT JOB IOPS MEAN_LAT_US READS REQUESTS BUSY_MS_A".
. /tests/lib.sh
REPS="1 2 3"		# more rounds, and VARIANTS=batch alone, to hunt the stall
VARIANTS="other batch"
plain_conf
ctr() { mdctl status --json r0 | json_field "$1"; }
batch_all='for t in /proc/$(pidof mirrord)/task/*; do chrt -b -p 0 ${t##*/} >/dev/null; done'
# What a node holds in a stall: the module's requests in flight (mdctl's
# inflight; /sys/block/mirror0/inflight stays 0, the device does no I/O
# accounting) beside the lower disk's, twice 10 s apart, the disk's
# blk-mq state, the workqueues and every task (sysrq t), each mirrord
# and fio thread's stack; then one read of the lower disk, after which
# the scenario says whether fio went on (a lost notification of the
# emulated disk would be cleared by it).
stall_dump='for i in 1 2; do echo "module: $(mdctl status --json r0 | grep -E "\"(inflight|oldest_request_ms|local_oldest_ms|epochs|bitmap_write_rounds)\"" | tr -d "\n ")  vda inflight: $(cat /sys/block/vda/inflight)"; [ $i = 2 ] || sleep 10; done; mount -t debugfs none /sys/kernel/debug 2>/dev/null; for f in busy dispatch state; do echo "vda hctx0 $f: $(cat /sys/kernel/debug/block/vda/hctx0/$f 2>/dev/null | head -5 | tr "\n" " ")"; done; for p in $(pidof mirrord) $(pidof fio); do for t in /proc/$p/task/*; do echo "task ${t##*/} $(cat $t/comm) state $(cut -d" " -f3 $t/stat) wchan $(cat $t/wchan)"; sed "s/^/    /" $t/stack; done; done; echo t > /proc/sysrq-trigger; dmesg | tail -150 | grep -E -A12 "workqueue|Showing busy" | head -60; tail -5 /var/log/mirrordisk/r0.log'
for rep in $REPS; do
	for v in $VARIANTS; do
		CONF=/tmp/plain.conf start_pair
		if [ $v = batch ]; then
			eval "$batch_all"; on_b "$batch_all"
		fi
		log "$v: $(for t in /proc/$(pidof mirrord)/task/*; do chrt -p ${t##*/} | sed 's/.*: //'; done | sort | uniq -c | tr '\n' ' ')"
		for t in randw4k randw512_qd1; do
			sleep 1; r0=$(ctr channel_reads); q0=$(ctr channel_requests); a0=$(busy_ms)
			DEV=/dev/mirror0 RUNTIME=15 fio --section=$t --output-format=terse --terse-version=3 /tests/bench/mirror.fio > /tmp/b.out 2>&1 &
			f=$!; i=0
			while kill -0 $f 2>/dev/null; do
				i=$((i + 1))
				if [ $i -gt 300 ]; then
					echo "@@STALL $rep $v $t: node a"; eval "$stall_dump"
					echo "@@STALL node b"; on_b "$stall_dump"
					dd if=/dev/vda of=/dev/null bs=4k count=1 iflag=direct 2>/dev/null
					sleep 5
					echo "@@STALL after one read of vda: fio $(kill -0 $f 2>/dev/null && echo still stuck || echo went on); vda inflight $(cat /sys/block/vda/inflight)"
					fail "fio $t stalled ($v, round $rep)"
				fi
				sleep 0.2
			done
			wait $f || { cat /tmp/b.out; fail fio; }
			a1=$(busy_ms); sleep 1; r1=$(ctr channel_reads); q1=$(ctr channel_requests)
			awk -F';' -v v=$v -v t=$t -v r=$rep -v rd=$((r1 - r0)) -v rq=$((q1 - q0)) -v ba=$((a1 - a0)) \
				'{ printf "@@AB %s %s %s %s %s %s %s %s\n", r, v, t, $49, $81, rd, rq, ba }' /tmp/b.out
		done
		mdctl deactivate r0; mdctl down r0; on_b "mdctl down r0"
	done
done
