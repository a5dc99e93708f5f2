# SPDX-License-Identifier: GPL-2.0-or-later
# Issue 23: compression = zstd on both nodes, with the default encryption
# (compressed first, then encrypted by the kernel's TLS).  Compressible
# writes (fio, 70% compressible, every buffer new) cross compressed: a's
# status shows a ratio above 1.5, b's the same bytes received; random data
# (fio verify) goes raw and shows as such; a resync of compressible data
# (b's daemon killed meanwhile) is compressed too; the disks end identical.
# mdctl set changes the level and the mode at run time; auto compresses
# on a link throttled to be the bottleneck.
. /tests/lib.sh
mark_logs
# gt A B: the decimal A is greater than B (ratios are not integers).
gt() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a + 0 > b + 0) }'; }
zfield() { echo "$js" | json_field "$1"; }
# wait_count NODE KEY MIN: until NODE's status says KEY >= MIN (the daemon
# publishes its counts once a second while data flows); js is left with it.
wait_count() {
	i=0
	while :; do
		if [ $1 = a ]; then js=$(mdctl status --json r0); else js=$(on_b "mdctl status --json r0"); fi
		[ "$(zfield $2)" -ge $3 ] && return 0
		i=$((i + 1)); [ $i -gt 25 ] && fail "$1: $2 is $(zfield $2), expected $3 or more"
		sleep 0.2
	done
}
fio_z() {	# fio_z OFFSET SIZE: compressible writes through the mirror
	fio --name=z --filename=/dev/mirror0 --direct=1 --ioengine=libaio --rw=write --bs=256k \
		--iodepth=4 --offset=$1 --size=$2 --buffer_compress_percentage=70 --refill_buffers \
		--buffer_compress_chunk=4k > /tmp/fio.out 2>&1 || { tail -20 /tmp/fio.out; fail "fio at $1"; }
}

mk='sed "s/^timeout = 5/timeout = 5\ncompression = zstd/" /tests/md.conf > /tmp/z.conf'
sh -c "$mk"; on_b "$mk"
grep -q '^compression = zstd' /tmp/z.conf || fail "config edit"
export CONF=/tmp/z.conf
start_pair
mine | grep -q 'connected to node-b .*compressed: zstd' || { mine | tail -5; fail "a's link is not compressed"; }
mine_b | grep -q 'connected to node-a .*compressed: zstd' || fail "b's link is not compressed"
js=$(mdctl status --json r0)
[ "$(zfield compression)" = zstd ] && [ "$(zfield compression_active)" = true ] ||
	fail "status: compression $(zfield compression), active $(zfield compression_active)"

log "replication of 32 MiB of compressible data"
fio_z 0 32m
wait_count a compression_sent_bytes 33554432
sent=$(zfield compression_sent_bytes) wire=$(zfield compression_sent_wire_bytes) ratio=$(zfield compression_ratio)
log "a sent $sent bytes as $wire: ratio $ratio"
gt "$ratio" 1.5 || fail "ratio $ratio on compressible data"
wait_count b compression_received_bytes 33554432
gt "$(zfield compression_received_ratio)" 1.5 || fail "b's received ratio $(zfield compression_received_ratio)"

log "random data (fio verify) goes raw"
fio_write --rw=write --bs=64k --size=8m --offset=64m --iodepth=4
fio_verify --rw=write --bs=64k --size=8m --offset=64m --iodepth=4
wait_count a compression_sent_bytes $((sent + 8388608))
gt "$(zfield compression_raw_share)" 0.1 || fail "raw share $(zfield compression_raw_share) after 8 MiB of random data"

log "resync of 32 MiB of compressible data"
on_b "killall -9 mirrord" || fail "kill b"
sleep 1
fio_z 128m 32m
js=$(mdctl status --json r0)
s0=$(zfield compression_sent_bytes) w0=$(zfield compression_sent_wire_bytes)
on_b "mdctl up r0" >/dev/null || fail "restart b"
wait_conn; wait_sync
mine | grep -q 'resync to node-b finished' || fail "no resync"
wait_count a compression_sent_bytes $((s0 + 33554432))
s1=$(zfield compression_sent_bytes) w1=$(zfield compression_sent_wire_bytes)
[ $((s1 - s0)) -ge 33554432 ] || fail "the resync sent $((s1 - s0)) bytes"
gt "$(( (s1 - s0) * 10 / (w1 - w0) ))" 15 || fail "resync ratio $(( (s1 - s0) * 10 / (w1 - w0) ))/10"
log "the resync sent $((s1 - s0)) bytes as $((w1 - w0))"
mdctl status r0 | grep 'compression zstd level 1 (active on this connection): sent' ||
	{ mdctl status r0; fail "status text without the compression line"; }
same_disks

log "run-time changes"
out=$(mdctl set r0 compression-level=-5) || fail "set level: $out"
echo "$out" | grep -q 'compression zstd, level -5' || fail "set level said: $out"
out=$(mdctl set r0 compression=auto) || fail "set auto: $out"
js=$(mdctl status --json r0)
[ "$(zfield compression)" = auto ] && [ "$(zfield compression_level)" = -5 ] ||
	fail "status after set: $(zfield compression) level $(zfield compression_level)"
expect_rc 2 mdctl set r0 compression=lz4
# auto on a link made the bottleneck (netem, 16 Mbit/s out of a): the send
# queue backs up and the writes go compressed.  The trap keeps the
# scenario's exit status: under sh -e a failing command inside it would
# end the shell with its own status (the qdisc is gone already on success).
trap 'rc=$?; /usr/sbin/tc qdisc del dev eth0 root 2>/dev/null || true; exit $rc' EXIT
/usr/sbin/tc qdisc add dev eth0 root netem rate 16mbit || fail "netem rate on a"
js=$(mdctl status --json r0)
s0=$(zfield compression_sent_bytes) w0=$(zfield compression_sent_wire_bytes)
fio_z 192m 8m
wait_count a compression_sent_bytes $((s0 + 8388608))
s1=$(zfield compression_sent_bytes) w1=$(zfield compression_sent_wire_bytes)
/usr/sbin/tc qdisc del dev eth0 root || fail "netem off"
log "auto on a slow link: $((s1 - s0)) bytes sent as $((w1 - w0))"
gt "$(( (s1 - s0) * 10 / (w1 - w0) ))" 12 || fail "auto did not compress on a slow link"
mdctl set r0 compression=zstd >/dev/null || fail "set zstd"
same_disks
unset CONF
echo "compressible writes and resync crossed compressed (ratio $ratio), random data raw, disks identical"
