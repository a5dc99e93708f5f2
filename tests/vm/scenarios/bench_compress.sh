# SPDX-License-Identifier: GPL-2.0-or-later
# make bench, compression (issue 23): application writes and a resync of
# compressible data with compression none, zstd and auto, on a link
# throttled well below what the guests' network carries (netem on a's
# egress: the link is the bottleneck, as between sites) and on the
# unthrottled link (where compression's CPU cost shows).  Unencrypted, so
# that compression alone is measured (TLS under TCG costs more than
# either).  Prints, for tests/bench/run.sh:
#   @@ZRESULT LINK MODE TEST KIB_S CPU_A_MS_PER_MIB CPU_B_MS_PER_MIB RATIO
# TEST: seq1m (fio, 1 MiB writes QD16, 70% compressible, every buffer
# new), tree (a file tree, the guest's /usr and /lib, copied onto ext4 on
# the mirror), resync (64 MiB of compressible data dirtied while b's
# daemon was down).  CPU: both daemons' user + system time per MiB moved.
. /tests/lib.sh
RUNTIME=${BENCH_RUNTIME:-20}
RATE=${BENCH_RATE:-40mbit}
DIRTY=64
# The daemons' CPU time on a node, in ms (clock ticks of 10 ms).
CPU='for p in $(pidof mirrord); do cut -d" " -f14,15 /proc/$p/stat; done | awk "{ s += \$1 + \$2 } END { print (s + 0) * 10 }"'
cpu_a() { sh -c "$CPU"; }
cpu_b() { on_b "$CPU"; }
# zsent: "SENT WIRE", a's compression counts (payload bytes before and after).
zsent() { mdctl status --json r0 > /tmp/zs.json; echo "$(json_field compression_sent_bytes < /tmp/zs.json) $(json_field compression_sent_wire_bytes < /tmp/zs.json)"; }
# mark: the CPU and compression counts a test starts from (b's CPU 0 after a restart).
mark() { ca0=$(cpu_a) cb0=$(cpu_b); set -- $(zsent); s0=$1 w0=$2; }
# result LINK MODE TEST KIB MS: one line, CPU and ratio since mark.
result() {
	ca=$(( $(cpu_a) - ca0 )) cb=$(( $(cpu_b) - cb0 )) mib=$(( $4 / 1024 ))
	[ $mib -gt 0 ] || mib=1
	set -- "$@" $(zsent)
	r=$(awk -v a=$(( $6 - s0 )) -v b=$(( $7 - w0 )) 'BEGIN { printf "%.2f", (b > 0 ? a / b : 1) }')
	echo "@@ZRESULT $1 $2 $3 $(( $4 * 1000 / $5 )) $((ca / mib)) $((cb / mib)) $r"
}
trap 'rc=$?; /usr/sbin/tc qdisc del dev eth0 root 2>/dev/null || true; exit $rc' EXIT

for mode in none zstd auto; do
	mk="sed 's/^timeout = 5/&\\nencryption = none\\ncompression = $mode/' /tests/md.conf > /tmp/z.conf"
	sh -c "$mk"; on_b "$mk"
	for link in throttled fast; do
		CONF=/tmp/z.conf start_pair
		[ $link = throttled ] && { /usr/sbin/tc qdisc add dev eth0 root netem rate $RATE || fail "netem"; }
		# Application writes, fio.
		mark
		fio --name=z --filename=/dev/mirror0 --direct=1 --rw=write --bs=1m --iodepth=16 \
			--ioengine=libaio --size=512m --time_based --runtime="$RUNTIME" \
			--buffer_compress_percentage=70 --refill_buffers --buffer_compress_chunk=4k \
			--output-format=terse --terse-version=3 > /tmp/b.out 2>&1 || { cat /tmp/b.out; fail "fio $mode $link"; }
		kib=$(awk -F';' '{ print $48 }' /tmp/b.out)
		result $link $mode seq1m $(( kib * RUNTIME )) $(( RUNTIME * 1000 ))
		# A file tree onto ext4 on the mirror.
		mkfs.ext4 -q -F -E lazy_itable_init=1,lazy_journal_init=1 /dev/mirror0 || fail "mkfs"
		mount /dev/mirror0 /mnt || fail "mount"
		mark; t0=$(uptime_ms)
		mkdir /mnt/t && cp -a /usr /lib /mnt/t/ && sync || fail "copy the tree"
		t1=$(uptime_ms)
		kib=$(du -sk /mnt/t | cut -f1)
		umount /mnt
		result $link $mode tree $kib $((t1 - t0))
		# A resync of compressible data; b's daemon is new: its CPU from 0.
		on_b "killall -9 mirrord"; sleep 1
		fio --name=d --filename=/dev/mirror0 --direct=1 --rw=write --bs=1m --size=${DIRTY}m \
			--offset=256m --ioengine=libaio --iodepth=8 --buffer_compress_percentage=70 \
			--refill_buffers --buffer_compress_chunk=4k --output-format=terse >/dev/null || fail "dirty"
		mark; cb0=0; t0=$(uptime_ms)
		on_b "mdctl up r0" >/dev/null
		sync_wait_quiet 900; t1=$(uptime_ms); wait_sync
		result $link $mode resync $((DIRTY * 1024)) $((t1 - t0))
		/usr/sbin/tc qdisc del dev eth0 root 2>/dev/null || true
		mdctl deactivate r0 >/dev/null
		mdctl down r0 >/dev/null; on_b "mdctl down r0" >/dev/null
	done
done
echo "compression benchmark done"
