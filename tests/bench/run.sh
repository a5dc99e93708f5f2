#!/usr/bin/env bash
# make bench: raw disk, the mirror and DRBD 8.4 side by side in one pair of
# guests (TCG: absolute numbers mean little, ratios measured in one run do),
# then the table in docs/performance.md, between its BENCH markers, and
# the reading of it (who is ahead where) from the same numbers, so that
# no prose outside the markers has to state a result that a run changes.
#   BENCH_RUNTIME=seconds per fio job (default 20); KSERIES=6.1 by default.
set -euo pipefail
cd "$(dirname "$0")/../.."
series=${KSERIES:-6.1}
kver=$(scripts/kver.sh "$series")
LOGDIR=build/bench
rm -rf "$LOGDIR"; mkdir -p "$LOGDIR"
tests/vm/mkinitramfs.sh "$kver" "build/kmod/$kver/mirrordisk.ko" build/bin build/initramfs-$kver.cpio
python3 tests/vm/bench.py --kernel "$kver" --initrd build/initramfs-$kver.cpio \
	--suite bench --nodes 2 --timeout 900 --disk-mb 1024 --logdir "$LOGDIR" \
	--results "$LOGDIR/results.txt" bench_compare
python3 - "$LOGDIR/$kver-bench-a.console.log" "$kver" <<'PY'
import re, sys, datetime
log, kver = sys.argv[1], sys.argv[2]
res = {}
for m in re.finditer(r"^@@RESULT (\S+) (\S+) (\S+) (\S+) (\S+)", open(log, errors="replace").read(), re.M):
    res[(m.group(1), m.group(2))] = (float(m.group(3)), float(m.group(4)), float(m.group(5)))
names = {"seq1m": "1 MiB sequential write, QD16", "randw4k": "4 KiB random write, QD32",
         "randw4k_qd1": "4 KiB random write, QD1 (sync)",
         "resync_diff": "differential resync, 64 MiB dirty", "resync_full": "full resync (initial sync)"}
# "mirror" is the default configuration: encrypted (kernel TLS); "plain"
# is encryption = none; "plain + xxh3" adds data-integrity to plain.
rows = ["| test | raw | mirror (TLS) | DRBD 8.4 (C) | mirror/raw | DRBD/raw | mirror/DRBD | mirror, no encryption | TLS cost (TLS/plain) | plain + data-integrity | its cost (x/plain) |",
        "|---|---|---|---|---|---|---|---|---|---|---|"]
def fmt(t, v):
    if t.startswith("resync"):
        return f"{v[0]/1024:.1f} MiB/s ({v[2]/1e6:.1f} s)"
    return f"{v[0]/1024:.1f} MiB/s" if t == "seq1m" else f"{v[1]:.0f} IOPS ({v[2]:.0f} µs)"
# Within 5% either way counts as level: runs of the same build differ by that much.
def verdict(x):
    if x > 1.05:
        return f"the mirror is ahead of DRBD (mirror/DRBD {x:.2f})"
    if x < 0.95:
        return f"DRBD is ahead of the mirror (mirror/DRBD {x:.2f})"
    return f"the mirror and DRBD are level (mirror/DRBD {x:.2f})"
reading = []
for t, label in names.items():
    r, m, d = res.get(("raw", t)), res.get(("mirror", t)), res.get(("drbd", t))
    if t.startswith("resync"):
        if m and d:
            rows.append(f"| {label} | - | {fmt(t, m)} | {fmt(t, d)} | - | - | {m[0]/d[0]:.2f} | - | - | - | - |")
            reading.append(f"- {label}: {verdict(float(f'{m[0]/d[0]:.2f}'))}.")
        else:
            rows.append(f"| {label} | missing | | | | | | | | | |")
        continue
    if not (r and m and d):
        rows.append(f"| {label} | missing | | | | | | | | | |"); continue
    k = 0 if t == "seq1m" else 1
    p, x = res.get(("mirror_plain", t)), res.get(("mirror_xxh3", t))
    rows.append(f"| {label} | {fmt(t, r)} | {fmt(t, m)} | {fmt(t, d)} | "
                f"{m[k]/r[k]:.2f} | {d[k]/r[k]:.2f} | {m[k]/d[k]:.2f} | "
                + (f"{fmt(t, p)} | {m[k]/p[k]:.2f} | " if p else "missing | | ")
                + (f"{fmt(t, x)} | {x[k]/p[k]:.2f} |" if x and p else "missing | |"))
    reading.append(f"- {label}: {verdict(float(f'{m[k]/d[k]:.2f}'))}.")
diff, full = res.get(("mirror", "resync_diff")), res.get(("mirror", "resync_full"))
if diff and full:
    reading.append(f"- Proportionality: the mirror's differential resync took {diff[2]/1e6:.1f} s, "
                   f"its full resync {full[2]/1e6:.1f} s ({full[2]/diff[2]:.0f} times as long).")
table = "\n".join(rows)
m = re.search(r"^@@RTT (\S+)", open(log, errors="replace").read(), re.M)
if m:
    table += (f"\n\nNetwork round trip between the guests (ping, average): {m.group(1)} ms. "
              "A synchronous QD1 write cannot beat local write + round trip + remote write.")
m = re.search(r"^@@AES (\S+)", open(log, errors="replace").read(), re.M)
if m:
    table += f"\n\nKernel TLS ran on the guests' AES-GCM driver `{m.group(1)}`."
if reading:
    table += ("\n\nReading of this run (generated from the same numbers; within 5% counts "
              "as level):\n\n" + "\n".join(reading))
stamp = f"Measured {datetime.date.today()} by `make bench` on kernel {kver}, qemu TCG, two 1-vCPU guests."
print(table); print(stamp)
path = "docs/performance.md"
doc = open(path).read()
new = f"<!-- BENCH:BEGIN -->\n{stamp}\n\n{table}\n<!-- BENCH:END -->"
doc = re.sub(r"<!-- BENCH:BEGIN -->.*<!-- BENCH:END -->", new, doc, flags=re.S)
open(path, "w").write(doc)
PY
