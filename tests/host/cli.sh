#!/usr/bin/env bash
# Host checks of mdctl's command line that need no module and no root:
# exit codes of usage and configuration errors, and that the man page and
# bash completion list every command 'mdctl help' has.
cd "$(dirname "$0")/../.."
mdctl=build/bin/mdctl
pass=0 fail=0
check() {	# check NAME WANT CMD...
	local name=$1 want=$2; shift 2
	"$@" >/dev/null 2>&1; local got=$?
	if [ "$got" = "$want" ]; then pass=$((pass + 1)); echo "[       OK ] $name"
	else fail=$((fail + 1)); echo "[  FAILED  ] $name: exit $got, expected $want"; fi
}
conf=$(mktemp); trap 'rm -f "$conf"' EXIT
cp tests/vm/guest/md.conf "$conf"
check no_command 2 $mdctl
check unknown_command 2 $mdctl frobnicate
check bad_option 2 $mdctl --bogus status
check missing_resource 2 $mdctl -c "$conf" up
check extra_argument 2 $mdctl -c "$conf" up r0 r1
check options_after_resource 3 $mdctl -c "$conf" -n node-a rebuild r0 --from node-z
check rebuild_needs_from 2 $mdctl -c "$conf" -n node-a rebuild r0
check set_needs_value 2 $mdctl -c "$conf" -n node-a set r0 resync-rate
check set_bad_size 2 $mdctl -c "$conf" -n node-a set r0 resync-rate=lots
check set_unknown_key 2 $mdctl -c "$conf" -n node-a set r0 colour=blue
check set_async_refused 4 $mdctl -c "$conf" -n node-a set r0 mode=async
check unknown_resource 3 $mdctl -c "$conf" -n node-a status nosuch
check unknown_node 3 $mdctl -c "$conf" -n node-x up r0
check missing_config 3 $mdctl -c /nonexistent.conf status
check help 0 $mdctl help
cmds=$($mdctl help | awk '/^commands:/ {c = 1; next} /^$/ {c = 0} c {print $1}')
for c in $cmds; do
	m=${c//-/\\\\-}	# roff writes - as \-
	if grep -qE "^\.(BI|B|RI) \"?$m( |\"|\$)|Alias: \\\\fB$m\\\\fR" docs/man/mdctl.8; then
		pass=$((pass + 1)); echo "[       OK ] man_lists_$c"
	else fail=$((fail + 1)); echo "[  FAILED  ] man page lacks $c"; fi
	if source scripts/mdctl.bash-completion && COMP_WORDS=(mdctl "$c") COMP_CWORD=1 _mdctl && [[ " ${COMPREPLY[*]} " == *" $c "* ]]; then
		pass=$((pass + 1)); echo "[       OK ] completion_lists_$c"
	else fail=$((fail + 1)); echo "[  FAILED  ] bash completion lacks $c"; fi
done
echo "[  PASSED  ] $pass test(s)."
[ $fail -eq 0 ] || echo "[  FAILED  ] $fail test(s), listed above"
[ $fail -eq 0 ]
