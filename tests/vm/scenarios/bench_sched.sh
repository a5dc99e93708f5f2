# SPDX-License-Identifier: GPL-2.0-or-later
# Issue 25, interleaved A/B of both daemons under SCHED_BATCH (mirrord
# --sched batch, on both nodes: every thread and io_uring worker inherits
# it) against SCHED_OTHER (the default): a woken SCHED_BATCH
# task does not preempt the running one, so fio keeps submitting until it
# waits, and mirrord then reads the requests in fewer, fuller batches.
# Three rounds in one boot, 15 s per fio job of bench/mirror.fio,
# unencrypted.  A job that has not ended 60 s after its start is a stall:
# the scenario then prints what both nodes hold (below, stall_dump) and
# fails.  Not in make bench or any suite (docs/performance.md, "Who runs
# when").  Run it with
#   python3 tests/vm/runner.py --kernel KVER --initrd build/initramfs-KVER.cpio \
#     --suite bench --nodes 2 --timeout 1500 --logdir D --results D/r.txt bench_sched
# Prints "@@AB ROUND VARIANT JOB IOPS MEAN_LAT_US READS REQUESTS BUSY_MS_A".
. /tests/lib.sh
REPS="1 2 3"		# more rounds, VARIANTS=batch and JOBS=randw4k alone, to hunt a stall
VARIANTS="other batch"
JOBS="randw4k randw512_qd1"
plain_conf
ctr() { mdctl status --json r0 | json_field "$1"; }
# What a node holds in a stall: lib.sh's STALL_DUMP.
stall_dump=$STALL_DUMP
for rep in $REPS; do
	for v in $VARIANTS; do
		if [ $v = batch ]; then
			MD_DAEMON_ARGS="--sched batch" CONF=/tmp/plain.conf start_pair
		else
			CONF=/tmp/plain.conf start_pair
		fi
		pol=$(chrt -p $(pidof mirrord) | head -1 | sed 's/.*: //')
		[ "$pol" = "SCHED_$(echo $v | tr a-z A-Z)" ] || fail "mirrord runs under $pol in variant $v"
		log "$v: $(for t in /proc/$(pidof mirrord)/task/*; do chrt -p ${t##*/} | sed 's/.*: //'; done | sort | uniq -c | tr '\n' ' ')"
		for t in $JOBS; do
			sleep 1; r0=$(ctr channel_reads); q0=$(ctr channel_requests); a0=$(busy_ms)
			DEV=/dev/mirror0 RUNTIME=15 fio --section=$t --output-format=terse --terse-version=3 /tests/bench/mirror.fio > /tmp/b.out 2>&1 &
			f=$!; i=0
			while kill -0 $f 2>/dev/null; do
				i=$((i + 1))
				if [ $i -gt 300 ]; then
					echo "@@STALL $rep $v $t: node a"; sh -c "$stall_dump" || :
					echo "@@STALL node b"; on_b "$stall_dump" || :
					(dd if=/dev/vda of=/dev/null bs=4k count=1 iflag=direct 2>/dev/null && echo "@@STALL the read of vda completed" &)
					sleep 10
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
