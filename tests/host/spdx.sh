#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Host check of the licensing (COPYING): every tracked source file carries
# an SPDX-License-Identifier line with its directory's license, on its
# first line (the second after a #! line):
#   kmod/, Kbuild          GPL-2.0-only
#   proto/                 (GPL-2.0-only WITH Linux-syscall-note) OR MIT
#   everything else        GPL-2.0-or-later
# Checked: kmod lib mirrord mdctl proto tests scripts packaging cluster debian
# docs/man, the top-level Makefile and Kbuild, .ci/run.  Left out, as data
# or formats without comments: the fuzz corpora, debian's changelog,
# control, copyright, source/format, *.install and README.* files.  Also:
# the license texts COPYING names exist, and debian/copyright says the same.
cd "$(dirname "$0")/../.."
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "[       OK ] $1"; }
bad() { fail=$((fail + 1)); echo "[  FAILED  ] $1"; }

if ! files=$(git ls-files 2>/dev/null) || [ -z "$files" ]; then
	echo "[  SKIPPED ] spdx: not a git checkout"
	echo "[  PASSED  ] 0 test(s)."
	exit 0
fi

license_of() {	# the license a path must carry
	case $1 in
	kmod/*|Kbuild) echo "GPL-2.0-only" ;;
	proto/*) echo "(GPL-2.0-only WITH Linux-syscall-note) OR MIT" ;;
	*) echo "GPL-2.0-or-later" ;;
	esac
}

left_out() {	# data, or a format without comments
	case $1 in
	tests/fuzz/corpus/*|debian/changelog|debian/control|debian/copyright) return 0 ;;
	debian/source/format|debian/*.install|debian/README.*) return 0 ;;
	esac
	return 1
}

spdx_line() {	# the file's SPDX line: line 1, or line 2 after #!
	local first
	IFS= read -r first < "$1" || [ -n "$first" ] || return 1
	if [[ $first == '#!'* ]]; then
		sed -n '2{p;q}' "$1"
	else
		printf '%s\n' "$first"
	fi
}

for group in kmod lib mirrord mdctl proto tests scripts packaging cluster debian docs/man top; do
	if [ $group = top ]; then
		list=$(printf '%s\n' Makefile Kbuild .ci/run)
	else
		list=$(grep "^$group/" <<<"$files")
	fi
	wrong=() n=0
	while IFS= read -r f; do
		[ -n "$f" ] && [ -f "$f" ] || continue
		left_out "$f" && continue
		n=$((n + 1))
		want=$(license_of "$f")
		line=$(spdx_line "$f")
		got=$(sed -n 's/.*SPDX-License-Identifier: \(.*\)$/\1/p' <<<"$line" |
		      sed 's/[[:space:]]*\*\/[[:space:]]*$//; s/[[:space:]]*$//')
		if [ -z "$got" ]; then
			wrong+=("$f: no SPDX-License-Identifier line")
		elif [ "$got" != "$want" ]; then
			wrong+=("$f: '$got', expected '$want'")
		fi
	done <<<"$list"
	if [ ${#wrong[@]} -eq 0 ] && [ $n -gt 0 ]; then
		ok "spdx_$group ($n files)"
	else
		bad "spdx_$group: ${#wrong[@]} of $n files"
		printf '    %s\n' "${wrong[@]}"
	fi
done

missing=()
for f in COPYING LICENSES/GPL-2.0.txt LICENSES/Linux-syscall-note.txt LICENSES/MIT.txt; do
	[ -s "$f" ] || missing+=("$f")
done
if [ ${#missing[@]} -eq 0 ]; then ok license_texts; else bad "license_texts: missing ${missing[*]}"; fi

# debian/copyright (DEP-5): the same three licenses on the same paths.
cp=debian/copyright
if ! grep -q 'undeclared' $cp &&
   awk '/^Files: \*$/ {f = 1; next} f && /^License:/ {print; exit}' $cp | grep -qx 'License: GPL-2+' &&
   awk '/^Files: kmod\/\*/ {f = 1; next} f && /^License:/ {print; exit}' $cp | grep -qx 'License: GPL-2' &&
   awk '/^Files: proto\/\*/ {f = 1; next} f && /^License:/ {print; exit}' $cp |
	grep -qx 'License: GPL-2 with Linux-syscall-note exception or Expat'; then
	ok debian_copyright
else
	bad "debian_copyright: $cp does not say GPL-2+ for *, GPL-2 for kmod/*, GPL-2 with Linux-syscall-note exception or Expat for proto/*"
fi

echo "[  PASSED  ] $pass test(s)."
[ $fail -eq 0 ] || echo "[  FAILED  ] $fail test(s), listed above"
[ $fail -eq 0 ]
