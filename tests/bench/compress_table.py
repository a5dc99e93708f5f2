#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
# make bench, compression part (issue 23): the @@ZRESULT lines of
# bench_compress (tests/vm/scenarios/bench_compress.sh) in a guest's
# console log become the table between the ZBENCH markers of
# docs/performance.md, with its reading generated from the same numbers.
#   compress_table.py CONSOLE_LOG KVER
import datetime
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import doc_table  # noqa: E402  (tests/bench/doc_table.py)

log, kver = sys.argv[1], sys.argv[2]
res = {}
for m in re.finditer(r"^@@ZRESULT (\S+) (\S+) (\S+) (\d+) (\d+) (\d+) (\S+)",
                     open(log, errors="replace").read(), re.M):
    link, mode, test = m.group(1), m.group(2), m.group(3)
    res[(link, mode, test)] = (int(m.group(4)), int(m.group(5)), int(m.group(6)), float(m.group(7)))
if not res:
    sys.exit("compress_table.py: no @@ZRESULT lines in " + log)
tests = {"seq1m": "1 MiB writes, QD16, 70% compressible", "tree": "file tree (/usr, /lib) onto ext4",
         "resync": "resync, 64 MiB of compressible data"}
links = {"throttled": "throttled link (netem 40 Mbit/s)", "fast": "unthrottled link"}
rows = ["| link | test | none | zstd | auto | zstd/none | auto/none | ratio zstd | ratio auto "
        "| CPU ms/MiB a/b: none | zstd | auto |", "|---|---|---|---|---|---|---|---|---|---|---|---|"]
reading = []


def mib(v):
    return f"{v[0] / 1024:.1f} MiB/s" if v else "missing"


def over(a, b):
    return f"{a[0] / b[0]:.2f}" if a and b and b[0] else "-"


for link, lname in links.items():
    for test, tname in tests.items():
        n, z, a = (res.get((link, mode, test)) for mode in ("none", "zstd", "auto"))
        cpu = " | ".join(f"{v[1]}/{v[2]}" if v else "-" for v in (n, z, a))
        rows.append(f"| {lname} | {tname} | {mib(n)} | {mib(z)} | {mib(a)} | {over(z, n)} | "
                    f"{over(a, n)} | {z[3]:.2f} | {a[3]:.2f} | {cpu} |" if z and a else
                    f"| {lname} | {tname} | {mib(n)} | {mib(z)} | {mib(a)} | - | - | - | - | {cpu} |")
        if n and z and a and n[0]:
            reading.append(f"- {lname}, {tname}: zstd {z[0] / n[0]:.2f} times the throughput "
                           f"without compression, auto {a[0] / n[0]:.2f} (compression ratio "
                           f"{z[3]:.2f} and {a[3]:.2f}).")
stamp = (f"Measured {datetime.date.today()} by `make bench` on kernel {kver}, qemu TCG, two "
         "1-vCPU guests, encryption = none.")
table = "\n".join(rows)
if reading:
    table += "\n\nReading of this run (generated from the same numbers):\n\n" + "\n".join(reading)
doc_table.write("ZBENCH", stamp, table)
