# SPDX-License-Identifier: GPL-2.0-or-later
# Where a write's time goes (issue 25; mdctl status's stage times, the
# kernel's ns_* and mirrord's send_ns/apply_ns): each stage must carry
# the time that is spent in it.  Both data disks behind dm (linear); 10
# synchronous 4 KiB writes to hot chunks, first with b's disk 100 ms slow
# (dm-delay): the peer's arrival-to-disk time and the primary's time to
# the ack take the 100 ms, the local write and the way to the daemon do
# not; then with a's disk slow instead: the local write takes them, the
# peer's side does not.
. /tests/lib.sh
dm_pair
CONF=/tmp/dm.conf start_pair
for c in 0 1 2 3 4 5 6 7 8 9; do dd if=/dev/urandom of=/dev/mirror0 bs=4k count=1 seek=$((c * 16)) oflag=direct 2>/dev/null || fail "warm write $c"; done
A="writes_replicated to_daemon_ns remote_ns local_ns sent_writes send_ns"
B="applied_writes apply_ns"
# snap: the counters.
snap() { js=$(mdctl status --json r0); for k in $A; do echo "$js" | json_field $k; done | tr '\n' ' '
	js=$(on_b "mdctl status --json r0"); for k in $B; do echo "$js" | json_field $k; done | tr '\n' ' '; }
# measure WHAT: 10 writes to the warm chunks; sets n sn an (writes
# replicated, sent, applied) and the means in ms: tod rem loc snd app.
measure() {
	sleep 2		# mirrord's counters of the writes before published
	s0=$(snap)
	for c in 0 1 2 3 4 5 6 7 8 9; do dd if=/dev/urandom of=/dev/mirror0 bs=4k count=1 seek=$((c * 16 + 1)) oflag=direct 2>/dev/null || fail "write $c"; done
	# mirrord publishes its counters about once a second: until both
	# daemons show the 10 writes, at most 10 s.
	i=0
	while :; do
		s1=$(snap); set -- $s0 $s1
		[ $((${13} - $5)) -ge 10 ] && [ $((${15} - $7)) -ge 10 ] && break
		i=$((i + 1)); [ $i -lt 20 ] || break
		sleep 0.5
	done
	n=$((${9} - $1)); sn=$((${13} - $5)); an=$((${15} - $7))
	[ $n -eq 10 ] && [ $sn -eq 10 ] && [ $an -eq 10 ] ||
		fail "$WHAT: $n writes replicated, $sn sent, $an applied by b; expected 10 each ($s0 / $s1)"
	tod=$(( (${10} - $2) / n / 1000000 )); rem=$(( (${11} - $3) / n / 1000000 ))
	loc=$(( (${12} - $4) / n / 1000000 )); snd=$(( (${14} - $6) / sn / 1000000 ))
	app=$(( (${16} - $8) / an / 1000000 ))
	log "$WHAT: per write ms: to the daemon $tod, to the peer's ack $rem (sending $snd, b's disk $app), local $loc"
}
on_b ". /tests/lib.sh; DM_DELAY_MS=100 dm_lower delay" || fail "delay on b"
WHAT="b's disk 100 ms slow" measure
[ $app -ge 100 ] || fail "b's disk takes 100 ms more, its arrival-to-disk mean is $app ms"
[ $rem -ge 100 ] || fail "b's disk takes 100 ms more, the primary's time to the ack is $rem ms"
[ $loc -lt 100 ] && [ $tod -lt 100 ] && [ $snd -lt 100 ] ||
	fail "b's slow disk was counted on a: local $loc, to the daemon $tod, sending $snd ms"
on_b ". /tests/lib.sh; dm_lower ok" || fail "b's disk back"
DM_DELAY_MS=100 dm_lower delay || fail "delay on a"
WHAT="a's disk 100 ms slow" measure
[ $loc -ge 100 ] || fail "a's disk takes 100 ms more, the local write's mean is $loc ms"
[ $app -lt 100 ] && [ $rem -lt 100 ] && [ $tod -lt 100 ] ||
	fail "a's slow disk was counted elsewhere: b's disk $app, to the ack $rem, to the daemon $tod ms"
dm_lower ok || fail "a's disk back"
mdctl status r0 | grep -q "per replicated write (mean): [0-9]* us to the daemon" ||
	{ mdctl status r0; fail "mdctl status shows no stage times"; }
on_b "mdctl status r0" | grep -q "us from arrival to the disk for the peer's writes" ||
	{ on_b "mdctl status r0"; fail "b's mdctl status shows no arrival-to-disk time"; }
dm_unpair
