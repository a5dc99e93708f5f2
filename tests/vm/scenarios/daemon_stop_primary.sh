# SPDX-License-Identifier: GPL-2.0-or-later
# Issue [7], item 2: the kernel's own deadline.  mirrord on the primary is
# stopped (SIGSTOP): nothing takes or acknowledges the application's
# writes.  The kernel must complete a write within its deadline (ko-count
# x timeout + timeout), mark it and go standalone; after SIGCONT the daemon
# finds that state, says why, reconnects and resyncs without a restart.
. /tests/lib.sh
ko_conf /tests/md.conf /tmp/ko.conf; on_b ". /tests/lib.sh; ko_conf /tests/md.conf /tmp/ko.conf"
CONF=/tmp/ko.conf start_pair
pid=$(pidof mirrord) || fail "no mirrord on a"
kill -STOP $pid
log "mirrord on a stopped"
timed_write 20 $((KERNEL_DEADLINE + 5)); took=$TOOK
log "the write completed after $took s with the daemon stopped (deadline $KERNEL_DEADLINE s)"
[ "$took" -ge $((KERNEL_DEADLINE - 2)) ] || fail "completed after $took s: before the deadline, so not by it"
dmesg | grep -q "mirrord has not .* the request at offset .* going standalone" || fail "no kernel message"
st=$(mdctl status --json r0)
echo "$st" | grep -q '"connection": "connected"' && fail "status still says connected"
echo "$st" | grep -q '"daemon_deadline_misses": 1,' || { echo "$st"; fail "the miss is not counted"; }
[ "$(echo "$st" | json_field out_of_sync_bytes)" -gt 0 ] || fail "nothing marked"
# More writes go on alone at once.
timed_write 30 2
kill -CONT $pid
log "mirrord on a continued"
wait_conn 30
wait_sync
[ "$(pidof mirrord)" = "$pid" ] || fail "mirrord was restarted"
grep -q "the kernel stopped waiting for this daemon: the request at offset" /var/log/mirrordisk/r0.log ||
	{ tail /var/log/mirrordisk/r0.log; fail "the daemon does not say why it lost the link"; }
mdctl deactivate r0 >/dev/null
same_disks
echo "the kernel gave up on a stopped daemon within its deadline; it recovered by itself"
