# SPDX-License-Identifier: GPL-2.0-or-later
# REQ_NOWAIT on the mirror device (kmod/req.c, md_submit_local): an
# io_uring application's O_DIRECT writes are issued from its own task.
#   - Off by default (it did not pay in these guests: bench_nowait.sh):
#     the device made without it says so.  With the module parameter
#     nowait=1 it says it takes it (sysfs mirror/nowait, mdctl status
#     "nowait"), and
#     fio's io_uring writes (512 bytes) at QD1 with verify through the mirror run
#     without a single io-wq worker thread (iou-wrk) in fio.
#   - With nowait=0 again the
#     device is created without it and the same writes go through io-wq
#     workers: what the first check counts is real.  Both runs' rates are
#     printed (not a pass criterion: performance is the bench's).
#   - A local write the lower disk refuses under REQ_NOWAIT (no request
#     tag free: its queue cut to 4 requests, fio at QD32) is submitted
#     again from the kernel's workqueue, never failed: the requeues are
#     counted (mirror/nowait_requeues), fio's verify passes, nothing is
#     marked out of sync, and the disks end identical.
. /tests/lib.sh
trap 'rc=$?; [ -n "${nr0:-}" ] && echo "$nr0" > /sys/block/vda/queue/nr_requests; echo 0 > /sys/module/mirrordisk/parameters/nowait 2>/dev/null; exit $rc' EXIT
# uring_run LABEL ARGS...: fio's io_uring writes with verify; sets WORKERS
# (most iou-wrk threads seen in fio at once) and MS (the run's time).
uring_run() {
	l=$1; shift
	t0=$(uptime_s)
	fio_write --ioengine=io_uring "$@" &
	f=$!
	WORKERS=0
	while kill -0 $f 2>/dev/null; do
		n=0	# fio's own (mirrord has io-wq workers of its own)
		for p in $(pidof fio); do
			n=$((n + $(cat /proc/$p/task/*/comm 2>/dev/null | grep -c '^iou-wrk' || true)))
		done
		[ "$n" -gt "$WORKERS" ] && WORKERS=$n
		sleep 0.1
	done
	wait $f || fail "fio ($l)"
	MS=$(awk -v a="$t0" -v b="$(uptime_s)" 'BEGIN { printf "%.0f", (b - a) * 1000 }')
}
# remake_a: a's device made anew (the module parameter applies at
# create), a primary again, in sync.
remake_a() {
	mdctl deactivate r0 >/dev/null; mdctl down r0 >/dev/null || fail "down a"
	mdctl up r0 >/dev/null || fail "up a"
	wait_conn
	mdctl activate r0 >/dev/null || fail "activate a"
	wait_sync
}
# 512-byte writes: one TCP segment each (chosen when the test link held
# every 4 KiB exchange 44 ms; docs/performance.md).
QD1="--rw=randwrite --bs=512 --iodepth=1 --size=512k --offset=8m"

start_pair
[ "$(cat /sys/block/mirror0/mirror/nowait)" = 0 ] || fail "REQ_NOWAIT is on by default"
[ "$(mdctl status --json r0 | json_field nowait)" = false ] || fail "status does not say nowait false"
echo 1 > /sys/module/mirrordisk/parameters/nowait
remake_a
[ "$(cat /sys/block/mirror0/mirror/nowait)" = 1 ] || fail "the mirror does not take REQ_NOWAIT over a blk-mq disk"
[ "$(mdctl status --json r0 | json_field nowait)" = true ] || fail "status does not say nowait"
uring_run nowait $QD1
inline_ms=$MS
log "inline: $MS ms, $(cat /sys/block/mirror0/mirror/nowait_requeues) local writes requeued"
[ "$WORKERS" = 0 ] || fail "io_uring went through $WORKERS io-wq worker(s) on a REQ_NOWAIT mirror"

log "the same writes on a mirror created with nowait=0"
echo 0 > /sys/module/mirrordisk/parameters/nowait
remake_a
echo 1 > /sys/module/mirrordisk/parameters/nowait
[ "$(cat /sys/block/mirror0/mirror/nowait)" = 0 ] || fail "nowait=0 did not apply to the new device"
uring_run blocking $QD1
[ "$WORKERS" -gt 0 ] || fail "no io-wq worker without REQ_NOWAIT: the check above cannot tell"
log "io_uring QD1 512-byte writes, 1024 of them: $inline_ms ms issued inline, $MS ms through $WORKERS io-wq worker(s)"

log "the lower disk out of request tags: local writes requeued"
remake_a
nr0=$(cat /sys/block/vda/queue/nr_requests)
echo 4 > /sys/block/vda/queue/nr_requests || fail "cannot cut vda's queue"
uring_run requeue --rw=randwrite --bs=4k --iodepth=32 --size=16m --offset=32m
echo "$nr0" > /sys/block/vda/queue/nr_requests; nr0=
rq=$(cat /sys/block/mirror0/mirror/nowait_requeues)
log "$rq local writes requeued by the kernel at QD32 over 4 request tags"
[ "$rq" -gt 0 ] || fail "no local write was refused under REQ_NOWAIT (test setup)"
[ "$(mdctl status --json r0 | json_field nowait_requeues)" = "$rq" ] || fail "status does not count the requeues"
[ "$(mdctl status --json r0 | json_field out_of_sync_bytes)" = 0 ] || fail "requeued writes were marked out of sync"
fio_verify --rw=randwrite --bs=4k --iodepth=32 --size=16m --offset=32m
mdctl deactivate r0 >/dev/null
same_disks
echo "REQ_NOWAIT: io_uring inline, io-wq without it, refused local writes requeued and written"
