# SPDX-License-Identifier: GPL-2.0-or-later
# Bad input: each a clear message and the documented exit code, and
# nothing changed on disk (the resource is down, so the disk must be
# byte-identical before and after).
. /tests/lib.sh
md_load; conf_install
mdctl create --force --assume-clean r0 >/dev/null || fail "create"
before=$(digest /dev/vda)
expect_rc 2 mdctl
expect_rc 2 mdctl frobnicate r0
expect_rc 2 mdctl up
expect_rc 2 mdctl up r0 extra
expect_rc 2 mdctl --bogus status
expect_rc 3 mdctl status nosuch
expect_rc 3 mdctl up nosuch
expect_rc 3 mdctl -n node-x up r0
printf '[resource r0]\nminor = banana\n' > /tmp/bad.conf
expect_rc 3 mdctl -c /tmp/bad.conf up r0
mdctl -c /tmp/bad.conf up r0 2>&1 | grep -q 'bad.conf' || fail "config error does not name the file"
expect_rc 3 mdctl -c /nonexistent.conf status
expect_rc 4 mdctl create r0			# holds metadata already
expect_rc 5 mdctl activate r0			# not up
expect_rc 5 mdctl status r0			# not up: a monitor's exit code ...
mdctl status --json r0 | grep -q '"state": "down"' || fail "status prints no JSON when not up"	# ... output all the same
expect_rc 2 mdctl outdate
expect_rc 3 mdctl outdate nosuch
expect_rc 5 mdctl detach r0
expect_rc 5 mdctl attach r0
expect_rc 5 mdctl grant r0
expect_rc 5 mdctl pause r0
expect_rc 2 mdctl rebuild r0
expect_rc 3 mdctl rebuild r0 --from node-z
expect_rc 4 mdctl rebuild r0 --from node-b	# no --yes
expect_rc 2 mdctl set r0
expect_rc 2 mdctl set r0 resync-rate
expect_rc 2 mdctl set r0 resync-rate=lots
expect_rc 2 mdctl set r0 colour=blue
expect_rc 2 mdctl set r0 mode=fast
expect_rc 5 mdctl set r0 mode=async		# not up
expect_rc 0 mdctl down r0			# already down
[ "$(digest /dev/vda)" = "$before" ] || fail "a refused command changed the disk"
# Up, in the wrong state: refused, nothing changed.
mdctl up r0 >/dev/null || fail "up"
size=$(mdctl status --json r0 | json_field size_bytes)
data=$(digest /dev/vda "$size")	# the data area (the metadata changes with activate)
expect_rc 4 mdctl grant r0			# not detached
expect_rc 0 mdctl attach r0			# already attached
expect_rc 0 mdctl revoke r0			# nothing granted
mdctl activate --force r0 >/dev/null || fail "activate"
sleep 600 < /dev/mirror0 &	# a user holding the device open
holder=$!
sleep 0.5
expect_rc 4 mdctl deactivate r0			# in use
expect_rc 4 mdctl down r0
mdctl deactivate r0 2>&1 | grep -q 'in use' || fail "deactivate does not say why"
kill $holder; wait $holder 2>/dev/null || true
mdctl deactivate r0 >/dev/null || fail "deactivate"
mdctl down r0 >/dev/null || fail "down"
[ "$(digest /dev/vda "$size")" = "$data" ] || fail "the refused commands changed the data"
echo "every bad input refused with its exit code"
