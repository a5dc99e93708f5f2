#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
# make bench, a 1 TiB device (issue 25): the @@SPARSE, @@MEM and @@DEV
# lines of bench_sparse (tests/vm/scenarios/bench_sparse.sh) in a guest's
# console log become the table between the SBENCH markers of
# docs/performance.md, with its reading generated from the same numbers.
#   sparse_table.py CONSOLE_LOG KVER
import datetime
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import doc_table  # noqa: E402  (tests/bench/doc_table.py)

log, kver = sys.argv[1], sys.argv[2]
text = open(log, errors="replace").read()
res = {}
for m in re.finditer(r"^@@SPARSE (\S+) (\S+) (\S+) (\S+) (\d+) (\d+) (\d+)", text, re.M):
    res[(m.group(1), m.group(2))] = (float(m.group(3)), float(m.group(4)),
                                     int(m.group(5)), int(m.group(6)), int(m.group(7)))
mem = {m.group(1): int(m.group(2)) for m in re.finditer(r"^@@MEM (\S+) (\d+)", text, re.M)}
dev = re.search(r"^@@DEV (\d+) (\d+)", text, re.M)
if not res or not dev:
    sys.exit("sparse_table.py: no @@SPARSE/@@DEV results in " + log)
size, chunk = int(dev.group(1)), int(dev.group(2))
tib = size / 2**40
rows = ["| target | hot 128 MiB: IOPS (mean µs) | spread over the device: IOPS (mean µs) "
        "| spread/hot | bitmap page writes per 1000 writes (spread) | writes that waited for one, per 1000 |",
        "|---|---|---|---|---|---|"]


def cell(v):
    return f"{v[0]:.0f} ({v[1]:.0f})" if v else "-"


def per(v, i):
    return f"{v[i] * 1000 / v[4]:.0f}" if v and v[4] else "-"


# The mirror's hot region is measured once (bitmap_write_batch does not
# matter there: its bits stay set); DRBD's beside its own spread.
hot_mirror, hot_drbd = res.get(("mirror", "hot")), res.get(("drbd", "hot"))
for w, label, h in (("mirror_batch16", "mirror, no encryption, bitmap pages written together "
                     "(bitmap_write_batch=16, the default)", hot_mirror),
                    ("mirror_batch1", "mirror, no encryption, bitmap pages one at a time (1: before)",
                     hot_mirror),
                    ("drbd", "DRBD 8.4 (C)", hot_drbd)):
    s = res.get((w, "spread"))
    if s or h:
        rows.append(f"| {label} | {cell(h)} | {cell(s)} | "
                    f"{f'{s[0] / h[0]:.2f}' if s and h and h[0] else '-'} | {per(s, 2)} | {per(s, 3)} |")
reading = []
b16, b1, d = (res.get((w, "spread")) for w in ("mirror_batch16", "mirror_batch1", "drbd"))
if b16 and hot_mirror:
    reading.append(f"- Spread over {tib:.0f} TiB, the mirror reached {b16[0] / hot_mirror[0]:.2f} of its "
                   "rate on the hot region (goal: at least 0.8)"
                   + (f"; DRBD {d[0] / hot_drbd[0]:.2f} of its own." if d and hot_drbd else "."))
if b16 and b1:
    reading.append(f"- Bitmap pages written together against one at a time: {b16[0] / b1[0]:.2f} "
                   "times the IOPS of the spread writes.")
if b16 and d:
    reading.append(f"- Spread writes, the mirror over DRBD: {b16[0] / d[0]:.2f}.")
table = "\n".join(rows)
if mem:
    k = mem.get("kernel", 0)
    table += (f"\n\nMemory for this {tib:.2f} TiB device at {chunk // 1024} KiB chunks: the module's "
              f"bitmaps {k / 1024:.1f} MiB ({k / 1024 / tib:.1f} MiB per TiB); mirrord's resident "
              f"(locked) memory {mem.get('daemon_idle', 0) / 1024:.1f} MiB idle (its fixed buffers "
              f"included), {mem.get('daemon_resync', 0) / 1024:.1f} MiB at most during a resync, "
              f"{mem.get('daemon_after', 0) / 1024:.1f} MiB after it.")
down = re.search(r"^@@DRBD_DOWN (.*)$", text, re.M)
if down:
    table += f"\n\nNo DRBD rows in this run: {down.group(1).strip()}."
if reading:
    table += "\n\nReading of this run (generated from the same numbers):\n\n" + "\n".join(reading)
stamp = (f"Measured {datetime.date.today()} by `make bench` on kernel {kver}, qemu TCG, two 1-vCPU "
         f"guests, 1 TiB sparse data disks, encryption = none.")
doc_table.write("SBENCH", stamp, table)
