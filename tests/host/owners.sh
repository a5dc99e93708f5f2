#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Each group of mirrord's struct repl is changed only by the file that owns
# it (mirrord/repl.h names the owner beside each group); the others read it
# or call the owner's functions.  The compiler cannot see that in C, so
# this check does: it lists every assignment, increment or compound
# assignment to r->GROUP... in mirrord/*.c and fails on one outside the
# owner.  Reported in cmocka's words for tests/run.sh.
set -uo pipefail
cd "$(dirname "$0")/../.."

# group: the file that may change it (a set-up exception is named below).
declare -A owner=(
	[io]=daemon.c [dev]=daemon.c [opt]=main.c [auth]=daemon.c
	[adm]=admin.c [conn]=conn.c [hs]=handshake.c [tx]=tx.c [rx]=rx.c
	[snd]=send.c [ap]=apply.c [rs]=resync.c [cs]=csum.c [vf]=verify.c
	[ctl]=ctl.c [fn]=fence.c [zc]=compress.c [as]=async.c [bl]=backlog.c
)
pass=0 fail=0
check() {
	local name=$1 bad=$2
	if [ -z "$bad" ]; then
		echo "[       OK ] $name"; pass=$((pass + 1))
	else
		echo "[  FAILED  ] $name"; echo "$bad" | sed 's/^/    /'; fail=$((fail + 1))
	fi
}

# Every group named in repl.h's struct repl has an owner here.
groups=$(sed -n '/^struct repl {/,/^};/p' mirrord/repl.h |
	sed -nE 's/^\t\} ([a-z]+);.*/\1/p; s/^\tstruct [a-z_]+ ([a-z]+);.*/\1/p; s/^\tstruct io_loop \*([a-z]+);.*/\1/p')
missing=
for g in $groups; do [ -n "${owner[$g]:-}" ] || missing+="$g has no owner in tests/host/owners.sh"$'\n'; done
check owners_every_group_listed "${missing%$'\n'}"

# file:line:the written lvalue, one per write (several on a line each).
# Also the first argument of the library calls that write into it.
G='r->(io|dev|opt|auth|adm|conn|hs|tx|rx|snd|ap|rs|cs|vf|ctl|fn|zc|as|bl)\b'
writes=$( { grep -noE "$G"'(\.[a-z_]+(\[[^]]*\])?)*[[:space:]]*(=[^=]|\+\+|--|\+=|-=|\|=|&=)' mirrord/*.c
	   grep -noE '(v?snprintf|memset|memcpy|strcpy|strncpy)\(&?'"$G" mirrord/*.c |
		sed -E 's/:(v?snprintf|memset|memcpy|strcpy|strncpy)\(&?/:/'; } | sort -t: -k1,1 -k2,2n)
bad=
while IFS= read -r line; do
	[ -n "$line" ] || continue
	file=${line%%:*}; file=${file#mirrord/}
	group=$(echo "${line#*:*:}" | sed -nE 's/^r->([a-z]+).*/\1/p')
	[ "${owner[$group]}" = "$file" ] && continue
	bad+="$line (r->$group is ${owner[$group]}'s)"$'\n'
done <<< "$writes"
check owners_only_owners_write "${bad%$'\n'}"

[ $fail -eq 0 ] && echo "[  PASSED  ] $pass test(s)." || { echo "[  PASSED  ] $pass test(s)."; echo "[  FAILED  ] $fail test(s), listed above"; exit 1; }
