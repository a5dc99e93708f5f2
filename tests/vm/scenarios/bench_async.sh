# SPDX-License-Identifier: GPL-2.0-or-later
# make bench, asynchronous replication (issue 24): over a link netem
# delays by 10 ms on a's side (a nearby site), side by side in one
# pair of guests: the raw local disk, the mirror in sync and in async
# mode, DRBD 8.4 protocol C and protocol A (its asynchronous protocol),
# all unencrypted (DRBD 8.4 does not encrypt).  Per target:
#   qd1      4 KiB random writes, QD1 (psync): mean latency (fio's total
#            latency) and p99 (its completion latency)
#   seq1m    1 MiB sequential writes, QD16: throughput
#   drain    a 32 MiB burst of 1 MiB direct writes of random data: the
#            time the burst took to complete, then the time until the
#            burst's last MiB was on the peer's disk (read there with
#            O_DIRECT; the same measure for both products: DRBD's
#            protocol A counters say nothing of the peer's disk)
# Prints "@@ABENCH TARGET TEST VALUE1 VALUE2" lines for
# tests/bench/async_table.py.
. /tests/lib.sh
RUNTIME=${BENCH_RUNTIME:-15}
DELAY_MS=10
BURST_MB=32
trap 'rc=$?; /usr/sbin/tc qdisc del dev eth0 root 2>/dev/null || true; exit $rc' EXIT

run_fio() {	# TARGET DEV
	fio --name=q --filename="$2" --direct=1 --rw=randwrite --bs=4k --iodepth=1 --ioengine=psync \
		--size=128m --time_based --runtime="$RUNTIME" --output-format=terse --terse-version=3 \
		> /tmp/q.out 2>&1 || { cat /tmp/q.out; fail "fio $1 qd1"; }
	# terse v3, the write half: 81 the total latency's mean (µs), 59-78
	# the completion latency's percentiles as "P%=µs" (p99 the 13th).
	awk -F';' -v t="$1" '{ split($71, p, "="); printf "@@ABENCH %s qd1 %s %s\n", t, $81, p[2] }' /tmp/q.out
	fio --name=s --filename="$2" --direct=1 --rw=write --bs=1m --iodepth=16 --ioengine=libaio \
		--size=256m --time_based --runtime="$RUNTIME" --output-format=terse --terse-version=3 \
		> /tmp/s.out 2>&1 || { cat /tmp/s.out; fail "fio $1 seq1m"; }
	awk -F';' -v t="$1" '{ printf "@@ABENCH %s seq1m %s 0\n", t, $48 }' /tmp/s.out
}
# burst TARGET DEV: the burst's time, then until its last MiB is on b's
# disk (a fresh random burst each time, so that nothing before matches).
burst() {
	dd if=/dev/urandom of=/tmp/burst bs=1M count=$BURST_MB 2>/dev/null
	want=$(tail -c 1048576 /tmp/burst | md5sum | cut -d' ' -f1)
	last="dd if=/dev/vda bs=1M skip=$((512 + BURST_MB - 1)) count=1 iflag=direct 2>/dev/null | md5sum | cut -d' ' -f1"
	t0=$(uptime_ms)
	dd if=/tmp/burst of="$2" bs=1M seek=512 oflag=direct 2>/dev/null || fail "burst $1"
	t1=$(uptime_ms)
	i=0
	until [ "$(on_b "$last")" = "$want" ]; do
		i=$((i + 1)); [ $i -gt 1200 ] && fail "$1: the burst's last MiB never reached b's disk"
		sleep 0.05
	done
	t2=$(uptime_ms)
	echo "@@ABENCH $1 drain $((t1 - t0)) $((t2 - t1))"
}

run_fio raw /dev/vda
/usr/sbin/tc qdisc add dev eth0 root netem delay ${DELAY_MS}ms limit 100000 || fail "netem"
rtt=$(ping -c 10 -q "$PEER" | sed -n 's|.*= [0-9.]*/\([0-9.]*\)/.*|\1|p')
echo "@@ABENCH link rtt $rtt 0"

plain_conf
CONF=/tmp/plain.conf start_pair
run_fio mirror_sync /dev/mirror0
burst mirror_sync /dev/mirror0
expect_rc 0 mdctl set r0 mode=async
wait_json a async_active true 10
run_fio mirror_async /dev/mirror0
wait_json a lag_writes 0 120
burst mirror_async /dev/mirror0
wait_sync
mdctl deactivate r0; mdctl down r0; on_b "mdctl down r0"

mkdir -p /etc/drbd.d
on_b "mkdir -p /etc/drbd.d"
for proto in C A; do
	sed "s/protocol C;/protocol $proto;/" /tests/drbd.conf > /etc/drbd.conf
	on_b "sed 's/protocol C;/protocol $proto;/' /tests/drbd.conf > /etc/drbd.conf"
	drbd_start
	sed -n 3p /proc/drbd
	sed -n 3p /proc/drbd | grep -q " $proto r" || fail "DRBD not on protocol $proto"
	t=drbd_c; [ $proto = A ] && t=drbd_a
	run_fio $t /dev/drbd0
	burst $t /dev/drbd0
	drbdadm secondary r0
	drbdadm down r0; on_b "drbdadm down r0"
done
echo "async benchmark done"
