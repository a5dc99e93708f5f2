#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Host checks of the Pacemaker resource agent (cluster/mirror.ocf) and its
# fence handler's argument handling, with resource-agents' real
# ocf-shellfuncs: its meta-data validates against the OCF DTD (as
# ocf-tester does), and each action maps what mdctl reports to the OCF
# exit code and promotion score the agent's header promises.  mdctl and
# crm_attribute are stand-ins here that print a given status and record
# their arguments: what is checked is the agent's own decisions.  The
# agent against the real mdctl and Pacemaker runs in make check-cluster.
cd "$(dirname "$0")/../.."
agent=$PWD/cluster/mirror.ocf
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "[       OK ] $1"; }
bad() { fail=$((fail + 1)); echo "[  FAILED  ] $1: $2"; }
if [ ! -f /usr/lib/ocf/lib/heartbeat/ocf-shellfuncs ] || ! command -v jq >/dev/null ||
   ! command -v xmllint >/dev/null; then
	echo "[  SKIPPED ] ocf: resource-agents, jq or xmllint missing (make deps installs them)"
	echo "[  PASSED  ] 0 test(s)."
	exit 0
fi

t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
conf=$t/mirrordisk.conf
: > "$conf"
# A stand-in mdctl: `status` prints $t/status.json and exits with
# $t/status.rc; other commands record themselves and exit with
# $t/CMD.rc (0 if absent), printing $t/CMD.out.
cat > "$t/mdctl" <<EOF
#!/bin/sh
shift 2	# --config FILE
echo "\$*" >> "$t/calls"
cmd=\$1
case \$cmd in
status) cat "$t/status.json"; exit \$(cat "$t/status.rc") ;;
help) exit 0 ;;
esac
[ -f "$t/\$cmd.out" ] && cat "$t/\$cmd.out" >&2
[ -f "$t/\$cmd.json" ] && cp "$t/\$cmd.json" "$t/status.json" && echo 0 > "$t/status.rc"
exit \$(cat "$t/\$cmd.rc" 2>/dev/null || echo 0)
EOF
cat > "$t/crm_attribute" <<EOF
#!/bin/sh
echo "\$*" >> "$t/scores"
EOF
chmod +x "$t/mdctl" "$t/crm_attribute"

status() {	# status RC [key=value...]: what mdctl status says next
	local rc=$1 js='{"resources":[{'
	shift
	for kv in "$@"; do js+="\"${kv%%=*}\":\"${kv#*=}\","; done
	printf '%s"resource":"r0"}]}\n' "$js" > "$t/status.json"
	echo "$rc" > "$t/status.rc"
}

run() {		# run ACTION: the agent's exit code in $rc
	: > "$t/scores"
	: > "$t/calls"
	env -i PATH="$t:/usr/bin:/bin:/usr/sbin:/sbin" OCF_ROOT=/usr/lib/ocf \
		HA_SBIN_DIR="$t" MIRRORDISK_MDCTL="$t/mdctl" OCF_RESKEY_crm_feature_set=3.16.2 \
		OCF_RESKEY_resource=r0 OCF_RESKEY_config="$conf" \
		OCF_RESKEY_CRM_meta_interval="${interval:-20000}" ${extra_env:-} \
		"$agent" "$1" > "$t/out" 2>&1
	rc=$?
}

expect() {	# expect NAME ACTION RC [SCORE|deleted|-]
	local name=$1 action=$2 want=$3 score=${4:--}
	run "$action"
	if [ "$rc" != "$want" ]; then
		bad "$name" "exit $rc, expected $want ($(tail -2 "$t/out" | tr '\n' ' '))"
		return
	fi
	case $score in
	-) ;;
	deleted) grep -q -- "-D" "$t/scores" || { bad "$name" "score not deleted: $(cat "$t/scores")"; return; } ;;
	*) grep -q -- "-v $score\$" "$t/scores" || { bad "$name" "score not $score: $(cat "$t/scores")"; return; } ;;
	esac
	ok "$name"
}

# meta-data: valid against the DTD ocf-tester uses, and as nobody would run it.
if "$agent" meta-data > "$t/meta.xml" 2>/dev/null &&
   xmllint --noout --dtdvalid /usr/share/resource-agents/ra-api-1.dtd "$t/meta.xml" 2>"$t/xmllint"; then
	ok meta_data_valid
else
	bad meta_data_valid "$(head -3 "$t/xmllint")"
fi

up='state=up'
status 5 state=down
expect monitor_not_up_is_7 monitor 7
interval=0 expect probe_not_up_is_7 monitor 7
status 0 $up role=secondary connection=connected disk_state=up-to-date
expect secondary_connected_uptodate monitor 0 10000
status 0 $up role=secondary connection=connecting disk_state=up-to-date peer_disk_state=unknown
expect secondary_peer_unknown monitor 0 1000
status 0 $up role=secondary connection=connecting disk_state=up-to-date peer_disk_state=outdated
expect peer_known_outdated monitor 0 10000
status 0 $up role=secondary connection=connecting disk_state=consistent
expect consistent_lone_start_no_score monitor 0 deleted
for d in outdated inconsistent failed diskless; do
	status 0 $up role=secondary connection=connected disk_state=$d
	expect "${d}_score_deleted" monitor 0 deleted
done
status 0 $up role=primary connection=connected disk_state=up-to-date
expect primary_is_8 monitor 8 10000
status 0 $up role=primary connection=connecting disk_state=failed
expect primary_failed_disk_is_9 monitor 9

# start: mdctl up, leaves the resource secondary; already up: nothing run.
status 5 state=down
printf '{"resources":[{"state":"up","role":"secondary","connection":"connecting","disk_state":"consistent"}]}\n' > "$t/up.json"
expect start_runs_up start 0
grep -q '^up r0' "$t/calls" || bad start_calls_up "calls: $(cat "$t/calls")"
grep -q '^activate' "$t/calls" && bad start_never_promotes "calls: $(cat "$t/calls")"
grep -q '^wait-connect r0 --timeout 10$' "$t/calls" || bad start_waits_for_peer "calls: $(cat "$t/calls")"
# The peer not met within connect_timeout: started alone all the same;
# connect_timeout=0 does not wait.
status 5 state=down
echo 7 > "$t/wait-connect.rc"
expect start_alone_after_timeout start 0
rm -f "$t/wait-connect.rc"
status 5 state=down
extra_env=OCF_RESKEY_connect_timeout=0 expect start_no_wait start 0
grep -q '^wait-connect' "$t/calls" && bad start_no_wait_calls "calls: $(cat "$t/calls")"
status 0 $up role=secondary connection=connected disk_state=up-to-date
expect start_idempotent start 0
grep -q '^up' "$t/calls" && bad start_idempotent_no_up "calls: $(cat "$t/calls")"

# promote: never --force; a refusal fails with mdctl's reason.
status 0 $up role=secondary connection=connecting disk_state=consistent
echo 4 > "$t/activate.rc"
echo "r0: this node's data is consistent, not up to date; use --force to ..." > "$t/activate.out"
expect promote_refused_fails promote 1
grep -q -- '--force' "$t/calls" && bad promote_never_forces "calls: $(cat "$t/calls")"
grep -q "consistent, not up to date" "$t/out" && ok promote_refusal_reason_shown ||
	bad promote_refusal_reason_shown "$(cat "$t/out")"
rm -f "$t/activate.rc" "$t/activate.out"
status 0 $up role=secondary connection=connected disk_state=up-to-date
printf '{"resources":[{"state":"up","role":"primary","connection":"connected","disk_state":"up-to-date"}]}\n' > "$t/activate.json"
expect promote_ok promote 0
grep -qx 'activate r0' "$t/calls" || bad promote_calls_activate "calls: $(cat "$t/calls")"
rm -f "$t/activate.json"
status 0 $up role=primary connection=connected disk_state=up-to-date
expect promote_idempotent promote 0

# demote and stop: idempotent; stop demotes first and needs the device gone.
printf '{"resources":[{"state":"up","role":"secondary","connection":"connected","disk_state":"up-to-date"}]}\n' > "$t/deactivate.json"
expect demote_ok demote 0
printf '{"resources":[{"state":"down"}]}\n' > "$t/down.json"
status 0 $up role=primary connection=connected disk_state=up-to-date
run stop
if [ "$rc" = 0 ] && grep -q '^deactivate r0' "$t/calls" && grep -q '^down r0' "$t/calls" &&
   grep -q -- '-D' "$t/scores"; then ok stop_demotes_downs_deletes_score
else bad stop_demotes_downs_deletes_score "exit $rc, calls: $(cat "$t/calls" | tr '\n' ';') scores: $(cat "$t/scores")"; fi
status 5 state=down
expect stop_when_stopped stop 0
status 0 $up role=secondary connection=connected disk_state=up-to-date
rm -f "$t/down.json"
echo 4 > "$t/down.rc"
echo "r0: /dev/mirror0 is in use" > "$t/down.out"
expect stop_in_use_fails stop 1
rm -f "$t/down.rc" "$t/down.out" "$t/deactivate.json"

# validate-all: the clone's meta attributes.
status 0 $up role=secondary connection=connected disk_state=up-to-date
extra_env="OCF_RESKEY_CRM_meta_clone=0 OCF_RESKEY_CRM_meta_notify=true OCF_RESKEY_CRM_meta_promoted_max=1 OCF_RESKEY_CRM_meta_clone_node_max=1" \
	expect validate_clone_ok validate-all 0
extra_env="OCF_RESKEY_CRM_meta_clone=0 OCF_RESKEY_CRM_meta_notify=false" \
	expect validate_needs_notify validate-all 6
extra_env="OCF_RESKEY_CRM_meta_clone=0 OCF_RESKEY_CRM_meta_notify=true OCF_RESKEY_CRM_meta_promoted_max=2" \
	expect validate_one_promoted validate-all 6
status 3 state=down
expect validate_unknown_resource validate-all 6
MIRRORDISK_MDCTL=/nonexistent extra_env="MIRRORDISK_MDCTL=/nonexistent/mdctl" expect not_installed_is_5 validate-all 5
extra_env="MIRRORDISK_MDCTL=/nonexistent/mdctl" expect stop_not_installed_is_0 stop 0
extra_env="MIRRORDISK_MDCTL=/nonexistent/mdctl" interval=0 expect probe_not_installed_is_7 monitor 7

# The fence handler, asked by a copy that is only consistent (a lone
# start's activation), places nothing: exit 5, before any cluster command.
if env -i PATH=/usr/bin:/bin MD_RESOURCE=r0 MD_PEER=beta MD_DISK_STATE=consistent \
	cluster/pcmk-fence-peer > "$t/fence.out" 2>&1; then rc=0; else rc=$?; fi
if [ "$rc" = 5 ] && grep -q "only consistent" "$t/fence.out"; then
	ok fence_handler_consistent_refuses
else
	bad fence_handler_consistent_refuses "exit $rc: $(cat "$t/fence.out")"
fi
# The fence handler refuses to run without its environment.
if env -i PATH=/usr/bin:/bin cluster/pcmk-fence-peer >/dev/null 2>&1; then
	bad fence_handler_needs_resource "exit 0 without MD_RESOURCE"
else
	ok fence_handler_needs_resource
fi

echo "[  PASSED  ] $pass test(s)."
[ $fail -eq 0 ] || { echo "[  FAILED  ] $fail test(s), listed above"; exit 1; }
