# SPDX-License-Identifier: GPL-2.0-or-later
# SIGKILL mirrord on either node during fio, start it again: it reconnects
# and resyncs, fio's verify passes, and the copies end identical.
. /tests/lib.sh
start_pair
fio --name=k --filename=/dev/mirror0 --direct=1 --ioengine=libaio --rw=randwrite \
	--bs=4k --size=64m --iodepth=8 --time_based --runtime=24 \
	--verify=crc32c --do_verify=1 --output-format=terse > /tmp/fio.out 2>&1 &
fio=$!
sleep 4
killall -9 mirrord; log "killed mirrord on a"
sleep 2
mdctl up r0 >/dev/null || fail "restart a"
sleep 5
on_b "killall -9 mirrord"; log "killed mirrord on b"
sleep 2
on_b "mdctl up r0" >/dev/null || fail "restart b"
wait $fio || { tail -20 /tmp/fio.out; fail "fio failed"; }
wait_conn
wait_sync
mdctl status r0
same_disks
echo "daemons restarted mid-write; resynced; identical"
