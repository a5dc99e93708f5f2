# SPDX-License-Identifier: GPL-2.0-or-later
# Issue 25, interleaved A/B of zero-copy sends (mirrord --uring-on send-zc:
# io_uring's SENDMSG_ZC for batches of 32 KiB and more) against copying
# them into the socket (the default), unencrypted, three rounds in one
# boot, 15 s per fio job of bench/mirror.fio (seq1m: 1 MiB QD16, where the
# copy is most of the primary's work per byte; randw4k: 4 KiB QD32, whose
# batches are mostly under the threshold).  Not in make bench or any
# suite: the measurement behind docs/design.md's "Zero-copy sends".  Run
#   python3 tests/vm/runner.py --kernel KVER --initrd build/initramfs-KVER.cpio \
#     --suite bench --nodes 2 --timeout 1500 --logdir D --results D/r.txt bench_sendzc
# Prints "@@AB ROUND VARIANT JOB RATE MEAN_LAT_US BUSY_MS_A BUSY_MS_B SENDS ZC_SENDS"
# (RATE: KiB/s; busy: both guests' CPU over the job, lib.sh busy_ms).
. /tests/lib.sh
plain_conf
ctr() { mdctl status --json r0 | json_field "$1"; }
for rep in 1 2 3; do
	for v in copy send-zc; do
		case $v in
		copy) args="" ;;
		send-zc) args="--uring-on send-zc" ;;
		esac
		MD_DAEMON_ARGS="$args" CONF=/tmp/plain.conf start_pair
		for t in seq1m randw4k; do
			sleep 1; s0=$(ctr socket_sends); z0=$(ctr zc_sends)
			a0=$(busy_ms); b0=$(on_b ". /tests/lib.sh; busy_ms")
			DEV=/dev/mirror0 RUNTIME=15 fio --section=$t --output-format=terse --terse-version=3 /tests/bench/mirror.fio > /tmp/b.out 2>&1 || { cat /tmp/b.out; fail fio; }
			a1=$(busy_ms); b1=$(on_b ". /tests/lib.sh; busy_ms")
			sleep 1; s1=$(ctr socket_sends); z1=$(ctr zc_sends)
			awk -F';' -v v=$v -v t=$t -v r=$rep -v ba=$((a1 - a0)) -v bb=$((b1 - b0)) \
				-v s=$((s1 - s0)) -v z=$((z1 - z0)) \
				'{ printf "@@AB %s %s %s %s %s %s %s %s %s\n", r, v, t, $48, $81, ba, bb, s, z }' /tmp/b.out
			if [ $v = send-zc ] && [ $t = seq1m ] && [ $((z1 - z0)) -eq 0 ]; then
				fail "send-zc: no zero-copy send in seq1m"
			fi
		done
		mdctl deactivate r0; mdctl down r0; on_b "mdctl down r0"
	done
done
