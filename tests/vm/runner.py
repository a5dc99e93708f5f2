#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Boot one or two test guests under qemu (TCG), run a suite of scenarios in
them, and report PASS/FAIL/SKIP per scenario.

Node a runs the scenarios (guest/driver.sh); node b, when there is one,
serves commands over the bench network.  The guests share nothing but a
qemu socket network (node a listens on 127.0.0.1, node b connects), with
Nagle off on its TCP connection (qemu_nodelay.c, preloaded into qemu).

A scenario fails when its exit code is not 0 (4 skips), when it outlives
its timeout, or when either guest's kernel log during the scenario shows
BUG:, WARNING:, Oops, a hung task, or a panic.  Guest consoles are kept in
--logdir; a failed scenario also gets a file of its own there.
"""
import argparse
import os
import re
import signal
import socket
import subprocess
import sys
import time

KERNEL_ERRORS = re.compile(
    r"BUG:|kernel BUG at|invalid opcode|usercopy:|WARNING:|Oops|blocked for more than \d+ seconds|"
    r"general protection fault|Kernel panic|UBSAN:|KASAN:")
BOOT_TIMEOUT = 180  # seconds until the first scenario starts (TCG boot)
SLACK = 90          # beyond the guest-side timeout before the host steps in


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def nodelay_shim(work):
    """qemu_nodelay.c built for LD_PRELOAD: Nagle off on the guests' link
    (the file says why).  Built per run, in a second: the runner needs
    nothing from the build tree."""
    src = os.path.join(os.path.dirname(os.path.abspath(__file__)), "qemu_nodelay.c")
    out = os.path.join(work, "qemu_nodelay.so")
    r = subprocess.run(["gcc", "-O2", "-shared", "-fPIC", "-Wall", "-o", out, src, "-ldl"],
                       stderr=subprocess.PIPE, text=True)
    if r.returncode:
        sys.exit(f"runner: cannot build {src}: {r.stderr.strip()}")
    return out


def make_disk(path, mb):
    with open(path, "wb") as f:
        f.truncate(mb * 1024 * 1024)


def qemu_cmd(args, node, ip, peer, disks, net, log):
    append = ("console=ttyS0 panic=-1 loglevel=6 "
              f"md.node={node} md.ip={ip} md.peer={peer} "
              f"md.suite={args.suite} md.scen={','.join(args.scenarios)} "
              f"md.timeout={args.timeout}")
    # MD_KERNEL_ARGS: more kernel parameters, for a developer's hunt (for
    # instance slub_debug=FZPU to catch a write to freed memory).
    if os.environ.get("MD_KERNEL_ARGS"):
        append += " " + os.environ["MD_KERNEL_ARGS"]
    # qemu64 with AES-NI and PCLMULQDQ (and the SSSE3/SSE4 the kernel's
    # aesni GCM code uses), as every server CPU has them: kernel TLS runs
    # on aesni_intel (mkinitramfs.sh) instead of the generic C AES.  Not
    # "-cpu max": its string instructions (ERMS) make the guest kernel's
    # copies far slower under TCG (make bench: DRBD's 1 MiB writes at 56
    # MiB/s on max, 104 on this model).  MD_QEMU_CPU overrides.
    cmd = ["qemu-system-x86_64", "-accel", "tcg", "-cpu",
           os.environ.get("MD_QEMU_CPU", "qemu64,+ssse3,+sse4.1,+sse4.2,+aes,+pclmulqdq"),
           "-m", str(args.mem),
           "-smp", "1", "-no-reboot", "-display", "none", "-monitor", "none",
           "-kernel", f"/boot/vmlinuz-{args.kernel}", "-initrd", args.initrd,
           "-append", append, "-serial", f"file:{log}", "-nic", "none"]
    for i, d in enumerate(disks):
        cmd += ["-drive", f"file={d},if=none,id=d{i},format=raw,cache=writeback",
                "-device", f"virtio-blk-pci,drive=d{i},serial=md{node}{i}"]
    if net:
        cmd += ["-netdev", f"socket,id=n0,{net}",
                "-device", f"virtio-net-pci,netdev=n0,mac=52:54:00:77:00:0{1 if node == 'a' else 2}"]
    return cmd


def read(path):
    try:
        with open(path, "r", errors="replace") as f:
            return f.read()
    except FileNotFoundError:
        return ""


def failure_lines(seg):
    """What CI shows of a failed scenario's console: its last lines, and
    after a timeout the blocked tasks' stacks driver.sh printed."""
    lines = (seg or "").splitlines()
    first = next((i for i, l in enumerate(lines) if re.match(r"(b: )?blocked: ", l)), None)
    if first is None:
        return lines[-15:]
    return lines[first:first + 80] + lines[-15:]


def segment(text, name):
    """The part of a console log between a scenario's markers."""
    b = text.find(f"@@BEGIN {name}")
    if b < 0:
        return ""
    e = text.find(f"@@END {name}", b)
    return text[b:] if e < 0 else text[b:e + 200]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--kernel", required=True)
    ap.add_argument("--initrd", required=True)
    ap.add_argument("--suite", required=True)
    ap.add_argument("--nodes", type=int, default=1, choices=(1, 2))
    ap.add_argument("--timeout", type=int, default=300)
    ap.add_argument("--disk-mb", type=int, default=1024)
    ap.add_argument("--meta-mb", type=int, default=64)
    ap.add_argument("--mem", type=int, default=1024)
    ap.add_argument("--logdir", required=True)
    ap.add_argument("--results", required=True, help="append PASS/FAIL/SKIP lines here")
    ap.add_argument("scenarios", nargs="+")
    args = ap.parse_args()

    os.makedirs(args.logdir, exist_ok=True)
    tag = f"{args.kernel}-{args.suite}"
    work = os.path.join(args.logdir, f".work-{tag}")
    os.makedirs(work, exist_ok=True)
    port = free_port()
    qemu_env = dict(os.environ, LD_PRELOAD=nodelay_shim(work))
    nodes = ["a", "b"][:args.nodes]
    procs, logs = {}, {}

    def boot(n, log):
        disks = [os.path.join(work, f"{n}-data.img"), os.path.join(work, f"{n}-meta.img")]
        net = None
        if args.nodes == 2:
            net = (f"listen=127.0.0.1:{port}" if n == "a"
                   else f"connect=127.0.0.1:{port}")
        ip = "10.77.0.1" if n == "a" else "10.77.0.2"
        peer = "" if args.nodes == 1 else ("10.77.0.2" if n == "a" else "10.77.0.1")
        return subprocess.Popen(
            qemu_cmd(args, n, ip, peer, disks, net, log), env=qemu_env,
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=open(os.path.join(work, f"{n}.qemu.err"), "a"))

    for n in nodes:
        disks = [os.path.join(work, f"{n}-data.img"), os.path.join(work, f"{n}-meta.img")]
        make_disk(disks[0], args.disk_mb)
        make_disk(disks[1], args.meta_mb)
        logs[n] = os.path.join(args.logdir, f"{tag}-{n}.console.log")
        open(logs[n], "w").close()
        procs[n] = boot(n, logs[n])
        time.sleep(0.5)
    crashes = 0
    extra_logs = {n: [] for n in nodes}
    results = {}
    start = time.time()
    current, cur_start = None, None
    hung = None
    try:
        while True:
            text = read(logs["a"])
            begins = re.findall(r"^@@BEGIN (\S+)", text, re.M)
            ends = dict(re.findall(r"^@@END (\S+) (\d+)", text, re.M))
            if begins and begins[-1] not in ends:
                if current != begins[-1]:
                    current, cur_start = begins[-1], time.time()
            if "@@SUITE-DONE" in text or procs["a"].poll() is not None:
                break
            # A scenario asks for a hard stop of node b ("power cut"): kill
            # its qemu at once and boot it again on the same disks.
            n_crash = len(re.findall(r"^@@CRASH b", text, re.M))
            if n_crash > crashes and "b" in procs:
                crashes = n_crash
                procs["b"].kill()
                procs["b"].wait()
                log2 = logs["b"] + f".boot{crashes + 1}"
                open(log2, "w").close()
                extra_logs["b"].append(log2)
                procs["b"] = boot("b", log2)
            now = time.time()
            if current is None and now - start > BOOT_TIMEOUT:
                hung = "guest did not start the suite"
                break
            if current and current not in ends and now - cur_start > args.timeout + SLACK:
                hung = f"{current}: guest stopped responding"
                break
            time.sleep(0.5)
    finally:
        for p in procs.values():
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in procs.values():
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()

    texts = {n: read(logs[n]) + "".join(read(x) for x in extra_logs[n]) for n in nodes}
    ends = dict(re.findall(r"^@@END (\S+) (\d+)", texts["a"], re.M))
    took = dict(re.findall(r"^@@END (\S+) \d+ (\d+)", texts["a"], re.M))
    lines = []
    for s in args.scenarios:
        name = f"{args.kernel}/{args.suite}/{s}"
        why = None
        if s not in ends:
            verdict, why = "FAIL", hung or "did not finish (guest died?)"
        else:
            rc = int(ends[s])
            verdict = "PASS" if rc == 0 else "SKIP" if rc == 4 else "FAIL"
            if rc == 137:
                why = f"timed out after {args.timeout}s"
            elif verdict == "FAIL":
                why = f"exit code {rc}"
        for n in nodes:
            seg = segment(texts[n], s)
            m = KERNEL_ERRORS.search(seg)
            if m and verdict != "FAIL" or (m and not why):
                verdict, why = "FAIL", f"node {n} kernel log: {m.group(0)}"
        if verdict == "FAIL":
            path = os.path.join(args.logdir, f"{args.kernel}-{args.suite}-{s}.log")
            with open(path, "w") as f:
                for n in nodes:
                    f.write(f"===== node {n} =====\n{segment(texts[n], s) or texts[n][-20000:]}\n")
            why += f" (log: {path})"
            # CI keeps only the console: the failure's last lines go there too
            tail = "".join(f"     {n}| {l}\n" for n in nodes for l in failure_lines(segment(texts[n], s)))
        line = (f"{verdict} {name}" + (f" ({took[s]} s)" if s in took else "") +
                (f" - {why}" if why else ""))
        print(line, flush=True)
        if verdict == "FAIL":
            print(tail, end="", flush=True)
        lines.append(f"{verdict} {name}")
        if verdict == "SKIP":
            m = re.search(r"^SKIP: (.*)$", segment(texts["a"], s), re.M)
            if m:
                print(f"     {m.group(1)}")
    with open(args.results, "a") as f:
        f.write("\n".join(lines) + "\n")
    return 0 if all(not l.startswith("FAIL") for l in lines) else 1


if __name__ == "__main__":
    sys.exit(main())
