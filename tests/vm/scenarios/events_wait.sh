# SPDX-License-Identifier: GPL-2.0-or-later
# The event stream and the wait commands over mirrord's control socket
# (docs/design.md, "Control socket and events"): events --now prints the
# state and the marker and exits 0 (also --json, --timestamps, and without
# a resource); a user who is not root is refused, by the socket file's mode
# and, with the mode opened, by SO_PEERCRED; a follower sees a partition,
# the reconnect and the resync in order; wait-sync returns when that resync
# ends; wait-connect times out (7) while the peer is down and returns once
# it is back; wait-sync times out (7) while the resync is paused and
# returns when it ends; a resource that is not up answers 5.
. /tests/lib.sh
start_pair
LOG=/var/log/mirrordisk/r0.log
n0=$(wc -l < $LOG)
ev=
# The initramfs's / is its build directory's 0700: nobody could not even
# run a shell.  Opened for the one step that runs as nobody, and put back.
root_mode=$(stat -c %a /)
trap '[ -n "$ev" ] && kill $ev 2>/dev/null; chmod $root_mode /; busybox sed -i "/^nobody:/d" /etc/passwd || true' EXIT

log "events --now"
out=$(mdctl events --now r0) || fail "events --now exited $?: $out"
want="exists resource name=r0 role=primary conn=connected disk=up-to-date peer-disk=up-to-date resync=none verify=none"
[ "$(echo "$out" | sed -n 1p)" = "$want" ] || fail "events --now state: '$out'"
[ "$(echo "$out" | sed -n 2p)" = "exists -" ] || fail "events --now: no marker: '$out'"
[ "$(echo "$out" | wc -l)" -eq 2 ] || fail "events --now printed more: '$out'"
mdctl events --now --json r0 | sed -n 1p |
	grep -q '^{"type":"exists","object":"resource","name":"r0","role":"primary","conn":"connected",' ||
	fail "events --json: $(mdctl events --now --json r0)"
mdctl events --now --timestamps r0 | sed -n 2p |
	grep -Eq '^20[0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9]\.[0-9]{3}Z exists -$' ||
	fail "events --timestamps: $(mdctl events --now --timestamps r0)"
[ "$(mdctl events --now | sed -n 1p)" = "$want" ] || fail "events without a resource: $(mdctl events --now)"

log "a user who is not root"
[ "$(stat -c %a /run/mirrordisk/r0.sock)" = 600 ] || fail "socket mode $(stat -c %a /run/mirrordisk/r0.sock)"
grep -q '^nobody:' /etc/passwd || echo "nobody:x:65534:65534:nobody:/:/bin/sh" >> /etc/passwd
chmod 755 /
if out=$(busybox su -s /bin/sh nobody -c "mdctl events --now r0" 2>&1); then fail "nobody read the events: $out"; else rc=$?; fi
[ $rc = 4 ] || fail "nobody: exit $rc, expected 4: $out"
echo "$out" | grep -q "control socket of mirrord is root's" || fail "nobody: $out"
chmod 666 /run/mirrordisk/r0.sock
if out=$(busybox su -s /bin/sh nobody -c "mdctl events --now r0" 2>&1); then rc=0; else rc=$?; fi
chmod 600 /run/mirrordisk/r0.sock
chmod $root_mode /
[ $rc = 4 ] || fail "nobody, socket opened: exit $rc, expected 4: $out"
echo "$out" | grep -q "serves uid 0 only, not uid 65534" || fail "SO_PEERCRED: $out"
tail -n +$((n0 + 1)) $LOG | grep -q "control socket: refused: .* not uid 65534" || fail "refusal not logged"

log "a follower across a partition, the reconnect and a resync"
mdctl events r0 > /tmp/ev.out 2>&1 &
ev=$!
sleep 1
on_b "(sleep 0.5; ifconfig eth0 down; sleep 12; ifconfig eth0 up) >/dev/null 2>&1 &"
wait_json a connection connecting 30
dd if=/dev/urandom of=/dev/mirror0 bs=1M seek=32 count=8 oflag=direct 2>/dev/null || fail "write while apart"
expect_rc 0 mdctl wait-connect r0 --timeout 60
expect_rc 0 mdctl wait-sync r0 --timeout 120
# The resync is over (the bits of its chunks are cleared once a flush on
# both disks covered them, so status may say recovering a moment longer).
mdctl status --json r0 | grep -q '"sync_role": "none"' || fail "wait-sync returned during the resync: $(mdctl status r0)"
sleep 1
kill $ev; ev=
cat /tmp/ev.out
# In this order (more lines may come between: progress, retries).
line_of() { grep -n -e "$1" /tmp/ev.out | sed -n "${2:-1}p" | cut -d: -f1; }
l1=$(line_of "^exists resource name=r0 role=primary conn=connected ")
l2=$(line_of "^exists -$")
l3=$(line_of "^change resource name=r0 conn=connecting.* peer-disk=unknown")
l4=$(line_of "^change resource name=r0 conn=connected")
l5=$(line_of "^resync-start resource name=r0 role=source total=")
l6=$(line_of "^change resource name=r0 peer-disk=up-to-date")
l7=$(line_of "^resync-end resource name=r0 role=source result=done ")
log "lines: $l1 $l2 $l3 $l4 $l5 $l6 $l7"
[ -n "$l1" ] && [ -n "$l2" ] && [ -n "$l3" ] && [ -n "$l4" ] && [ -n "$l5" ] && [ -n "$l6" ] && [ -n "$l7" ] ||
	fail "events missing"
[ "$l1" -lt "$l2" ] && [ "$l2" -lt "$l3" ] && [ "$l3" -lt "$l4" ] && [ "$l4" -lt "$l5" ] &&
	[ "$l5" -lt "$l6" ] && [ "$l6" -le "$((l7 - 1))" ] || fail "events out of order"

log "wait-connect while the peer is down"
on_b "mdctl down r0" || fail "down b"
wait_json a connection connecting 30
expect_rc 7 mdctl wait-connect r0 --timeout 3
expect_rc 5 on_b "mdctl wait-connect r0 --timeout 3"
expect_rc 5 on_b "mdctl events --now r0"
on_b "mdctl up r0" || fail "up b"
expect_rc 0 mdctl wait-connect r0 --timeout 60
expect_rc 0 mdctl wait-sync r0 --timeout 60

log "wait-sync while the resync is paused"
on_b "mdctl detach r0 >/dev/null" || fail "detach b"
dd if=/dev/urandom of=/dev/mirror0 bs=1M seek=48 count=8 oflag=direct 2>/dev/null || fail "write while detached"
mdctl pause r0 || fail "pause"
on_b "mdctl attach r0 >/dev/null" || fail "attach b"
expect_rc 0 mdctl wait-connect r0 --timeout 30
if out=$(mdctl wait-sync r0 --timeout 5 2>&1); then rc=0; else rc=$?; fi
[ $rc = 7 ] || fail "wait-sync while paused: exit $rc, expected 7: $out"
echo "$out" | grep -q "resync source" || fail "wait-sync's timeout message: $out"
mdctl resume r0 || fail "resume"
expect_rc 0 mdctl wait-sync r0 --timeout 120
tail -n +$((n0 + 1)) $LOG | grep -q "resync paused" || fail "the log does not say paused"
tail -n +$((n0 + 1)) $LOG | grep -q "resync resumed" || fail "the log does not say resumed"
wait_sync
same_disks
echo "events in order; wait-connect and wait-sync return, time out (7) and see a resource down (5)"
