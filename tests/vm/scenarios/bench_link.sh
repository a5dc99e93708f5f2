# SPDX-License-Identifier: GPL-2.0-or-later
# The test link and the mirror's bench jobs on it (issue 25, "The test
# link's 44 ms stall" in docs/performance.md): ping -A, iperf3 a -> b,
# then bench/mirror.fio's four jobs on the unencrypted mirror, 10 s each.
# Run it under each way of joining the qemus to compare links (the
# performance.md table: runner.py variants of that hour, not kept).  Not
# in make bench or any suite.  Prints "@@LINK ..." lines.
. /tests/lib.sh
rtt=$(ping -A -c 300 -q "$PEER" | sed -n 's|.*= [0-9.]*/\([0-9.]*\)/.*|\1|p')
on_b "iperf3 -s -D -1" || fail "iperf3 server on b"
sleep 1
iperf3 -c "$PEER" -t 10 -f k > /tmp/i.out 2>&1 || { cat /tmp/i.out; fail "iperf3"; }
echo "@@LINK rtt_ms $rtt iperf3 $(grep receiver /tmp/i.out | awk '{print $7, $8}') retransmissions $(grep sender /tmp/i.out | awk '{print $9}')"
plain_conf
CONF=/tmp/plain.conf start_pair
for t in randw4k_qd1 randw512_qd1 seq1m randw4k; do
	DEV=/dev/mirror0 RUNTIME=10 fio --section=$t --output-format=terse --terse-version=3 /tests/bench/mirror.fio > /tmp/b.out 2>&1 || { cat /tmp/b.out; fail fio; }
	awk -F';' -v t=$t '{ printf "@@LINK %s %s KiB/s %s IOPS %s us\n", t, $48, $49, $81 }' /tmp/b.out
done
same_disks
