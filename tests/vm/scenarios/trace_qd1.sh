# SPDX-License-Identifier: GPL-2.0-or-later
# Where a 512-byte QD1 write's time goes (issue 25): fio's randw512_qd1 on
# the unencrypted mirror, and 40 ms of ftrace (scheduler switches and
# wakeups, block issue/complete, io_uring, net xmit/receive) on a while it
# runs, first on a (the primary), then on b.  Prints the traces.
. /tests/lib.sh
plain_conf
CONF=/tmp/plain.conf start_pair "${UP_ARGS:-}"
T=/sys/kernel/tracing
tr_setup='mount -t tracefs none /sys/kernel/tracing 2>/dev/null; T=/sys/kernel/tracing; echo 8192 > $T/buffer_size_kb; echo > $T/trace; for e in sched/sched_switch sched/sched_wakeup block/block_rq_issue block/block_rq_complete net/net_dev_xmit net/netif_receive_skb io_uring/io_uring_submit_req io_uring/io_uring_complete io_uring/io_uring_queue_async_work io_uring/io_uring_poll_arm; do [ -e $T/events/$e/enable ] && echo 1 > $T/events/$e/enable; done; echo 0 > $T/tracing_on; echo > $T/trace'
# Warm: every chunk of the jobs' 128 MiB region written once, so that its
# write-intent bit is set and stays (the budget), as in make bench where
# the 4 KiB jobs run first.
dd if=/dev/zero of=/dev/mirror0 bs=1M count=128 oflag=direct 2>/dev/null || fail "dd"
eval "$tr_setup"
on_b "$tr_setup"
for who in a b; do
	DEV=/dev/mirror0 RUNTIME=5 fio --output-format=terse --terse-version=3 /tests/bench/mirror.fio --section=randw512_qd1 > /tmp/f.out 2>&1 &
	sleep 3
	if [ $who = a ]; then
		echo 1 > $T/tracing_on; sleep 0.04; echo 0 > $T/tracing_on
	else
		on_b "echo 1 > $T/tracing_on; sleep 0.04; echo 0 > $T/tracing_on"
	fi
	wait
	awk -F';' '{ print "@@FIO iops", $49, "lat_us", $81 }' /tmp/f.out
	mdctl status --json r0 | grep -E '"(bitmap_waits|bitmap_page_writes|writes|epochs)"' 
	echo "@@TRACE $who"
	if [ $who = a ]; then cat $T/trace | grep -v '^#' | head -600; else on_b "cat $T/trace | grep -v '^#' | head -600"; fi
	echo "@@END $who"
done
