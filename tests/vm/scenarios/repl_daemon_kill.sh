# SPDX-License-Identifier: GPL-2.0-or-later
# Killing mirrord (SIGKILL) on either node during fio never hangs or fails
# the application's I/O: the primary goes on alone and records what the
# peer lacks.
. /tests/lib.sh
start_pair
fio --name=k --filename=/dev/mirror0 --direct=1 --ioengine=libaio --rw=randwrite \
	--bs=4k --size=64m --iodepth=16 --time_based --runtime=12 \
	--verify=crc32c --do_verify=1 --output-format=terse > /tmp/fio.out 2>&1 &
fio=$!
sleep 4
on_b "killall -9 mirrord" || fail "kill on b"
log "killed mirrord on b"
sleep 3
killall -9 mirrord || fail "kill on a"
log "killed mirrord on a"
wait $fio || { tail -20 /tmp/fio.out; fail "fio failed after the daemons were killed"; }
oos=$(mdctl status --json r0 | json_field out_of_sync_bytes)
[ -n "$oos" ] && [ "$oos" -gt 0 ] || fail "no out-of-sync data recorded ($oos)"
mdctl status r0 | grep -q 'health=needs-recovery\|health=stopped' || { mdctl status r0; fail "health"; }
log "out of sync after the kills: $oos bytes"

# Leave the pair as we found it: both daemons back, resynced, identical.
mdctl up r0 >/dev/null && on_b "mdctl up r0" >/dev/null || fail "restart daemons"
wait_conn
wait_sync
same_disks
echo "fio completed without errors while the daemons died; resynced after"
