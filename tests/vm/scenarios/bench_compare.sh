# SPDX-License-Identifier: GPL-2.0-or-later
# fio on the raw lower disk, on the mirror (synchronous), and on DRBD 8.4
# protocol C, one after the other in the same two guests, with the jobs
# of bench/mirror.fio (the file a tester runs on real hardware).  Prints
#   @@RESULT TARGET TEST BW_KIB_S IOPS LAT_MEAN_US P50_US P99_US P999_US
#   @@NET RTT_MS IPERF3_KBIT_S IDLE_RTT_MS   (ping -A, iperf3 a -> b: the
#   network's bounds; ping once a second)
#   @@CPU TARGET TEST A_MS B_MS WRITES     (both guests' busy CPU over a job)
# lines that tests/bench/compare_table.py turns into docs/performance.md.
. /tests/lib.sh
RUNTIME=${BENCH_RUNTIME:-20}

# The counters of mdctl status --json (on the mirror), for what one write
# costs and where its time goes: @@COUNTERS TARGET TEST then the
# differences over the job, a's counters then b's (the peer's writes); a
# counter missing reads 0, so that the columns stay in place (the sums
# in ns pass 2^31: busybox awk's %d would clip them, %.0f does not).
CTRS="writes bitmap_page_writes bitmap_waits epochs channel_reads channel_requests socket_sends ack_writes writes_replicated to_daemon_ns remote_ns local_ns sent_writes send_ns"
CTRS_B="applied_writes apply_ns"
counters() {
	js=$(mdctl status --json r0 2>/dev/null); for k in $CTRS; do v=$(echo "$js" | json_field $k); echo "${v:-0}"; done | tr '\n' ' '
	js=$(on_b "mdctl status --json r0" 2>/dev/null); for k in $CTRS_B; do v=$(echo "$js" | json_field $k); echo "${v:-0}"; done | tr '\n' ' '
}

JOB="fio --output-format=terse --terse-version=3 /tests/bench/mirror.fio --section"
# result TARGET TEST < fio's terse output.  Fields 48 bandwidth (KiB/s),
# 49 IOPS, 81 mean latency, 59-61 "50.000000%=N" and so on: completion
# latency in µs.
result() {
	awk -F';' -v tgt="$1" -v t="$2" 'NF > 80 { for (i = 59; i <= 61; i++) sub(/^.*=/, "", $i)
		printf "@@RESULT %s %s %s %s %s %s %s %s\n", tgt, t, $48, $49, $81, $59, $60, $61 }'
}

# Both guests' busy CPU (lib.sh's busy_ms) over each job: @@CPU TARGET
# TEST A_MS B_MS WRITES, the writes fio did (IOPS x its runtime in ms:
# terse fields 49 and 50).
run_fio() {	# TARGET DEV [TESTS]
	for t in ${3:-seq1m randw4k randw4k_qd1 randw512_qd1}; do
		case $1 in mirror*) c0=$(counters) ;; esac
		a0=$(busy_ms); b0=$(on_b ". /tests/lib.sh; busy_ms")
		DEV="$2" RUNTIME="$RUNTIME" $JOB=$t > /tmp/b.out 2>&1 || { cat /tmp/b.out; fail "fio $1 $t"; }
		a1=$(busy_ms); b1=$(on_b ". /tests/lib.sh; busy_ms")
		result "$1" "$t" < /tmp/b.out
		awk -F';' -v tgt="$1" -v t="$t" -v a=$((a1 - a0)) -v b=$((b1 - b0)) 'NF > 80 {
			printf "@@CPU %s %s %d %d %.0f\n", tgt, t, a, b, $49 * $50 / 1000 }' < /tmp/b.out
		case $1 in mirror*)
			echo "$c0 $(counters)" | awk -v tgt="$1" -v t="$t" -v n="$(echo $CTRS $CTRS_B | wc -w)" '{
				printf "@@COUNTERS %s %s", tgt, t
				for (i = 1; i <= n; i++) printf " %.0f", $(i + n) - $i
				printf "\n" }' ;;
		esac
	done
}

# The bounds: both raw disks (b's 512-byte QD1 write is the remote leg of
# a synchronous write), the round trip and the link's throughput.
run_fio raw /dev/vda
on_b "DEV=/dev/vda RUNTIME=$RUNTIME $JOB=randw512_qd1" > /tmp/b.out 2>&1 || { cat /tmp/b.out; fail "fio on b"; }
result raw_b randw512_qd1 < /tmp/b.out
# The round trip two ways: back to back (ping -A: the next as soon as the
# answer came, as QD1 writes go; the bound) and one per second (an idle
# link's, which pays the guests' wakeups too).
rtt=$(ping -A -c 500 -q "$PEER" | sed -n 's|.*= [0-9.]*/\([0-9.]*\)/.*|\1|p')
idle=$(ping -c 10 -q "$PEER" | sed -n 's|.*= [0-9.]*/\([0-9.]*\)/.*|\1|p')
on_b "iperf3 -s -D -1" || fail "iperf3 server on b"
sleep 1
iperf3 -c "$PEER" -t "$RUNTIME" -f k > /tmp/i.out 2>&1 || { cat /tmp/i.out; fail "iperf3"; }
kbit=$(awk '/receiver$/ { for (i = 2; i <= NF; i++) if ($i == "Kbits/sec") print $(i - 1) }' /tmp/i.out)
echo "@@NET ${rtt:-0} ${kbit:-0} ${idle:-0}"

DIRTY=64
# mirror_resync TARGET: resync throughput of the running pair: differential
# (64 MiB dirtied while the peer's daemon is down), then full (fresh
# metadata, initial sync); leaves both nodes down.
mirror_resync() {
	on_b "killall -9 mirrord"; sleep 1
	fio --name=d --filename=/dev/mirror0 --direct=1 --rw=write --bs=1m --size=${DIRTY}m \
		--ioengine=libaio --iodepth=8 --output-format=terse >/dev/null || fail "dirty"
	t0=$(uptime_ms); on_b "mdctl up r0" >/dev/null; sync_wait_quiet 600; t1=$(uptime_ms); wait_sync
	echo "@@RESULT $1 resync_diff $((DIRTY * 1024 * 1000 / (t1 - t0))) 0 $(((t1 - t0) * 1000))"
	mdctl deactivate r0
	mdctl down r0; on_b "mdctl down r0"
	CREATE_ARGS= up_both
	t0=$(uptime_ms); mdctl activate --force r0 >/dev/null; sync_wait_quiet 900; t1=$(uptime_ms); wait_sync
	size=$(mdctl status --json r0 | json_field size_bytes)
	echo "@@RESULT $1 resync_full $((size / 1024 * 1000 / (t1 - t0))) 0 $(((t1 - t0) * 1000))"
	mdctl deactivate r0
	mdctl down r0; on_b "mdctl down r0"
}

# Issue 25: the application's writes during a resync, beside their figure
# without one (randw4k).  fg_writes TARGET KIND DEV: 4 KiB random writes for FG_S
# seconds at once, while the resync runs (@@RESULT TARGET fg_KIND), then
# the resync's own time with them (@@RESULT TARGET resync_KIND_fg; from
# T0, set by the caller when the resync began).  The differential one
# dirties FG_DIRTY MiB so that it outlasts the writes.
FG_S=10 FG_DIRTY=512
fg_writes() {
	DEV=$3 RUNTIME=$FG_S $JOB=randw4k > /tmp/b.out 2>&1 || { cat /tmp/b.out; fail "fio during the $2 resync"; }
	result "$1" "fg_$2" < /tmp/b.out
}
fg_done() {	# TARGET KIND BYTES: after the resync ended
	t1=$(uptime_ms)
	echo "@@RESULT $1 resync_$2_fg $(($3 / 1024 * 1000 / (t1 - T0))) 0 $(((t1 - T0) * 1000))"
}
# mirror_resync_fg TARGET: both kinds on the mirror (the full one first:
# it leaves the pair in sync for the other); leaves both nodes down.
mirror_resync_fg() {
	CREATE_ARGS= up_both
	T0=$(uptime_ms); mdctl activate --force r0 >/dev/null; wait_conn
	fg_writes "$1" full /dev/mirror0
	sync_wait_quiet 900; fg_done "$1" full "$(mdctl status --json r0 | json_field size_bytes)"; wait_sync
	on_b "killall -9 mirrord"; sleep 1
	fio --name=d --filename=/dev/mirror0 --direct=1 --rw=write --bs=1m --size=${FG_DIRTY}m \
		--ioengine=libaio --iodepth=8 --output-format=terse >/dev/null || fail "dirty"
	T0=$(uptime_ms); on_b "mdctl up r0" >/dev/null; wait_conn
	fg_writes "$1" diff /dev/mirror0
	[ "$(mdctl status --json r0 | json_field sync_role)" = source ] ||
		log "the differential resync ended before the writes did: raise FG_DIRTY"
	sync_wait_quiet 600; fg_done "$1" diff $((FG_DIRTY << 20)); wait_sync
	mdctl deactivate r0
	mdctl down r0; on_b "mdctl down r0"
}

# The default configuration: encrypted (kernel TLS).
start_pair
run_fio mirror /dev/mirror0
# Which AES-GCM the kernel's TLS ran on (the highest priority gcm(aes)).
awk -F': ' '/^name/ { n = $2 } /^driver/ { d = $2 }
	/^priority/ && n ~ /^gcm\(aes\)/ && $2 + 0 > p { p = $2 + 0; best = d }
	END { print "@@AES " (best ? best : "none") }' /proc/crypto
mirror_resync mirror

# The same without encryption (encryption = none, like for like with
# DRBD 8.4, which does not encrypt; TLS costs mirror/mirror_plain), then
# plain with data-integrity = yes (an xxh3 digest per packet, the
# integrity check of an unencrypted link).  CONF: the variant's
# configuration, on both nodes (up_both installs it).
plain_conf
sed 's/^timeout = 5/&\ndata-integrity = yes/' /tmp/plain.conf > /tmp/xxh3.conf
on_b "sed 's/^timeout = 5/&\\ndata-integrity = yes/' /tmp/plain.conf > /tmp/xxh3.conf"
for v in plain xxh3; do
	CONF=/tmp/$v.conf start_pair
	grep -q "encryption = none" /etc/mirrordisk/mirrordisk.conf &&
		on_b "grep -q 'encryption = none' /etc/mirrordisk/mirrordisk.conf" || fail "variant $v not installed"
	echo "@@IO $v $(mdctl status --json r0 | json_field io_backend)"
	run_fio mirror_$v /dev/mirror0
	if [ $v = plain ]; then
		# Issue 25: age alone (bitmap_hot_chunks=0) beside the
		# default capacity budget, in the same run.
		h0=$(cat /sys/module/mirrordisk/parameters/bitmap_hot_chunks)
		echo 0 > /sys/module/mirrordisk/parameters/bitmap_hot_chunks || fail "bitmap_hot_chunks"
		sleep 12	# the bits kept so far age out first
		run_fio mirror_age /dev/mirror0 "randw4k randw4k_qd1 randw512_qd1"
		echo $h0 > /sys/module/mirrordisk/parameters/bitmap_hot_chunks
		# Epochs cover the writes so far (two 5 s intervals) before the
		# resync below counts what it copies: a lost link resyncs only
		# the chunks no epoch covered.
		sleep 12
		CONF=/tmp/$v.conf mirror_resync mirror_plain
		CONF=/tmp/$v.conf mirror_resync_fg mirror_plain
		# Issue 25: how mirrord reads the kernel channel (the
		# default, adaptive, beside blocking and nowait), the
		# ring's DEFER_TASKRUN, on both nodes, and zero-copy sends
		# (--uring-on send-zc, the primary's).
		for on in blocking nowait defer sendzc; do
			case $on in
			defer) args="--uring-on defer-taskrun"; want=io_uring+defer ;;
			sendzc) args="--uring-on send-zc"; want=io_uring ;;
			*) args="--chan-read $on"; want=io_uring ;;
			esac
			MD_DAEMON_ARGS="$args" CONF=/tmp/$v.conf start_pair
			be=$(mdctl status --json r0 | json_field io_backend)
			[ "$be" = "$want" ] || fail "$args: io_backend $be, not $want"
			run_fio "mirror_on_$on" /dev/mirror0 "seq1m randw4k randw512_qd1"
			mdctl deactivate r0
			mdctl down r0; on_b "mdctl down r0"
		done
	else
		mdctl deactivate r0
		mdctl down r0; on_b "mdctl down r0"
	fi
done

mkdir -p /etc/drbd.d
cp /tests/drbd.conf /etc/drbd.conf
on_b "mkdir -p /etc/drbd.d; cp /tests/drbd.conf /etc/drbd.conf"
drbd_start
cat /proc/drbd
run_fio drbd /dev/drbd0

# As quiet as the mirror's (lib.sh's sync_wait_quiet): drbdsetup's
# wait-sync waits on DRBD's netlink events; the loop after it only checks
# (and would poll if wait-sync ended early, said by @@NOTE).
drbd_wait_sync() {
	i=0
	timeout 900 drbdsetup wait-sync 0 >/dev/null 2>&1 || :
	grep -q 'ds:UpToDate/UpToDate' /proc/drbd || echo "@@NOTE drbdsetup wait-sync ended before the sync"
	until grep -q 'ds:UpToDate/UpToDate' /proc/drbd; do
		i=$((i + 1)); [ $i -gt 4500 ] && { cat /proc/drbd; fail "DRBD did not sync"; }
		sleep 0.2
	done
}
on_b "drbdadm disconnect r0"
fio --name=d --filename=/dev/drbd0 --direct=1 --rw=write --bs=1m --size=${DIRTY}m \
	--ioengine=libaio --iodepth=8 --output-format=terse >/dev/null || fail "dirty drbd"
t0=$(uptime_ms); on_b "drbdadm connect r0"; sleep 0.5; drbd_wait_sync; t1=$(uptime_ms)
echo "@@RESULT drbd resync_diff $((DIRTY * 1024 * 1000 / (t1 - t0))) 0 $(((t1 - t0) * 1000))"
t0=$(uptime_ms); drbdadm invalidate-remote r0 || fail "invalidate-remote"; sleep 0.5; drbd_wait_sync; t1=$(uptime_ms)
dsize=$(blockdev --getsize64 /dev/drbd0)
echo "@@RESULT drbd resync_full $((dsize / 1024 * 1000 / (t1 - t0))) 0 $(((t1 - t0) * 1000))"
# The application's writes during DRBD's resyncs, as on the mirror.
on_b "drbdadm disconnect r0"
fio --name=d --filename=/dev/drbd0 --direct=1 --rw=write --bs=1m --size=${FG_DIRTY}m \
	--ioengine=libaio --iodepth=8 --output-format=terse >/dev/null || fail "dirty drbd"
T0=$(uptime_ms); on_b "drbdadm connect r0"; sleep 0.5
fg_writes drbd diff /dev/drbd0
grep -q 'ds:UpToDate/UpToDate' /proc/drbd && log "DRBD's differential resync ended before the writes did"
drbd_wait_sync; fg_done drbd diff $((FG_DIRTY << 20))
T0=$(uptime_ms); drbdadm invalidate-remote r0 || fail "invalidate-remote"; sleep 0.5
fg_writes drbd full /dev/drbd0
drbd_wait_sync; fg_done drbd full "$dsize"
drbdadm secondary r0
drbdadm down r0; on_b "drbdadm down r0"
echo "benchmark done"
