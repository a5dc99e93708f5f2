#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Summarise soak rounds: one row per scenario with its runs, failures and
the worst application write latency any run measured.

    tests/vm/soak_table.py LOGDIR

LOGDIR holds one directory per round (round-1, round-2, ...), each with
the round's results.txt ("PASS|FAIL KVER/SUITE/SCENARIO ...", written by
runner.py) and the guests' console logs, in which a fault-matrix scenario
prints "@@METRIC NAME worst_ms=N acked=M" (tests/vm/guest/matrix.sh).
"""
import glob
import os
import re
import sys

RESULT = re.compile(r"^(PASS|FAIL|SKIP) \S+?/\S+?/(\S+)")
METRIC = re.compile(r"@@METRIC (\S+) worst_ms=(\d+)")


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: soak_table.py LOGDIR")
    rows = {}
    rounds = sorted(glob.glob(os.path.join(sys.argv[1], "round-*")))
    for rd in rounds:
        try:
            with open(os.path.join(rd, "results.txt")) as f:
                for line in f:
                    m = RESULT.match(line)
                    if not m or m.group(1) == "SKIP":
                        continue
                    r = rows.setdefault(m.group(2), [0, 0, None])
                    r[0] += 1
                    r[1] += m.group(1) == "FAIL"
        except OSError:
            pass
        for log in glob.glob(os.path.join(rd, "*-a.console.log")):
            with open(log, errors="replace") as f:
                for line in f:
                    m = METRIC.search(line)
                    if m and m.group(1) in rows:
                        r = rows[m.group(1)]
                        r[2] = max(r[2] or 0, int(m.group(2)))
    if not rows:
        print("soak: no results under", sys.argv[1])
        return 1
    width = max(len(s) for s in rows)
    print(f"soak: {len(rounds)} round(s)")
    print(f"{'scenario':<{width}}  {'runs':>5}  {'failures':>8}  {'worst write (ms)':>16}")
    for s in sorted(rows):
        runs, fails, worst = rows[s]
        print(f"{s:<{width}}  {runs:>5}  {fails:>8}  {'-' if worst is None else worst:>16}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
