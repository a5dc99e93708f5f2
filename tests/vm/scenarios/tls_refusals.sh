# SPDX-License-Identifier: GPL-2.0-or-later
# Issue [8], what an encrypted link refuses.  Encryption configured
# differently on the two nodes: both refuse, say why, and nothing crosses.
# The kernel's TLS module missing on b: the link is refused with that
# reason (fail closed: never in clear, never TLS in user space); with the
# module back, b connects and resyncs by itself, no restart.
. /tests/lib.sh
sed 's/^timeout = 5/&\nencryption = none/' /tests/md.conf > /tmp/none.conf
on_b "sed 's/^timeout = 5/&\nencryption = none/' /tests/md.conf > /tmp/none.conf"
md_load; conf_install
on_b ". /tests/lib.sh; md_load; conf_install /tmp/none.conf; mdctl create --force --assume-clean r0 >/dev/null && mdctl up r0" >/dev/null ||
	fail "up b"
mdctl create --force --assume-clean r0 >/dev/null || fail "create a"
mdctl up r0 >/dev/null || fail "up a"
mdctl activate --force r0 >/dev/null || fail "activate a"
n=$((16 << 20))
before=$(on_b ". /tests/lib.sh; digest /dev/vda $n")
dd if=/dev/urandom of=/dev/mirror0 bs=1M count=4 oflag=direct 2>/dev/null || fail "write on a"
wait_log a "encryption differs"
wait_log b "encryption differs"
mdctl status --json r0 | json_field last_error | grep -q "encryption differs" || fail "a's status does not say why"
on_b "mdctl status --json r0" | json_field last_error | grep -q "encryption differs" || fail "b's status does not say why"
mdctl status --json r0 | grep -q '"connection": "connected"' && fail "connected although encryption differs"
[ "$(on_b ". /tests/lib.sh; digest /dev/vda $n")" = "$before" ] || fail "b's disk changed"
log "encryption tls on a, none on b: both refuse and say why"

on_b "mdctl down r0" >/dev/null || fail "down b"
i=0
until on_b "rmmod tls 2>/dev/null || ! lsmod | grep -q '^tls '"; do
	i=$((i + 1)); [ $i -gt 50 ] && fail "cannot unload tls on b: $(on_b "lsmod | grep '^tls '")"
	sleep 0.2
done
on_b ". /tests/lib.sh; conf_install; mdctl up r0" >/dev/null || fail "up b with tls"
wait_log b "the kernel did not take over"
on_b "mdctl status --json r0" | json_field last_error | grep -q "modprobe tls" || fail "b's status does not say modprobe tls"
mdctl status --json r0 | grep -q '"connection": "connected"' && fail "connected without the kernel's TLS on b"
log "b without the tls module: refused, $(on_b "mdctl status --json r0" | json_field last_error)"
on_b "insmod /modules/tls.ko" || fail "insmod tls on b"
wait_conn 30; wait_sync
on_b "grep -q 'encrypted: TLS 1.2 in the kernel' /var/log/mirrordisk/r0.log" || fail "b is not encrypted now"
mdctl deactivate r0 >/dev/null
same_disks
echo "mismatched encryption and a kernel without TLS are refused with the reason; the module back, the pair resyncs"
