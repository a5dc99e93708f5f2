# SPDX-License-Identifier: GPL-2.0-or-later
# mirrord --chan-read adaptive, the default (issue 25; send.c): the kernel channel is
# read non-blocking while writes come one at a time (QD1: no io-wq hop) and
# blocking while reads bring several (QD32: fuller batches), switching as
# the load changes, and no write is lost or reordered across a switch:
# fio's verify passes and both disks are identical at the end.
. /tests/lib.sh
start_pair
[ "$(status_field chan_read)" = adaptive ] || fail "chan_read is '$(status_field chan_read)', not adaptive (the default)"
# qd1 SECONDS: synchronous 4 KiB writes, one at a time.
qd1() { fio --name=q1 --filename=/dev/mirror0 --direct=1 --ioengine=psync --rw=randwrite --bs=512 \
	--size=64m --time_based --runtime=$1 --output=/dev/null || fail "fio QD1"; }
qd1 3
sleep 1
[ "$(status_field chan_read_nowait)" = true ] ||
	{ mdctl status --json r0 | grep chan_read; fail "writes one at a time, but the channel is read blocking"; }
s0=$(status_field chan_read_switches)
# 4 KiB QD32 with a verifiable pattern over 32 MiB (about 5 s here), the
# mode sampled 2.5 s in.
fio_write --rw=randwrite --bs=4k --size=32m --iodepth=32 &
sleep 2.5
during=$(status_field chan_read_nowait)
wait $! || fail "fio QD32 with verify"
[ "$during" = false ] || { mdctl status --json r0 | grep -E 'chan_read|channel'; fail "32 writes in flight, but the channel is read non-blocking"; }
qd1 3
sleep 1
s1=$(status_field chan_read_switches)
[ "$(status_field chan_read_nowait)" = true ] || fail "back to QD1, but the channel stays blocking"
[ $((s1 - s0)) -ge 2 ] || fail "$((s1 - s0)) mode switches over QD32 and back, expected at least 2"
log "switches: $s0 to the first QD1, $((s1 - s0)) over QD32 and back"
wait_sync
same_disks
