#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# make bench: raw disk, the mirror and DRBD 8.4 side by side in one pair of
# guests (TCG: absolute numbers mean little, ratios measured in one run do),
# then the table in docs/performance.md, between its BENCH markers, and
# the reading of it (who is ahead where) from the same numbers, so that
# no prose outside the markers has to state a result that a run changes.
#   BENCH_RUNTIME=seconds per fio job (default 20); KSERIES=6.1 by default.
# Then compression (bench_compress: none, zstd, auto on a throttled and
# the unthrottled link) in its own boot, its own table between the ZBENCH
# markers (tests/bench/compress_table.py); then asynchronous replication
# beside DRBD protocol A (bench_async, over a link delayed 10 ms), its table
# between the ABENCH markers (tests/bench/async_table.py).
# BENCH_ONLY=compress or BENCH_ONLY=async runs only that part, and leaves
# the other tables as they are.
set -euo pipefail
cd "$(dirname "$0")/../.."
series=${KSERIES:-6.1}
kver=$(scripts/kver.sh "$series")
LOGDIR=build/bench
rm -rf "$LOGDIR"; mkdir -p "$LOGDIR"
tests/vm/mkinitramfs.sh "$kver" "build/kmod/$kver/mirrordisk.ko" build/bin build/initramfs-$kver.cpio
if [ "${BENCH_ONLY:-}" = "" ]; then
python3 tests/vm/runner.py --kernel "$kver" --initrd build/initramfs-$kver.cpio \
	--suite bench --nodes 2 --timeout 900 --disk-mb 1024 --logdir "$LOGDIR" \
	--results "$LOGDIR/results.txt" bench_compare
# For scale: the cipher kernel TLS uses, on this host's real CPU (one core,
# 16 KiB records, OpenSSL in user space), in kB/s.
aes=$(timeout 60 openssl speed -elapsed -seconds 2 -bytes 16384 -evp aes-128-gcm 2>/dev/null |
	awk '/^AES-128-GCM/ { sub(/k$/, "", $2); print $2 }')
python3 - "$LOGDIR/$kver-bench-a.console.log" "$kver" "${aes:-0}" <<'PY'
import re, sys, datetime
log, kver, host_aes = sys.argv[1], sys.argv[2], float(sys.argv[3])
res, pct = {}, {}
for m in re.finditer(r"^@@RESULT (\S+) (\S+) (\S+) (\S+) (\S+)(?: (\S+) (\S+) (\S+))?",
                     open(log, errors="replace").read(), re.M):
    res[(m.group(1), m.group(2))] = (float(m.group(3)), float(m.group(4)), float(m.group(5)))
    if m.group(6):	# fio's completion latency percentiles (bench/mirror.fio)
        pct[(m.group(1), m.group(2))] = tuple(float(m.group(i)) for i in (6, 7, 8))
names = {"seq1m": "1 MiB sequential write, QD16", "randw4k": "4 KiB random write, QD32",
         "randw4k_qd1": "4 KiB random write, QD1 (sync)",
         "resync_diff": "differential resync, 64 MiB dirty", "resync_full": "full resync (initial sync)"}
# "mirror" is the default configuration: encrypted (kernel TLS); "plain"
# is encryption = none, which is what DRBD 8.4 compares with (it does not
# encrypt); "plain + xxh3" adds data-integrity to plain.
rows = ["| test | raw | mirror, no encryption | DRBD 8.4 (C) | plain/raw | DRBD/raw | plain/DRBD "
        "| mirror, TLS (default) | TLS cost (TLS/plain) | plain + data-integrity | its cost (x/plain) |",
        "|---|---|---|---|---|---|---|---|---|---|---|"]
def fmt(t, v):
    if not v:
        return "missing"
    if t.startswith("resync"):
        return f"{v[0]/1024:.1f} MiB/s ({v[2]/1e6:.1f} s)"
    return f"{v[0]/1024:.1f} MiB/s" if t == "seq1m" else f"{v[1]:.0f} IOPS ({v[2]:.0f} µs)"
def ratio(a, b, k):
    return f"{a[k]/b[k]:.2f}" if a and b and b[k] else "-"
# Within 5% either way counts as level: runs of the same build differ by that much.
def verdict(x):
    if x > 1.05:
        return f"the mirror is ahead of DRBD (plain/DRBD {x:.2f})"
    if x < 0.95:
        return f"DRBD is ahead of the mirror (plain/DRBD {x:.2f})"
    return f"the mirror and DRBD are level (plain/DRBD {x:.2f})"
reading, tls = [], []
for t, label in names.items():
    r, m, p, d, x = (res.get((w, t)) for w in ("raw", "mirror", "mirror_plain", "drbd", "mirror_xxh3"))
    k = 0 if t.startswith("resync") or t == "seq1m" else 1
    rows.append(f"| {label} | {fmt(t, r) if r else '-'} | {fmt(t, p)} | {fmt(t, d)} | "
                f"{ratio(p, r, k)} | {ratio(d, r, k)} | {ratio(p, d, k)} | {fmt(t, m)} | "
                f"{ratio(m, p, k)} | {fmt(t, x) if x else '-'} | {ratio(x, p, k)} |")
    if p and d:
        reading.append(f"- {label}: {verdict(float(f'{p[k]/d[k]:.2f}'))}.")
    if m and p:
        tls.append(f"{label} {m[k]/p[k]:.2f}")
for w, who in (("mirror_plain", "unencrypted"), ("mirror", "encrypted")):
    diff, full = res.get((w, "resync_diff")), res.get((w, "resync_full"))
    if diff and full:
        reading.append(f"- Proportionality ({who}): the mirror's differential resync took "
                       f"{diff[2]/1e6:.1f} s, its full resync {full[2]/1e6:.1f} s "
                       f"({full[2]/diff[2]:.0f} times as long).")
if tls:
    reading.append("- TLS cost (encrypted over unencrypted, the same mirror): " + "; ".join(tls) + ".")
table = "\n".join(rows)
# Latency percentiles beside the means (fio's completion latency).
prow = []
for t in ("randw4k_qd1", "randw4k", "seq1m"):
    cells = [pct.get((w, t)) for w in ("raw", "mirror_plain", "drbd", "mirror")]
    if any(cells):
        prow.append(f"| {names[t]} | " + " | ".join(
            f"{c[0]:.0f} / {c[1]:.0f} / {c[2]:.0f}" if c else "-" for c in cells) + " |")
if prow:
    table += ("\n\nCompletion latency p50 / p99 / p99.9 in µs (fio, the same runs):\n\n"
              "| test | raw | mirror, no encryption | DRBD 8.4 (C) | mirror, TLS (default) |\n"
              "|---|---|---|---|---|\n" + "\n".join(prow))
# What a write cost the mirror (mdctl status --json's counters over each
# job, unencrypted), per 1000 writes.
crow, waits = [], {}
for m in re.finditer(r"^@@COUNTERS (mirror_plain|mirror_hot) (\S+) (\d+) (\d+) (\d+) (\d+) (\d+) (\d+) (\d+) (\d+)",
                     open(log, errors="replace").read(), re.M):
    w_, t, (w, pw, bw, ep, rd, rq, sd, aw) = m.group(1), m.group(2), (int(m.group(i)) for i in range(3, 11))
    if w and t in names:
        k = 1000 / w
        waits[(w_, t)] = bw * k
        who = "" if w_ == "mirror_plain" else ", bitmap budget"
        crow.append(f"| {names[t]}{who} | {w} | {pw*k:.1f} | {bw*k:.1f} | {ep} | {rd*k:.0f} | "
                    f"{rq/rd if rd else 0:.1f} | {sd*k:.0f} | {aw*k:.0f} |")
# The bitmap's capacity budget (bitmap_hot_chunks=16384) beside age alone.
brow = []
for t in ("randw4k", "randw4k_qd1"):
    p, h = res.get(("mirror_plain", t)), res.get(("mirror_hot", t))
    if p and h:
        brow.append(f"| {names[t]} | {fmt(t, p)} | {fmt(t, h)} | {h[1]/p[1]:.2f} | "
                    f"{waits.get(('mirror_plain', t), 0):.1f} | {waits.get(('mirror_hot', t), 0):.1f} |")
if brow:
    table += ("\n\nThe write-intent bitmap's capacity budget (`bitmap_hot_chunks=16384`: bits "
              "stay set up to that many chunks) beside age alone (the default: a chunk not "
              "written for one 5 s interval is cleared), the mirror without encryption, same run:\n\n"
              "| test | age alone | budget | budget/age (IOPS) | waits per 1000 writes, age "
              "| ..., budget |\n|---|---|---|---|---|---|\n" + "\n".join(brow))
if crow:
    table += ("\n\nWhat the writes cost the mirror (no encryption), from `mdctl status --json`'s "
              "counters over each job; per 1000 writes unless said:\n\n"
              "| test | writes | bitmap page writes | writes that waited for one | epochs (total) "
              "| channel reads | requests per read | socket sends | ack writes |\n"
              "|---|---|---|---|---|---|---|---|---|\n" + "\n".join(crow))
m = re.search(r"^@@RTT (\S+)", open(log, errors="replace").read(), re.M)
if m:
    table += (f"\n\nNetwork round trip between the guests (ping, average): {m.group(1)} ms. "
              "A synchronous QD1 write cannot beat local write + round trip + remote write.")
m = re.search(r"^@@AES (\S+)", open(log, errors="replace").read(), re.M)
if m:
    table += f"\n\nKernel TLS ran on the guests' AES-GCM driver `{m.group(1)}` (emulated by TCG)."
if host_aes:
    table += (f" The same cipher on this host's own CPU (OpenSSL, one core, 16 KiB records): "
              f"{host_aes / 1e6:.2f} GB/s.")
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
fi
if [ "${BENCH_ONLY:-}" = "" ] || [ "${BENCH_ONLY:-}" = compress ]; then
python3 tests/vm/runner.py --kernel "$kver" --initrd build/initramfs-$kver.cpio \
	--suite bench --nodes 2 --timeout 1500 --disk-mb 1024 --logdir "$LOGDIR/compress" \
	--results "$LOGDIR/compress/results.txt" bench_compress
python3 tests/bench/compress_table.py "$LOGDIR/compress/$kver-bench-a.console.log" "$kver"
fi
if [ "${BENCH_ONLY:-}" = "" ] || [ "${BENCH_ONLY:-}" = async ]; then
python3 tests/vm/runner.py --kernel "$kver" --initrd build/initramfs-$kver.cpio \
	--suite bench --nodes 2 --timeout 1500 --disk-mb 1024 --logdir "$LOGDIR/async" \
	--results "$LOGDIR/async/results.txt" bench_async
python3 tests/bench/async_table.py "$LOGDIR/async/$kver-bench-a.console.log" "$kver"
fi
