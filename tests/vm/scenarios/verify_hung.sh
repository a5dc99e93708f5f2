# SPDX-License-Identifier: GPL-2.0-or-later
# mdctl verify gives up on a daemon that reports nothing: mirrord on this
# node is stopped (SIGSTOP) before the request, so it never takes it.
# verify must end with exit 1 and say the daemon may be hung, within its
# 30 s stall bound, not wait forever; the daemon resumes afterwards.
. /tests/lib.sh
start_pair
pid=$(pidof mirrord) || fail "no mirrord"
kill -STOP $pid
start=$(cut -d. -f1 /proc/uptime)
rc=0; timeout 90 mdctl verify r0 > /tmp/vf.out 2>&1 || rc=$?
took=$(($(cut -d. -f1 /proc/uptime) - start))
kill -CONT $pid
cat /tmp/vf.out
[ $rc = 1 ] || fail "verify exited $rc after ${took} s, expected 1"
grep -q 'no progress' /tmp/vf.out || fail "the message does not say the daemon made no progress"
[ $took -lt 60 ] || fail "verify took ${took} s to give up"
wait_conn 60
mdctl deactivate r0 >/dev/null
echo "verify gave up on a stopped daemon after ${took} s"
