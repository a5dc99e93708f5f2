# SPDX-License-Identifier: GPL-2.0-or-later
# MD_IOC_DESTROY frees the device only when no request of it is left, the
# deferred ones included.  A request that completes may start one that
# waited behind it (md_req_put kicks md_defer_work): after a reconnect the
# source's resync asks again for chunks whose reads of the old connection
# still run, and those new reads wait, deferred, behind the old ones.
# destroy used to wait only for no request being active: the old reads
# ending let it go on while their completion started the deferred reads,
# which then completed into the freed device.  Here a's data disk delays
# every read 6 s (dm-delay; writes, and the metadata on /dev/vdb, at
# once), a resync from a starts, b detaches and attaches (the new
# connection's reads defer behind the hung ones), mirrord on a is killed,
# and destroy runs, at a real-time priority so that, woken by the last
# old read's completion, it runs before the kernel worker that starts the
# deferred reads (on the guest's one vCPU the order is otherwise the
# scheduler's, and the old code passed whenever the worker went first):
# when it returns, no read of it may be in flight on
# a's disk, and the kernel log stays clean (the runner checks it).  It
# must have waited a whole read delay too, and the old read must still be
# held when destroy starts: the deferred read was there, or the test would
# prove nothing.
. /tests/lib.sh
DM_DELAY_MS=6000
# The chunk the resync never brings to b: the same on both at the end,
# passed or failed, as the next scenario's --assume-clean start expects.
trap 'rc=$?; dm_lower ok; z="dd if=/dev/zero of=/dev/vda bs=64k count=1 seek=256 oflag=direct 2>/dev/null"
	sh -c "$z"; on_b "$z"; exit $rc' EXIT
dm_pair_detached
dd if=/dev/urandom of=/dev/mirror0 bs=64k count=1 seek=256 oflag=direct 2>/dev/null || fail "write on a"	# one chunk: one read, one deferred
dm_lower readdelay || fail "reads delayed on a"
# dm-delay's status: the reads and writes it holds back right now.
delayed() { DM_DISABLE_UDEV=1 dmsetup status lower | awk '{ print $4, $5 }'; }
on_b "mdctl attach r0 >/dev/null" || fail "attach b"
i=0; until [ "$(delayed)" = "1 0" ]; do	# the resync read, not an epoch flush
	i=$((i + 1)); [ $i -gt 50 ] && { mdctl status r0; fail "no resync read held back ($(delayed))"; }; sleep 0.2; done
on_b "mdctl detach r0 >/dev/null; mdctl attach r0 >/dev/null" || fail "detach and attach b"
wait_json a connection connected 10
sleep 1		# the new connection's resync asks for the same chunks: deferred
n=$(mdctl status --json r0 | json_field inflight)
log "$n requests in a's slots (reads of the first connection hang); held back by dm-delay: $(delayed)"
# Still held: the new connection's read of the chunk had to wait behind
# it (deferred), it did not start once this one ended.
[ "$(delayed)" = "1 0" ] || fail "the old read is no longer held back ($(delayed)): the reconnect took too long"
killall -9 mirrord; on_b "killall -9 mirrord"
sleep 0.3
t0=$(uptime_s)
i=0	# the channel is released once io_uring's teardown drops it
until chrt -f 50 mdctl --force destroy-minor 0 > /tmp/destroy.out 2>&1; do
	i=$((i + 1)); [ $i -gt 20 ] && { cat /tmp/destroy.out; fail "destroy"; }; sleep 0.1; done
left=$(delayed)
took=$(awk -v a="$t0" -v b="$(uptime_s)" 'BEGIN { printf "%.1f", b - a }')
log "destroy took $took s; reads and writes dm-delay holds back after it: $left"
set -- $left
[ "$1" = 0 ] && [ "$2" = 0 ] ||
	fail "destroy returned with $1 read(s) of the device it freed still held back (deferred requests started after its wait)"
awk -v t="$took" 'BEGIN { exit !(t >= 5) }' ||
	fail "destroy took $took s: no deferred read waited behind the old ones (test setup: too slow a reconnect?)"
sleep 7		# a read that outlived destroy would complete into freed memory by now
echo "destroy waited for the deferred resync reads the old ones released"
