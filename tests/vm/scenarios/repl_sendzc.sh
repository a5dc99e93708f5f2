# SPDX-License-Identifier: GPL-2.0-or-later
# Zero-copy sends (mirrord --uring-on send-zc; docs/design.md, "Zero-copy
# sends"): on an unencrypted link the primary hands batches of 32 KiB and
# more to the socket by io_uring's SENDMSG_ZC, and reads the kernel
# channel into such a batch's buffer again only once the socket gave its
# pages back.  Checked: fio's verify over 1 MiB writes at QD16 (zero-copy)
# and 4 KiB at QD32 (mostly copied), both disks identical; then the link
# goes silent under 1 MiB writes, so that sends' pages are still the
# socket's when the connection ends (no TCP acknowledgement comes): the
# writes go on while apart, the daemons reconnect and resync, the disks
# end identical, and new writes go out zero-copy again from the same
# buffers.  With TLS (the default) the option changes nothing: kernel TLS
# copies into its records anyway.
. /tests/lib.sh
plain_conf
MD_DAEMON_ARGS="--uring-on send-zc" CONF=/tmp/plain.conf start_pair
fio_write --rw=write --bs=1m --size=64m --iodepth=16
sleep 2		# mirrord's state file published since (once a second at most)
z1=$(status_field zc_sends)
[ "${z1:-0}" -gt 0 ] || fail "no zero-copy send in 1 MiB writes (zc_sends '$z1')"
fio_write --rw=randwrite --bs=4k --size=32m --offset=64m --iodepth=32
log "zero-copy sends: $z1 of $(status_field socket_sends) sends"
same_disks

log "the link goes silent under 1 MiB writes"
mark_logs
fio --name=bg --filename=/dev/mirror0 --direct=1 --ioengine=libaio --rw=write --bs=1m \
	--size=96m --offset=96m --iodepth=16 --time_based --runtime=16 --output-format=terse \
	> /tmp/bg.out 2>&1 &
bg=$!
sleep 3
on_b "(sleep 0.5; ifconfig eth0 down; sleep 10; ifconfig eth0 up) >/dev/null 2>&1 &"
wait_json a connection connecting 20
wait $bg || { tail -20 /tmp/bg.out; fail "writes failed while the link was down"; }
expect_rc 0 mdctl wait-connect r0 --timeout 60
expect_rc 0 mdctl wait-sync r0 --timeout 120
mine | grep -q "refused a zero-copy send" && fail "zero-copy refused: $(mine | grep zero-copy)"
# The connection ended with batches still pinned (the case this models).
mine | grep -q "send-zc: [0-9]* batches still in the socket: closing it with a reset" ||
	fail "the connection did not end with pinned batches: $(mine | tail -5)"
sleep 2
z2=$(status_field zc_sends)
fio_write --rw=write --bs=1m --size=32m --offset=192m --iodepth=16
sleep 2
z3=$(status_field zc_sends)
[ "$z3" -gt "$z2" ] || fail "no zero-copy send after the reconnect ($z2, then $z3)"
wait_sync
same_disks
echo "zero-copy sends: data intact across a silent link"
