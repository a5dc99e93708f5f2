# SPDX-License-Identifier: GPL-2.0-or-later
# The fault matrix (issue [7], item 4): one fault, on one node, during
# application writes or during a resync with writes, and the promise
# checked afterwards.  Each scenario tests/vm/scenarios/fm_*.sh is one
# line: `. /tests/matrix.sh; fault_case FAULT SIDE PHASE`.
#
#   FAULT  partition  ifconfig eth0 down on SIDE for a while (silent)
#          netem      loss 10%, delay 20 ms +- 10 ms, 25% reordered on SIDE
#          kill       SIGKILL of SIDE's mirrord, mdctl up again later
#          stop       SIGSTOP of SIDE's mirrord, SIGCONT later
#          powercut   the host cuts node b's power; SIDE a: the roles are
#                     swapped first, so the node cut is the primary
#          eio        SIDE's lower disk answers EIO over 1 MiB (dm error)
#          hang       SIDE's lower disk stops answering (dm suspend)
#   SIDE   a (the primary) or b (the secondary)
#   PHASE  writes     while mdwrite writes (the acknowledged-write ledger)
#          resync     the same, while b is being resynced 48 MiB
#
# Every case asserts, after the fault is gone and the pair has recovered
# by itself (or by the admin step the fault calls for):
#   - every write mdwrite saw acknowledged is on the primary's mirror and,
#     the copies being identical, on the secondary's disk;
#   - zero divergent bytes between the two lower disks;
#   - the longest application write stayed within the bound the timeouts
#     promise (BOUND below; a hung local disk is waited for, by design);
#   - what a user reads: the primary's log names the cause.
# In a suite whose name contains "soak" the fault's start and length are
# random (make soak); the last line of output is the case's metric line.
. /tests/lib.sh

# Both nodes: data on /dev/mapper/lower (1:1 over /dev/vda, where disk
# faults are injected), metadata on /dev/vdb (so that a hung data disk
# does not also hang the superblock updates), short timeouts (ko_conf),
# every packet digested (data-integrity).
fm_conf() {
	sed 's|^disk = /dev/vda|disk = /dev/mapper/lower\nmeta = /dev/vdb|' /tests/md.conf > /tmp/ext.conf
	ko_conf /tmp/ext.conf /tmp/fm.conf
	sed -i 's/^timeout = .*/&\nresync-rate = 8M\ndata-integrity = yes/' /tmp/fm.conf
}

# After b's power cut: the dm layer and the config are gone with its
# memory; the disks (data and metadata) are what survived.
fm_b_back_up() {
	b_back_up ". /tests/matrix.sh; md_load; dm_lower ok && fm_conf && conf_install /tmp/fm.conf && mdctl up r0"
}

fm_setup() {
	md_load
	dm_lower ok || fail "dm_lower on a"
	on_b ". /tests/lib.sh; dm_lower ok" || fail "dm_lower on b"
	fm_conf; on_b ". /tests/matrix.sh; fm_conf" || fail "config on b"
	wipe_tail
	CONF=/tmp/fm.conf start_pair
}

# on NODE CMD: run CMD on node a (here) or b.
on() { if [ "$1" = a ]; then shift; sh -c "$*"; else shift; on_b "$*"; fi; }

# Where things go on the 128 MiB disks of the fm suites: the writer in
# the first 40 MiB (100 writes a second: it outlasts any case), the resync phase's changes at 48-96 MiB, the failing
# range of eio at 100 MiB.
WRITER_BLOCKS=10240 WRITER_RATE=100 RS_MIB=48 RS_LEN=48 ERR_MIB=100

# The primary's writer: mdwrite with its ledger in /tmp/acked (here, also
# when it runs on b) and its worst latency in /tmp/worst on its node.
writer_start() {
	if [ "$PRIM" = a ]; then
		mdwrite write /dev/mirror0 $WRITER_BLOCKS /tmp/worst $WRITER_RATE > /tmp/acked 2>/tmp/writer.err &
	else
		on_b "mdwrite write /dev/mirror0 $WRITER_BLOCKS /tmp/worst $WRITER_RATE" > /tmp/acked 2>/tmp/writer.err &
	fi
	WRITER=$!
}

writer_stop() {
	if [ "$PRIM" = a ]; then kill $WRITER 2>/dev/null || true
	else on_b "killall mdwrite" >/dev/null 2>&1 || true; kill $WRITER 2>/dev/null || true; fi
	wait $WRITER 2>/dev/null || true
}

# Out-of-sync data for the resync phase: b detached while 48 MiB change
# (past the writer's range), then attached: the resync runs at 8 MB/s.
resync_start() {
	on_b "mdctl detach r0" >/dev/null || fail "detach b"
	on $PRIM "dd if=/dev/urandom of=/dev/mirror0 bs=1M seek=$RS_MIB count=$RS_LEN oflag=direct 2>/dev/null" ||
		fail "writes while b is detached"
	on_b "mdctl attach r0" >/dev/null || fail "attach b"
	wait_json $PRIM sync_role source 20
	log "resync running"
}

# inject FAULT SIDE / heal FAULT SIDE: the fault, and its end.
inject() {
	case $1 in
	partition)
		# In the background there: the command must return before the
		# link goes, and the link must come back by itself.
		on $2 "(sleep 0.5; ifconfig eth0 down; sleep $HOLD; ifconfig eth0 up) >/dev/null 2>&1 &" ;;
	netem)
		on $2 "/usr/sbin/tc qdisc add dev eth0 root netem delay 20ms 10ms loss 10% reorder 25% 50%" ||
			fail "netem on $2" ;;
	kill) on $2 "killall -9 mirrord" || fail "kill on $2" ;;
	stop) on $2 "killall -STOP mirrord" || fail "stop on $2" ;;
	powercut) echo "@@CRASH b" > /dev/console ;;
	eio) on $2 ". /tests/lib.sh; DM_ERR_MIB=$ERR_MIB dm_lower error" || fail "dm error on $2"
	     # A write into the failing range (the writer never goes there).
	     if dd if=/dev/urandom of=/tmp/probe bs=1M count=1 2>/dev/null &&
	        on $PRIM "dd if=/dev/urandom of=/dev/mirror0 bs=1M seek=$ERR_MIB count=1 oflag=direct 2>/dev/null"; then
		     PROBE=ok; else PROBE=failed; fi ;;
	hang) on $2 "DM_DISABLE_UDEV=1 dmsetup suspend --noudevsync lower" || fail "suspend on $2" ;;
	esac
}

heal() {
	case $1 in
	partition) sleep 1 ;;	# it comes back by itself
	netem) on $2 "/usr/sbin/tc qdisc del dev eth0 root" || fail "netem off on $2" ;;
	kill) on $2 "mdctl up r0" >/dev/null || fail "up on $2" ;;
	stop) on $2 "killall -CONT mirrord" || fail "cont on $2" ;;
	powercut) fm_b_back_up ;;
	eio) on $2 ". /tests/lib.sh; dm_lower ok" || fail "dm ok on $2"
	     # The failed range is marked on the primary, and a failed write
	     # leaves the secondary's copy inconsistent; once the disk is
	     # repaired the admin's detach + attach resyncs it (disk_eio).
	     on_b "mdctl detach r0 >/dev/null && mdctl attach r0 >/dev/null" || fail "reattach b" ;;
	hang) on $2 "DM_DISABLE_UDEV=1 dmsetup resume --noudevsync lower" || fail "resume on $2" ;;
	esac
}

# What the primary's log must say after the fault (a regular expression).
cause() {
	case $1-$2 in
	partition-*) echo "no sign of the peer|peer closed|send failed|Connection reset|timed out" ;;
	netem-*) echo "." ;;		# the link may survive it: nothing to say
	kill-a) echo "mirrord .* starting|resource r0" ;;
	kill-b) echo "peer closed|Connection reset|send failed" ;;
	stop-a) echo "the kernel stopped waiting for this daemon" ;;
	stop-b) echo "no sign of the peer for 2 s" ;;
	powercut-*) echo "no sign of the peer|peer closed|Connection reset|timed out|send failed" ;;
	eio-a) echo "." ;;
	eio-b) echo "." ;;
	hang-a) echo "." ;;
	hang-b) echo "peer too slow: request at offset [0-9]* not acknowledged" ;;
	esac
}

# Every block mdwrite saw acknowledged holds its pattern on a's lower disk
# (the metadata is external: mirror offsets are disk offsets).
ledger_check() {
	n=$(wc -l < /tmp/acked)
	[ "$n" -gt 20 ] || { cat /tmp/writer.err; fail "only $n writes acknowledged"; }
	sync; echo 3 > /proc/sys/vm/drop_caches
	mdwrite check /dev/vda /tmp/acked > /tmp/check.out ||
		{ cat /tmp/check.out; fail "an acknowledged write is lost"; }
	log "$(cat /tmp/check.out)"
}

fault_case() {
	FAULT=$1 SIDE=$2 PHASE=$3
	HOLD=6 START=3
	case $FAULT-$SIDE in stop-a|hang-b) HOLD=$((KERNEL_DEADLINE + 2)) ;; esac
	case "$MD_suite" in *soak*)
		START=$((1 + RANDOM % 6)); HOLD=$((HOLD + RANDOM % 5)) ;;
	esac
	# The longest write the timeouts allow: the kernel's deadline (the
	# largest bound) plus slack for TCG; a hung primary disk is waited for.
	BOUND=$(((KERNEL_DEADLINE + 5) * 1000))
	[ "$FAULT-$SIDE" = hang-a ] && BOUND=$(((HOLD + 6) * 1000))
	PRIM=a
	fm_setup
	target=$SIDE
	if [ "$FAULT-$SIDE" = powercut-a ]; then
		# The node the host can cut is b: make it the primary.
		mdctl deactivate r0 >/dev/null || fail "deactivate a"
		on_b "mdctl activate r0" >/dev/null || fail "activate b"
		PRIM=b target=b
	fi
	[ "$PHASE" = resync ] && resync_start
	writer_start
	sleep $START
	log "fault $FAULT on node $SIDE ($target's side) during $PHASE, for $HOLD s"
	inject $FAULT $target
	sleep $HOLD
	if [ "$FAULT-$SIDE" = powercut-a ]; then
		# The primary is gone; what it acknowledged must be on a's disk
		# now, before b comes back (a is secondary: read its lower disk).
		kill $WRITER 2>/dev/null || true
		ledger_check
	fi
	heal $FAULT $target
	log "fault over"
	wait_conn 90
	wait_sync 180
	writer_stop
	ledger_check
	worst=$(on $PRIM "cat /tmp/worst 2>/dev/null" | cut -d' ' -f1)	# none after b's cut
	[ -n "$worst" ] || worst=0
	log "longest write: $worst ms (bound $BOUND ms)"
	[ "$worst" -le "$BOUND" ] || fail "a write took $worst ms, over the bound of $BOUND ms"
	if [ "$FAULT" = eio ]; then
		# The application sees EIO only from its own disk.
		want=ok; [ $SIDE = $PRIM ] && want=failed
		[ "$PROBE" = $want ] || fail "a write into the failing range $PROBE (expected: $want)"
	fi
	grep -Eq "$(cause $FAULT $SIDE)" /var/log/mirrordisk/r0.log ||
		{ tail -20 /var/log/mirrordisk/r0.log; fail "a's log does not name the cause"; }
	[ $PRIM = a ] && mdctl deactivate r0 >/dev/null
	[ $PRIM = b ] && { on_b "mdctl deactivate r0" >/dev/null 2>&1 || true; }
	same_disks
	echo "@@METRIC fm_${FAULT}_${SIDE}_${PHASE} worst_ms=$worst acked=$(wc -l < /tmp/acked)"
}
