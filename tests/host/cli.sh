#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Host checks of mdctl's command line that need no module and no root:
# exit codes of usage and configuration errors, help and --version, what
# --dry-run does without the module, how the configuration is read, and
# that the man page and bash completion list every command 'mdctl help' has.
cd "$(dirname "$0")/../.."
mdctl=build/bin/mdctl
pass=0 fail=0
check() {	# check NAME WANT CMD...
	local name=$1 want=$2; shift 2
	"$@" >/dev/null 2>&1; local got=$?
	if [ "$got" = "$want" ]; then pass=$((pass + 1)); echo "[       OK ] $name"
	else fail=$((fail + 1)); echo "[  FAILED  ] $name: exit $got, expected $want"; fi
}
check_out() {	# check_out NAME WANT PATTERN CMD...: exit code, and stdout matches PATTERN
	local name=$1 want=$2 pat=$3 out got; shift 3
	out=$("$@" 2>/dev/null); got=$?
	if [ "$got" = "$want" ] && grep -qE -- "$pat" <<<"$out"; then pass=$((pass + 1)); echo "[       OK ] $name"
	else fail=$((fail + 1)); echo "[  FAILED  ] $name: exit $got (expected $want), output '$out' lacks /$pat/"; fi
}
# The secret in a directory of its own: mdctl refuses one in /tmp itself.
conf=$(mktemp) conf2=$(mktemp) secdir=$(mktemp -d) tmpsecret=$(mktemp -u)
secret=$secdir/t1.secret
trap 'rm -f "$conf" "$conf2" "$tmpsecret"; rm -rf "$secdir"' EXIT
cp tests/vm/guest/md.conf "$conf"
# Disks that do not exist: nothing here can touch a disk of this host.
cat > "$conf2" <<'EOF'
# inline comments after white space, ';' (inih) and '#' (lib/config.c)
[resource t1]  # trailing
minor = 7 # the second database
resync-rate = 10M ; at night
[resource t1 node node-a]
address = 10.77.0.1	# tab before
disk = /nonexistent/mdctl-cli-test-a#1 ; a '#' inside a word is data
[resource t1 node node-b]
address = 10.77.0.2
disk = /nonexistent/mdctl-cli-test-b
EOF
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
check set_bad_mode 2 $mdctl -c "$conf" -n node-a set r0 mode=fast
check set_bad_async_buffer 2 $mdctl -c "$conf" -n node-a set r0 async-buffer=1K
check set_bad_max_lag 2 $mdctl -c "$conf" -n node-a set r0 max-lag=-3
check set_bad_on_congestion 2 $mdctl -c "$conf" -n node-a set r0 on-congestion=drop
check adjust_unknown_resource 3 $mdctl -c "$conf" -n node-a adjust r9
check adjust_without_module 1 $mdctl -c "$conf" -n node-a adjust r0
check_out dry_run_adjust 0 '^would have mirrord of r0 read .* again and apply its runtime settings' $mdctl -c "$conf" -n node-a adjust r0 --dry-run
# mirrord's measuring options: a bad value is a usage error (2), before
# any configuration is read.
check mirrord_bad_sched 2 build/bin/mirrord --sched fifo r0
check mirrord_bad_chan_read 2 build/bin/mirrord --chan-read sometimes r0
check mirrord_bad_uring_on 2 build/bin/mirrord --uring-on turbo r0
check wait_needs_resource 2 $mdctl -c "$conf" -n node-a wait-connect
check wait_bad_timeout 2 $mdctl -c "$conf" -n node-a wait-sync r0 --timeout soon
check wait_negative_timeout 2 $mdctl -c "$conf" -n node-a wait-sync r0 --timeout -1
check wait_unknown_resource 3 $mdctl -c "$conf" -n node-a wait-connect nosuch
# No mirrord here (an empty run directory): not up, 5.
rundir=$(mktemp -d)
check wait_not_up 5 env MD_RUN_DIR="$rundir" $mdctl -c "$conf" -n node-a wait-sync r0 --timeout 1
check events_not_up 5 env MD_RUN_DIR="$rundir" $mdctl -c "$conf" -n node-a events --now r0
check_out events_none_up 0 '^exists -$' env MD_RUN_DIR="$rundir" $mdctl -c "$conf" -n node-a events --now
rmdir "$rundir"
check unknown_resource 3 $mdctl -c "$conf" -n node-a status nosuch
check unknown_node 3 $mdctl -c "$conf" -n node-x up r0
check missing_config 3 $mdctl -c /nonexistent.conf status
check help 0 $mdctl help
check_out version 0 '^mdctl [0-9A-Za-z][-.+_0-9A-Za-z]*$' $mdctl --version
check_out version_short 0 '^mdctl [0-9A-Za-z][-.+_0-9A-Za-z]*$' $mdctl -V
check_out version_after_command 0 '^mdctl ' $mdctl status --version
check help_unknown_command 2 $mdctl help frobnicate
check help_two_commands 2 $mdctl help up down

# --dry-run without the module: a dry run that reached the module or the
# daemon would fail here, as the real command does (exit 1), so exit 0 and
# a "would" line show that it stopped before either.  Never run the real
# commands where the module is loaded: they would act.
t1="-c $conf2 -n node-a"
check_out dry_run_pause 0 '^would pause the resync of t1' $mdctl $t1 --dry-run pause t1
check_out dry_run_resume 0 '^would resume the resync of t1' $mdctl $t1 resume t1 --dry-run
check_out dry_run_set 0 '^would set the resync-rate of t1 to 41943040 bytes/s' $mdctl $t1 set t1 resync-rate=40M --dry-run
check_out dry_run_destroy_minor 0 '^would remove /dev/mirror7$' $mdctl --dry-run destroy-minor 7
# No secret and no 'auth = none': mirrord would not start, so up refuses.
check_out up_without_secret 3 '^$' $mdctl $t1 up t1 --dry-run
[[ "$($mdctl $t1 up t1 --dry-run 2>&1)" == *"has no secret-file"* ]] && pass=$((pass + 1)) && echo "[       OK ] up_without_secret_says_why" ||
	{ fail=$((fail + 1)); echo "[  FAILED  ] up_without_secret_says_why"; }
sed -i "s|^resync-rate = 10M ; at night|&\nsecret-file = $secret|" "$conf2"
check up_secret_missing 3 $mdctl $t1 up t1 --dry-run
printf 'a-shared-secret-of-some-length\n' > "$secret"; chmod 644 "$secret"
check_out up_secret_readable_by_others 3 '^$' $mdctl $t1 up t1 --dry-run
[[ "$($mdctl $t1 up t1 --dry-run 2>&1)" == *"chmod 600"* ]] && pass=$((pass + 1)) && echo "[       OK ] up_secret_mode_says_why" ||
	{ fail=$((fail + 1)); echo "[  FAILED  ] up_secret_mode_says_why"; }
chmod 600 "$secret"
# Straight in /tmp (mode 1777), as ssh's StrictModes would refuse it.
sed -i "s|^secret-file = .*|secret-file = $tmpsecret|" "$conf2"
printf 'a-shared-secret-of-some-length\n' > "$tmpsecret"; chmod 600 "$tmpsecret"
check_out up_secret_in_tmp 3 '^$' $mdctl $t1 up t1 --dry-run
[[ "$($mdctl $t1 up t1 --dry-run 2>&1)" == *"directory /tmp holding the secret file"*"writable by group or others"* ]] &&
	pass=$((pass + 1)) && echo "[       OK ] up_secret_in_tmp_says_why" ||
	{ fail=$((fail + 1)); echo "[  FAILED  ] up_secret_in_tmp_says_why"; }
sed -i "s|^secret-file = .*|secret-file = $secret|" "$conf2"
check_out dry_run_up 0 '^would create /dev/mirror7 over /nonexistent/mdctl-cli-test-a#1' $mdctl $t1 up t1 --dry-run
sed -i "s|^secret-file = .*|auth = none|" "$conf2"
check_out dry_run_up_auth_none 0 '^would create /dev/mirror7' $mdctl $t1 up t1 --dry-run
# Not up here: status exits 5 (not up) and still prints its JSON.
check_out status_auth_none 5 '"auth": "none"' $mdctl $t1 status --json t1
check_out status_auth_none_not_encrypted 5 '"encryption": "none"' $mdctl $t1 status --json t1
check_out status_not_up_says_down 5 '"state": "down"' $mdctl $t1 status --json t1
sed -i "s|^auth = none|&\nencryption = tls|" "$conf2"
check_out up_tls_without_secret 3 '^$' $mdctl $t1 up t1 --dry-run
[[ "$($mdctl $t1 up t1 --dry-run 2>&1)" == *"encryption = tls needs a secret-file"* ]] && pass=$((pass + 1)) &&
	echo "[       OK ] up_tls_without_secret_says_why" ||
	{ fail=$((fail + 1)); echo "[  FAILED  ] up_tls_without_secret_says_why"; }
sed -i "/^encryption = tls/d" "$conf2"
check dry_run_set_bad_size 2 $mdctl $t1 set t1 resync-rate=lots --dry-run
check_out dry_run_set_async 0 '^would set the mode of t1 to async' $mdctl $t1 set t1 mode=async --dry-run
check dry_run_destroy_bad_minor 2 $mdctl --dry-run destroy-minor 64
check dry_run_unknown_resource 3 $mdctl $t1 --dry-run pause nosuch
if [ ! -e /dev/mirrordisk-ctl ]; then
	check real_pause_needs_module 1 $mdctl $t1 pause t1
	check real_set_needs_module 1 $mdctl $t1 set t1 resync-rate=40M
	check real_destroy_minor_needs_module 1 $mdctl destroy-minor 7
else
	echo "[  SKIPPED ] real_*_needs_module: the mirrordisk module is loaded here"
fi

# The configuration: inline comments, the documented limits.
check_out inline_comments 5 '"device": "/dev/mirror7"' $mdctl $t1 status t1 --json
check_out inline_comment_in_word 5 '"disk": "/nonexistent/mdctl-cli-test-a#1"' $mdctl $t1 status t1 --json
sed 's/^minor = 7.*/minor = 64/' "$conf2" > "$conf"
check minor_64_refused 3 $mdctl -c "$conf" -n node-a status t1
sed 's/^minor = 7.*/minor = 63/' "$conf2" > "$conf"
check minor_63_taken 5 $mdctl -c "$conf" -n node-a status t1
cp tests/vm/guest/md.conf "$conf"

cmds=$($mdctl help | awk '/^commands:/ {c = 1; next} /^$/ {c = 0} c {print $1}')
for c in $cmds; do
	# help COMMAND prints the summary the list has: both come from one table.
	# The list's columns: 2 spaces, the name in 14, 1, the arguments in 19, 1.
	summary=$($mdctl help | awk -v c="$c" '$1 == c {print substr($0, 38); exit}')
	check_out "help_$c" 0 "^  $(sed 's/[][().*+?^$|\\]/\\&/g' <<<"$summary")\$" $mdctl help "$c"
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
