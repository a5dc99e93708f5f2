#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
# make bench, the main comparison: the @@RESULT, @@COUNTERS, @@NET and
# @@AES lines of bench_compare (tests/vm/scenarios/bench_compare.sh) in a
# guest's console log become the tables between the BENCH markers of
# docs/performance.md (raw disk, the mirror and DRBD 8.4 side by side;
# the physical bounds and issue 25's goals; latency percentiles; the
# bitmap budget; what a write costs), the reading of them generated from
# the same numbers, and two plots (docs/perf-*.png, by gnuplot).
#   compare_table.py CONSOLE_LOG KVER HOST_AES_KB_S
import datetime
import os
import re
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import doc_table  # noqa: E402  (tests/bench/doc_table.py)

log, kver, host_aes = sys.argv[1], sys.argv[2], float(sys.argv[3])
text = open(log, errors="replace").read()
res, pct = {}, {}
for m in re.finditer(r"^@@RESULT (\S+) (\S+) (\S+) (\S+) (\S+)(?: (\S+) (\S+) (\S+))?", text, re.M):
    res[(m.group(1), m.group(2))] = (float(m.group(3)), float(m.group(4)), float(m.group(5)))
    if m.group(6):  # fio's completion latency percentiles (bench/mirror.fio)
        pct[(m.group(1), m.group(2))] = tuple(float(m.group(i)) for i in (6, 7, 8))
if not res:
    sys.exit("compare_table.py: no @@RESULT lines in " + log)
# Both guests' busy CPU over each job (ms) and the writes it did.
cpu = {(m.group(1), m.group(2)): tuple(int(m.group(i)) for i in (3, 4, 5))
       for m in re.finditer(r"^@@CPU (\S+) (\S+) (\d+) (\d+) (\d+)", text, re.M)}
net = re.search(r"^@@NET (\S+) (\S+)(?: (\S+))?", text, re.M)
idle_ms = float(net.group(3)) if net and net.group(3) else 0.0
rtt_ms, iperf_kib = (float(net.group(1)), float(net.group(2)) * 1000 / 8 / 1024) if net else (0.0, 0.0)
names = {"seq1m": "1 MiB sequential write, QD16", "randw4k": "4 KiB random write, QD32",
         "randw4k_qd1": "4 KiB random write, QD1 (sync)",
         "randw512_qd1": "512 B random write, QD1 (sync)",
         "resync_diff": "differential resync, 64 MiB dirty", "resync_full": "full resync (initial sync)"}
THROUGHPUT = ("seq1m", "resync_diff", "resync_full")


def key(t):
    """Which figure compares: bandwidth (0) or IOPS (1)."""
    return 0 if t in THROUGHPUT else 1


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
    k = key(t)
    if not (p or d):
        continue
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

# The physical bounds, measured in the same run, and issue 25's goals.
# Each goal: (label, mirror's figure over its reference, DRBD's, goal,
# "at least" or "at most").  A latency is read as latency over its
# bound (1.0 = at the bound), a throughput as the share of its bound.
goals = []
qa, qb = res.get(("raw", "randw512_qd1")), res.get(("raw_b", "randw512_qd1"))
bound_us = max(qa[2], rtt_ms * 1000 + qb[2]) if qa and qb and rtt_ms else 0
p, d = res.get(("mirror_plain", "randw512_qd1")), res.get(("drbd", "randw512_qd1"))
if bound_us and p:
    goals.append(("512 B QD1 write, latency over the bound", p[2] / bound_us,
                  d[2] / bound_us if d else None, 1.2, "at most",
                  f"{bound_us:.0f} µs: max(local write {qa[2]:.0f}, round trip {rtt_ms*1000:.0f} "
                  f"+ the peer's write {qb[2]:.0f})"))
for t, lim, what in (("seq1m", 0.95, "1 MiB QD16 writes"), ("resync_full", 0.9, "full resync")):
    p, d = res.get(("mirror_plain", t)), res.get(("drbd", t))
    if iperf_kib and p:
        goals.append((f"{what} over iperf3", p[0] / iperf_kib, d[0] / iperf_kib if d else None,
                      lim, "at least", f"iperf3 {iperf_kib/1024:.1f} MiB/s"))
r, p, d = (res.get((w, "randw4k")) for w in ("raw", "mirror_plain", "drbd"))
if r and p:
    goals.append(("4 KiB QD32 writes over the raw disk", p[1] / r[1], d[1] / r[1] if d else None,
                  0.5, "at least", f"raw {r[1]:.0f} IOPS"))
if p and d:
    goals.append(("4 KiB QD32 writes over DRBD's", p[1] / d[1], None, 2.0, "at least",
                  f"DRBD {d[1]:.0f} IOPS"))
# CPU: both guests' busy time per write (a 1 MiB write: per MiB), the
# mirror's over DRBD's.
def cpu_per(w, t):
    c = cpu.get((w, t))
    return (c[0] + c[1]) / c[2] if c and c[2] else 0


for t, what in (("randw4k", "guest CPU per 4 KiB write (QD32), both nodes"),
                ("seq1m", "guest CPU per MiB (1 MiB QD16), both nodes")):
    p, d = cpu_per("mirror_plain", t), cpu_per("drbd", t)
    if p and d:
        goals.append((f"{what}, over DRBD's", p / d, None, 1.0, "at most",
                      f"DRBD {d * (1 if t == 'seq1m' else 1000):.{1 if t == 'seq1m' else 0}f} "
                      f"{'ms per MiB' if t == 'seq1m' else 'µs per write'}"))
if goals:
    g = ["| goal (issue 25) | reference, same run | mirror, no encryption | DRBD 8.4 (C) | target | met |",
         "|---|---|---|---|---|---|"]
    for label, mine, theirs, lim, how, ref in goals:
        met = mine <= lim if how == "at most" else mine >= lim
        g.append(f"| {label} | {ref} | {mine:.2f} | {f'{theirs:.2f}' if theirs else '-'} | "
                 f"{how} {lim} | {'yes' if met else 'no'} |")
    table += ("\n\nThe physical bounds, measured in the same run, and the goals of issue 25 "
              "(unencrypted mirror; a latency as its multiple of the bound, a throughput as "
              "its share of the bound):\n\n" + "\n".join(g))

# Latency percentiles beside the means (fio's completion latency).
prow = []
for t in ("randw512_qd1", "randw4k_qd1", "randw4k", "seq1m"):
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
crow, waits, srow = [], {}, []
for m in re.finditer(r"^@@COUNTERS (mirror_plain|mirror_age) (\S+)((?: \d+)+)", text, re.M):
    w_, t, c = m.group(1), m.group(2), [int(x) for x in m.group(3).split()]
    if len(c) < 8:
        continue
    w, pw, bw, ep, rd, rq, sd, aw = c[:8]
    # Where a write's time went (the stage sums, in ns; bench_compare's
    # CTRS then CTRS_B): means in µs, per replicated write.
    if w_ == "mirror_plain" and len(c) >= 16 and c[8] and c[12] and c[14] and t in names:
        n, tod, rem, loc, sw, sns, aw_b, ans = c[8:16]
        send, app = sns / sw / 1e3, ans / aw_b / 1e3
        srow.append(f"| {names[t]} | {n} | {tod/n/1e3:.0f} | {send:.0f} | {app:.0f} | "
                    f"{max(rem/n/1e3 - send - app, 0):.0f} | {rem/n/1e3:.0f} | {loc/n/1e3:.0f} | "
                    f"{res[('mirror_plain', t)][2]:.0f} |" if ("mirror_plain", t) in res else "")
    if w and t in names:
        k = 1000 / w
        waits[(w_, t)] = bw * k
        who = "" if w_ == "mirror_plain" else ", bitmap by age alone"
        crow.append(f"| {names[t]}{who} | {w} | {pw*k:.1f} | {bw*k:.1f} | {ep} | {rd*k:.0f} | "
                    f"{rq/rd if rd else 0:.1f} | {sd*k:.0f} | {aw*k:.0f} |")
# The bitmap's capacity budget (the default, bitmap_hot_chunks=16384)
# beside age alone (0).
brow = []
for t in ("randw4k", "randw4k_qd1", "randw512_qd1"):
    a, h = res.get(("mirror_age", t)), res.get(("mirror_plain", t))
    if a and h:
        brow.append(f"| {names[t]} | {fmt(t, a)} | {fmt(t, h)} | {h[1]/a[1]:.2f} | "
                    f"{waits.get(('mirror_age', t), 0):.1f} | {waits.get(('mirror_plain', t), 0):.1f} |")
if brow:
    table += ("\n\nThe write-intent bitmap's capacity budget (the default, `bitmap_hot_chunks=16384`: "
              "bits stay set up to that many chunks) beside age alone (`0`: a chunk not written "
              "for one 5 s interval is cleared), the mirror without encryption, same run:\n\n"
              "| test | age alone | budget (default) | budget/age (IOPS) | waits per 1000 writes, age "
              "| ..., budget |\n|---|---|---|---|---|---|\n" + "\n".join(brow))
# How mirrord reads the kernel channel (issue 25, mirrord --chan-read:
# the default adaptive beside blocking and nowait), the ring's
# DEFER_TASKRUN (--uring-on defer-taskrun) and zero-copy sends
# (--uring-on send-zc), same run.
offs = (("mirror_plain", "adaptive (default)"), ("mirror_on_blocking", "blocking"),
        ("mirror_on_nowait", "nowait"), ("mirror_on_defer", "adaptive + defer-taskrun"),
        ("mirror_on_sendzc", "adaptive + send-zc"))
urow = []
for t in ("seq1m", "randw4k", "randw512_qd1"):
    cells = [res.get((w, t)) for w, _ in offs]
    if cells[0] and cells[1]:
        urow.append(f"| {names[t]} | " + " | ".join(fmt(t, c) if c else "-" for c in cells) +
                    f" | {ratio(cells[0], cells[1], key(t))} | "
                    f"{ratio(cells[4], cells[0], key(t)) if cells[4] else '-'} |")
if urow:
    io = re.search(r"^@@IO plain (\S+)", text, re.M)
    table += ("\n\nHow mirrord reads the kernel channel (`--chan-read`), the ring's "
              "DEFER_TASKRUN and zero-copy sends "
              f"(io_backend `{io.group(1) if io else '?'}`), the mirror without "
              "encryption, same run: `blocking` hands every read to an io-wq worker that "
              "sleeps until requests come, `nowait` reads in the daemon's thread when the "
              "channel's poll wakes it, `adaptive` (the default) reads nowait while reads "
              "bring one request at a time and blocking while they bring several; "
              "`defer-taskrun` is the ring's SINGLE_ISSUER and DEFER_TASKRUN; `send-zc` "
              "hands the primary's batches of 32 KiB and more to the socket without a copy "
              "(io_uring's SENDMSG_ZC):\n\n"
              "| test | " + " | ".join(n for _, n in offs) + " | adaptive/blocking "
              "| send-zc/adaptive |\n"
              "|---|---|---|---|---|---|---|---|\n" + "\n".join(urow))
# The application's writes during a resync beside their figure without
# one, and the resync's time with them beside its time alone.
frow = []
for kind, label in (("full", "full resync"), ("diff", "differential resync")):
    cells = []
    for w in ("mirror_plain", "drbd"):
        alone, during = res.get((w, "randw4k")), res.get((w, f"fg_{kind}"))
        rs, rs_fg = res.get((w, f"resync_{kind}")), res.get((w, f"resync_{kind}_fg"))
        cells.append((f"{during[1]:.0f} IOPS ({during[1]/alone[1]:.2f})" if during and alone else "-")
                     + " | " + (f"{rs_fg[0]/1024:.1f} / {rs[0]/1024:.1f} MiB/s" if rs and rs_fg else "-"))
    if any(c != "- | -" for c in cells):
        frow.append(f"| {label} | " + " | ".join(cells) + " |")
if frow:
    table += ("\n\nThe application's 4 KiB random writes (QD32, 10 s) during a resync, beside "
              "the same writes without one (in brackets, their share of that figure), and the "
              "resync's throughput with them beside its throughput alone; unencrypted, same "
              "run (the differential resync here copies 512 MiB so that it outlasts the "
              "writes; alone, 64 MiB):\n\n"
              "| resync | mirror: writes during it | mirror: resync with / without writes | "
              "DRBD 8.4 (C): writes during it | DRBD: resync with / without writes |\n"
              "|---|---|---|---|---|\n" + "\n".join(frow))

# Both guests' CPU per write, the same jobs.
def cpu_cell(w, t):
    c = cpu.get((w, t))
    if not c or not c[2]:
        return "-"
    if t == "seq1m":
        return f"{c[0] / c[2]:.1f} / {c[1] / c[2]:.1f}"
    return f"{c[0] * 1000 / c[2]:.0f} / {c[1] * 1000 / c[2]:.0f}"


cprow = []
for t in ("seq1m", "randw4k", "randw4k_qd1", "randw512_qd1"):
    p, d = cpu_per("mirror_plain", t), cpu_per("drbd", t)
    if p or d:
        cprow.append(f"| {names[t]} | {'ms per MiB' if t == 'seq1m' else 'µs per write'} | "
                     + " | ".join(cpu_cell(w, t) for w in ("raw", "mirror_plain", "drbd", "mirror"))
                     + f" | {f'{p / d:.2f}' if p and d else '-'} |")
if cprow:
    table += ("\n\nBoth guests' busy CPU per write (user, system and interrupts from "
              "/proc/stat over each job, a / b; a runs fio too, b only receives), same runs. "
              "A guest's one vCPU is nearly always busy in the throughput jobs, so there "
              "the figure follows the throughput; the QD1 jobs show what a write costs:\n\n"
              "| test | unit | raw | mirror, no encryption | DRBD 8.4 (C) | mirror, TLS (default) "
              "| mirror/DRBD (a + b) |\n|---|---|---|---|---|---|---|\n" + "\n".join(cprow))
if crow:
    table += ("\n\nWhat the writes cost the mirror (no encryption), from `mdctl status --json`'s "
              "counters over each job; per 1000 writes unless said:\n\n"
              "| test | writes | bitmap page writes | writes that waited for one | epochs (total) "
              "| channel reads | requests per read | socket sends | ack writes |\n"
              "|---|---|---|---|---|---|---|---|---|\n" + "\n".join(crow))
srow = [s for s in srow if s]
if srow:
    table += ("\n\nWhere a replicated write's time goes (no encryption), from the stage times "
              "of `mdctl status --json` over each job: means in µs per write, each from the "
              "moment the write took its request slot in the kernel. To the daemon: until "
              "mirrord's channel read took it (a wait for a new write-intent bit included). "
              "Then, to the peer's ack: mirrord to the socket (the read's end to the send's), "
              "the peer's daemon from the packet's arrival to the write on its disk, and the "
              "rest (the network both ways, the peer's wakeups and its ack, the ack back into "
              "the kernel). The local write runs beside all of it; fio's figure is its own "
              "completion latency:\n\n"
              "| test | writes | to the daemon | daemon to the socket | peer: arrival to disk "
              "| network and the rest | to the peer's ack, in all | local write | fio's mean |\n"
              "|---|---|---|---|---|---|---|---|---|\n" + "\n".join(srow))
if net:
    table += (f"\n\nThe network between the guests: round trip {rtt_ms:.3f} ms back to back "
              f"(`ping -A`, average; the bound above){f', {idle_ms:.3f} ms at one ping a second' if idle_ms else ''}, "
              f"{iperf_kib/1024:.1f} MiB/s (iperf3, one TCP stream, a to b). A synchronous "
              "write cannot beat its local write, nor the round trip plus the peer's write; "
              "replicated writes and resync cannot beat the link.")
m = re.search(r"^@@AES (\S+)", text, re.M)
if m:
    table += f"\n\nKernel TLS ran on the guests' AES-GCM driver `{m.group(1)}` (emulated by TCG)."
if host_aes:
    table += (f" The same cipher on this host's own CPU (OpenSSL, one core, 16 KiB records): "
              f"{host_aes / 1e6:.2f} GB/s.")


# The plots: the goals' figures (mirror and DRBD beside their targets),
# and the QD1 latency percentiles, from this run's numbers.  gnuplot
# (Debian's gnuplot-nox) draws them; without it the tables stand alone.
def plot(name, script, data):
    if not shutil.which("gnuplot"):
        print(f"compare_table.py: no gnuplot, {name} not drawn", file=sys.stderr)
        return False
    dat = f"build/bench/{name}.dat"
    os.makedirs("build/bench", exist_ok=True)
    open(dat, "w").write(data)
    out = f"docs/{name}.png"
    gp = (f"set terminal pngcairo size 1100,440 font 'sans,10'\nset output '{out}'\n"
          f"set datafile separator '\\t'\nset style data histograms\nset style fill solid 0.8 border -1\n"
          f"set boxwidth 0.9\nset key outside right top\nset grid ytics\nset xtics noenhanced\n" + script.replace("DAT", dat))
    rc = subprocess.run(["gnuplot"], input=gp, text=True).returncode
    return rc == 0


pics = []
# Short labels for the plot's axis; a log scale, since a latency can be
# a hundred times its bound where a throughput is a fraction of its own.
short = {"512 B QD1 write, latency over the bound": "512 B QD1 latency / bound",
         "1 MiB QD16 writes over iperf3": "1 MiB QD16 / iperf3",
         "full resync over iperf3": "full resync / iperf3",
         "4 KiB QD32 writes over the raw disk": "4 KiB QD32 / raw disk",
         "4 KiB QD32 writes over DRBD's": "4 KiB QD32 / DRBD",
         "guest CPU per 4 KiB write (QD32), both nodes, over DRBD's": "CPU per 4 KiB write / DRBD",
         "guest CPU per MiB (1 MiB QD16), both nodes, over DRBD's": "CPU per MiB / DRBD"}
if goals and plot("perf-goals",
                  "set title 'Issue 25 goals: the figure each reaches and its target (same run; the latency: lower is better)'\n"
                  "set ylabel 'ratio (log scale)'\nset logscale y\nset yrange [0.05:*]\n"
                  "set xtics rotate by -20\nset bmargin 6\n"
                  "plot 'DAT' using 2:xtic(1) title 'mirror, no encryption', '' using 3 title 'DRBD 8.4 (C)', "
                  "'' using 4 title 'target'\n",
                  "".join(f"{short.get(label, label)}\t{mine:.3f}\t{f'{theirs:.3f}' if theirs else 'NaN'}\t{lim}\n"
                          for label, mine, theirs, lim, how, ref in goals)):
    pics.append("![issue 25 goals](perf-goals.png)")
lat = [(names[t], pct.get((w, t))) for t in ("randw512_qd1", "randw4k_qd1")
       for w in ("raw", "mirror_plain", "drbd")]
if all(c for _, c in lat) and plot(
        "perf-latency",
        "set title 'QD1 write completion latency (fio), µs'\nset logscale y\nset ylabel 'µs (log scale)'\n"
        "set xtics rotate by -20\nset bmargin 5\n"
        "plot 'DAT' using 2:xtic(1) title 'p50', '' using 3 title 'p99', '' using 4 title 'p99.9'\n",
        "".join(f"{n.split(',')[0]}: {who}\t{c[0]:.0f}\t{c[1]:.0f}\t{c[2]:.0f}\n"
                for (n, c), who in zip(lat, ("raw", "mirror", "DRBD") * 2))):
    pics.append("![QD1 latency percentiles](perf-latency.png)")
if pics:
    table += "\n\nThe same run drawn (gnuplot):\n\n" + "\n\n".join(pics)
if reading:
    table += ("\n\nReading of this run (generated from the same numbers; within 5% counts "
              "as level):\n\n" + "\n".join(reading))
stamp = f"Measured {datetime.date.today()} by `make bench` on kernel {kver}, qemu TCG, two 1-vCPU guests."
doc_table.write("BENCH", stamp, table)
