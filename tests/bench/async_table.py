#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
# make bench, asynchronous replication (issue 24): the @@ABENCH lines of
# bench_async (tests/vm/scenarios/bench_async.sh) in a guest's console log
# become the table between the ABENCH markers of docs/performance.md, with
# its reading generated from the same numbers.
#   async_table.py CONSOLE_LOG KVER
import datetime
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import doc_table  # noqa: E402  (tests/bench/doc_table.py)

log, kver = sys.argv[1], sys.argv[2]
res = {}
for m in re.finditer(r"^@@ABENCH (\S+) (\S+) (\S+) (\S+)", open(log, errors="replace").read(), re.M):
    try:
        res[(m.group(1), m.group(2))] = (float(m.group(3)), float(m.group(4)))
    except ValueError:
        pass
if not any(k[0] != "link" for k in res):
    sys.exit("async_table.py: no @@ABENCH results in " + log)
targets = {"raw": "local disk (raw)", "mirror_sync": "mirror, sync", "mirror_async": "mirror, async",
           "drbd_c": "DRBD 8.4 protocol C", "drbd_a": "DRBD 8.4 protocol A"}
rows = ["| target | QD1 4 KiB write: mean | p99 (completion) | 1 MiB QD16 | 32 MiB burst: completed in "
        "| then on the peer's disk after |", "|---|---|---|---|---|---|"]


def get(t, test):
    return res.get((t, test))


for t, name in targets.items():
    q, s, d = get(t, "qd1"), get(t, "seq1m"), get(t, "drain")
    rows.append(f"| {name} | {f'{q[0] / 1000:.2f} ms' if q else '-'} | "
                f"{f'{q[1] / 1000:.2f} ms' if q and q[1] else '-'} | "
                f"{f'{s[0] / 1024:.1f} MiB/s' if s else '-'} | "
                f"{f'{d[0] / 1000:.2f} s' if d else '-'} | {f'{d[1] / 1000:.2f} s' if d else '-'} |")
reading = []


def ratio(a, b, i=0):
    return a[i] / b[i] if a and b and b[i] else None


for mine, theirs, what in (("mirror_async", "drbd_a", "async"), ("mirror_sync", "drbd_c", "sync")):
    r = ratio(get(mine, "qd1"), get(theirs, "qd1"))
    if r:
        reading.append(f"- QD1 latency, {what}: the mirror's is {r:.2f} times DRBD's "
                       f"({'lower' if r < 0.95 else 'higher' if r > 1.05 else 'level'}).")
    r = ratio(get(mine, "seq1m"), get(theirs, "seq1m"))
    if r:
        reading.append(f"- 1 MiB throughput, {what}: the mirror reaches {r:.2f} of DRBD's.")
r = ratio(get("mirror_async", "qd1"), get("raw", "qd1"))
s = ratio(get("mirror_sync", "qd1"), get("raw", "qd1"))
if r and s:
    reading.append(f"- Against the local disk: an async QD1 write takes {r:.2f} times its time, "
                   f"a sync one {s:.2f} times (the link's round trip is in every sync write).")
d, e = get("mirror_async", "drain"), get("drbd_a", "drain")
if d and e:
    reading.append(f"- The 32 MiB burst: its last MiB was on the mirror's peer {d[1] / 1000:.2f} s "
                   f"after the burst completed, on DRBD's {e[1] / 1000:.2f} s.")
link = get("link", "rtt")
stamp = (f"Measured {datetime.date.today()} by `make bench` on kernel {kver}, qemu TCG, two "
         f"1-vCPU guests, netem delay 10 ms on the primary's side"
         + (f" (ping round trip {link[0]:.1f} ms)" if link else "") + ", encryption = none.")
table = "\n".join(rows)
if reading:
    table += "\n\nReading of this run (generated from the same numbers):\n\n" + "\n".join(reading)
doc_table.write("ABENCH", stamp, table)
