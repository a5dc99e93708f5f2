# SPDX-License-Identifier: GPL-2.0-or-later
# mdctl adjust (issue 21, item 7): the running daemon reads the
# configuration file again.  Runtime settings (resync-rate, timeout,
# handlers) act at once: a rate written into the file limits the resync
# that runs; a port change is refused with the key and exit 4, and
# nothing of that file is applied; a broken file is refused by mdctl
# before the daemon sees it (exit 3).  'mdctl set' lasts until the next
# adjust or up.
. /tests/lib.sh
start_pair
n0=$(wc -l < /var/log/mirrordisk/r0.log)
on_b "killall -9 mirrord" || fail "kill b"
sleep 1
fio_write --rw=write --bs=1m --size=16m --offset=0 --iodepth=4
# A rate in the file, applied by adjust before b returns.
sed -i 's/^timeout = .*/timeout = 7/' /etc/mirrordisk/mirrordisk.conf
grep -q '^timeout = 7' /etc/mirrordisk/mirrordisk.conf || sed -i '/^port/a timeout = 7' /etc/mirrordisk/mirrordisk.conf
sed -i '/^timeout = 7/a resync-rate = 2M' /etc/mirrordisk/mirrordisk.conf
out=$(mdctl adjust r0) || fail "adjust: $out"
echo "$out" | grep -q "applied timeout, resync-rate" || fail "adjust said: $out"
mdctl status --json r0 | grep -q '"resync_rate_limit_bytes": 2097152' || fail "rate from the file not applied"
grep -q "adjusted from the configuration file: timeout 7 s" /var/log/mirrordisk/r0.log || fail "not logged"
out=$(mdctl adjust r0) || fail "adjust again: $out"
echo "$out" | grep -q "nothing to change" || fail "a second adjust changed something: $out"
on_b "mdctl up r0" || fail "restart b"
wait_conn
sleep 3
d=$(mdctl status --json r0 | json_field sync_done_bytes)
[ "$d" -lt 16777216 ] || fail "the resync ran unlimited ($d bytes in 3 s)"
# A port change: refused, and the runtime change beside it not applied.
cp /etc/mirrordisk/mirrordisk.conf /tmp/adjust.conf
sed -i 's/^resync-rate = 2M/resync-rate = 0/; s/^port = .*/port = 7999/' /etc/mirrordisk/mirrordisk.conf
expect_rc 4 mdctl adjust r0
mdctl adjust r0 2>&1 | grep -q "port changed: a running resource cannot take it" || fail "no reason for the refusal"
mdctl status --json r0 | grep -q '"resync_rate_limit_bytes": 2097152' || fail "a refused adjust applied the rate"
# A broken file: mdctl refuses it (configuration error).
echo "timeout = soon" >> /etc/mirrordisk/mirrordisk.conf
expect_rc 3 mdctl adjust r0
cp /tmp/adjust.conf /etc/mirrordisk/mirrordisk.conf
sed -i 's/^resync-rate = 2M/resync-rate = 0/' /etc/mirrordisk/mirrordisk.conf
mdctl adjust r0 >/dev/null || fail "adjust back to no limit"
wait_sync
conf_install
mdctl adjust r0 >/dev/null || true
mdctl deactivate r0 >/dev/null
same_disks
echo "adjust applied the file's runtime settings and refused a port change with the reason"
