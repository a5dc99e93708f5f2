#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# scripts/fence-peer-ssh: ssh's outcome mapped to DRBD's fence-peer exit
# codes (0 -> 4 outdated, 255 -> 5 unreachable, other -> 6 refused), the
# address from the argument or MD_FENCE_SSH_ADDRESS, the remote command,
# and the refusals of a wrong call.  A fake ssh on PATH records its
# arguments and exits as told.  Reported in cmocka's words for tests/run.sh.
set -uo pipefail
cd "$(dirname "$0")/../.."
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
cat > "$tmp/ssh" <<'EOS'
#!/bin/sh
echo "$@" > "$FAKE_SSH_ARGS"
exit "$FAKE_SSH_RC"
EOS
chmod +x "$tmp/ssh"
export PATH="$tmp:$PATH" FAKE_SSH_ARGS="$tmp/args"
pass=0 fail=0
check() {	# NAME WANT_RC [ENV...] -- ARGS...: run the script, compare its exit code
	local name=$1 want=$2 got; shift 2
	env "$@" scripts/fence-peer-ssh > "$tmp/out" 2>&1; got=$?
	if [ "$got" = "$want" ]; then echo "[       OK ] $name"; pass=$((pass + 1))
	else echo "[  FAILED  ] $name: exit $got, want $want"; sed 's/^/    /' "$tmp/out"; fail=$((fail + 1)); fi
}
check ssh_ok_means_outdated 4 MD_RESOURCE=r0 MD_PEER=b FAKE_SSH_RC=0 MD_FENCE_SSH_ADDRESS=10.9.9.2
if grep -q "root@10.9.9.2 mdctl outdate r0" "$tmp/args"; then echo "[       OK ] remote_command"; pass=$((pass + 1))
else echo "[  FAILED  ] remote_command: $(cat "$tmp/args")"; fail=$((fail + 1)); fi
check ssh_unreachable 5 MD_RESOURCE=r0 FAKE_SSH_RC=255 MD_FENCE_SSH_ADDRESS=10.9.9.2
check outdate_refused 6 MD_RESOURCE=r0 FAKE_SSH_RC=4 MD_FENCE_SSH_ADDRESS=10.9.9.2
check no_resource 1 FAKE_SSH_RC=0 MD_FENCE_SSH_ADDRESS=10.9.9.2
check no_address 1 MD_RESOURCE=r0 FAKE_SSH_RC=0
check odd_resource_name 1 "MD_RESOURCE=r0;reboot" FAKE_SSH_RC=0 MD_FENCE_SSH_ADDRESS=x
# The argument wins over the environment.
env MD_RESOURCE=r0 FAKE_SSH_RC=0 MD_FENCE_SSH_ADDRESS=env-addr MD_FENCE_SSH_USER=admin scripts/fence-peer-ssh arg-addr >/dev/null
if grep -q "admin@arg-addr mdctl outdate r0" "$tmp/args"; then echo "[       OK ] argument_address_and_user"; pass=$((pass + 1))
else echo "[  FAILED  ] argument_address_and_user: $(cat "$tmp/args")"; fail=$((fail + 1)); fi
echo "[  PASSED  ] $pass test(s)."
[ $fail -eq 0 ] || { echo "[  FAILED  ] $fail test(s), listed above"; exit 1; }
