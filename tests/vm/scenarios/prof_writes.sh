# SPDX-License-Identifier: GPL-2.0-or-later
# Where the guests' CPU goes (issue 25): perf's cpu-clock samples of the
# whole of each guest (kernel and user, with call graphs) for 10 s while
# fio runs one job of bench/mirror.fio (JOB below: randw4k; seq1m for the
# 1 MiB writes) on the unencrypted mirror, printed per command and per
# symbol, with who calls the symbols named in PERF_CALLERS; beside them
# fio's submission and completion latency, the kernel's stage times over
# the job, and the emulated NIC's offloads.  Not in any suite: perf must be
# in the initramfs,
#   EXTRA_BINS=/usr/bin/perf tests/vm/mkinitramfs.sh KVER KO BINDIR OUT
#   python3 tests/vm/runner.py --kernel KVER --initrd OUT --suite bench \
#     --nodes 2 --timeout 600 --logdir D --results D/r.txt prof_writes
# docs/performance.md, "Where the guests' CPU goes", has what it showed.
. /tests/lib.sh
command -v perf >/dev/null || skip "no perf in the initramfs (EXTRA_BINS=/usr/bin/perf)"
plain_conf
CONF=/tmp/plain.conf start_pair
JOB=${JOB:-randw4k}
echo 0 > /proc/sys/kernel/kptr_restrict; on_b "echo 0 > /proc/sys/kernel/kptr_restrict"
ctr() { mdctl status --json r0 | json_field "$1"; }
c0="$(ctr writes_replicated) $(ctr to_daemon_ns) $(ctr remote_ns) $(ctr local_ns)"
DEV=/dev/mirror0 RUNTIME=14 fio --section=$JOB --output-format=terse --terse-version=3 /tests/bench/mirror.fio > /tmp/f.out 2>&1 &
sleep 2
on_b "perf record -g -a -e cpu-clock -F 499 -o /tmp/perf.data -- sleep 10 >/dev/null 2>&1" &
perf record -g -a -e cpu-clock -F 499 -o /tmp/perf.data -- sleep 10 >/dev/null 2>&1
wait
c1="$(ctr writes_replicated) $(ctr to_daemon_ns) $(ctr remote_ns) $(ctr local_ns)"
awk -F';' '{ print "@@FIO kib_s", $48, "iops", $49, "lat_us", $81, "slat_us", $53, "clat_us", $57 }' /tmp/f.out
echo "$c0 $c1" | awk '{ n = $5 - $1; if (n > 0) printf "@@STAGES writes %d to_daemon_us %.0f remote_us %.0f local_us %.0f\n", n, ($6 - $2) / n / 1000, ($7 - $3) / n / 1000, ($8 - $4) / n / 1000 }'
# The emulated NIC's offloads (virtio feature bits, from bit 0: CSUM,
# GUEST_CSUM, ...; bit 11 HOST_TSO4): without CSUM the guest segments and
# checksums every TCP byte itself (skb_segment), zero-copy or not.
echo "@@NIC virtio features $(cat /sys/class/net/eth0/device/features 2>/dev/null | cut -c1-16)"
for who in a b; do
	echo "@@PROF $who by command"
	r="perf report -i /tmp/perf.data --stdio --no-children -g none --sort comm --percent-limit 1 2>/dev/null | grep -v '^#' | grep -v '^$' | head -20"
	if [ $who = a ]; then eval "$r"; else on_b "$r"; fi
	echo "@@PROF $who by symbol"
	r="perf report -i /tmp/perf.data --stdio --no-children -g none --sort comm,sym --percent-limit 0.7 2>/dev/null | grep -v '^#' | grep -v '^$' | head -60"
	if [ $who = a ]; then eval "$r"; else on_b "$r"; fi
done
echo "@@PROF a mirrord and fio by symbol"
perf report -i /tmp/perf.data --stdio --no-children --comms mirrord,fio --sort comm,sym -g none --percent-limit 0.4 2>/dev/null | grep -v '^#' | grep -v '^$' | head -60
# Who calls these symbols on a.
for s in ${PERF_CALLERS:-vp_notify csum_partial_copy_generic clear_page_rep}; do
	echo "@@CALLERS a $s"
	perf report -i /tmp/perf.data --stdio --no-children -S $s -g caller,0.5,callee --percent-limit 0.3 2>/dev/null | grep -v '^#' | grep -v '^$' | head -60
done
