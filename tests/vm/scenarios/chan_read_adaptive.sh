# SPDX-License-Identifier: GPL-2.0-or-later
# mirrord --chan-read adaptive, the default (issue 25; send.c): the kernel
# channel is read non-blocking while writes come one at a time (QD1: no
# io-wq hop) and blocking while reads bring several (QD32: fuller
# batches), switching as the load changes, and no write is lost or
# reordered across a switch: fio's verify passes and both disks are
# identical at the end.
. /tests/lib.sh
start_pair
[ "$(status_field chan_read)" = adaptive ] || fail "chan_read is '$(status_field chan_read)', not adaptive (the default)"
# qd1 SECONDS: synchronous 512-byte writes, one at a time.
qd1() { fio --name=q1 --filename=/dev/mirror0 --direct=1 --ioengine=psync --rw=randwrite --bs=512 \
	--size=64m --time_based --runtime=$1 --output=/dev/null || fail "fio QD1"; }
qd1 3
sleep 2		# mirrord's state file published since
[ "$(status_field chan_read_nowait)" = true ] ||
	{ mdctl status --json r0 | grep chan_read; fail "writes one at a time, but the channel is read blocking"; }
s0=$(status_field chan_read_switches); r0=$(status_field channel_reads); q0=$(status_field channel_requests)
# 4 KiB QD32 with a verifiable pattern over 32 MiB (about 5 s here), the
# mode and the requests per read so far sampled 2.5 s in.
fio_write --rw=randwrite --bs=4k --size=32m --iodepth=32 &
sleep 2.5
js=$(mdctl status --json r0)
during=$(echo "$js" | json_field chan_read_nowait)
rd=$(($(echo "$js" | json_field channel_reads) - r0)); rq=$(($(echo "$js" | json_field channel_requests) - q0))
wait $! || fail "fio QD32 with verify"
# Under TCG a non-blocking read brings 2.3-2.9 requests at QD32: the
# switch to blocking must come.  Where the machine is fast enough that
# reads bring fewer, staying non-blocking is right; what must never be is
# non-blocking reads averaging 2.5 or more.
if [ "$during" = true ]; then
	[ $rd -gt 0 ] && [ $((rq * 10 / rd)) -lt 25 ] ||
		fail "32 writes in flight, $rq requests in $rd reads, and the channel still read non-blocking"
	log "QD32: $rq requests in $rd reads, stayed non-blocking (a fast machine)"
	switched=0
else
	log "QD32: read blocking ($rq requests in $rd reads, the first of them non-blocking)"
	switched=1
fi
qd1 3
sleep 2
s1=$(status_field chan_read_switches)
[ "$(status_field chan_read_nowait)" = true ] || fail "back to QD1, but the channel stays blocking"
[ $((s1 - s0)) -ge $((2 * switched)) ] || fail "$((s1 - s0)) mode switches over QD32 and back, expected at least 2"
log "switches: $s0 to the first QD1, $((s1 - s0)) over QD32 and back"
wait_sync
same_disks
