#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""`make check-deploy`: the Debian packages on two real systemd guests.

Builds the packages (make deb) and the guest image (tests/deploy/image.sh,
cached), boots two Debian 12 guests, alpha and beta, under qemu TCG, and
deploys the mirror the way README.md ("Deploying on two servers") says:

  install    apt install ./mirrordisk-dkms_*.deb ./mirrordisk-utils_*.deb
             ./mirrordisk-pacemaker_*.deb (DKMS builds the module in the
             guest and loads it; the cluster's package is checked to
             install and purge cleanly beside the others)
  deploy     the same mirrordisk.conf on both, mdctl create --new-secret
             on alpha, the secret copied, mdctl create on beta,
             systemctl enable --now mirrordisk@r0 on both, mdctl activate
             --force on alpha; connected and in sync; /dev/mirror/r0; a
             pattern written on alpha's /dev/mirror0 reaches both lower disks
  reboot     both guests rebooted: the mirror comes back by itself (no
             command), connected, in sync, both secondary; mdctl activate
             on alpha; the data on both lower disks is the pattern
  kill       kill -9 of beta's mirrord: systemd restarts it, data written on
             alpha meanwhile is resynced, both lower disks identical
  purge      apt purge of the three packages: no error, units, module,
             device, daemon, resource agent and handlers gone
  shutdown   poweroff; no kernel BUG/WARNING/Oops on either console

Each check prints a PASS or FAIL line; the run ends with "N passed, N
failed" and exits 1 on a failure.  Logs (consoles, each command's output)
are in build/deploy/run/.

How the host drives the guests: ssh over qemu user networking (hostfwd to
the guest's port 22, restrict=on so the guest reaches nothing else), with
a key made with the image.  ssh rather than qemu-guest-agent: it is what
an administrator uses (README's scp of the secret), gives exit codes and
separate output streams directly, copies files, and a reboot is seen as
the connection coming back with a new boot id; the guest agent needs a
virtio-serial channel, a JSON protocol, polling of guest-exec and base64
for output, and one more package in the image.

The VM part (first boot to last poweroff) runs under an exclusive lock on
/tmp/mirrordisk-vm.lock: one set of guests on the machine at a time.

The same guests (image, links, packages) serve make check-cluster
(tests/cluster/scenario.py), and make check-system runs both in one pair
of guests: these flows, the cluster's, then the purge.

  tests/deploy/scenario.py [--no-deb] [--keep]
"""
import argparse
import ctypes
import fcntl
import json
import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import threading
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
RUN = os.path.join(ROOT, "build", "deploy", "run")
LOCK = "/tmp/mirrordisk-vm.lock"
KERNEL_ERRORS = re.compile(
    r"BUG:|kernel BUG at|invalid opcode|usercopy:|WARNING:|Oops|blocked for more than \d+ seconds|"
    r"general protection fault|Kernel panic|UBSAN:|KASAN:")
BOOT_TIMEOUT = 300
SYNC_TIMEOUT = 600
LOWER_MB = 256
PAT1_MB = 16          # written after the first sync, at offset 0
PAT2_MB = 8           # written while beta's daemon is dead, at PAT2_AT_MB
PAT2_AT_MB = 64

NODES = {
    "alpha": {"link_ip": "10.77.0.1", "idx": 1},
    "beta": {"link_ip": "10.77.0.2", "idx": 2},
}
CONF = """\
; written by tests/deploy/scenario.py: the same file on both nodes
[resource r0]
minor = 0
port = 7790
timeout = 5
secret-file = /etc/mirrordisk/r0.secret

[resource r0 node alpha]
address = 10.77.0.1
disk = /dev/disk/by-id/virtio-mdlower-alpha
meta = internal

[resource r0 node beta]
address = 10.77.0.2
disk = /dev/disk/by-id/virtio-mdlower-beta
meta = internal
"""

results = []
PREFIX = "deploy"  # the results' names: deploy/..., cluster/... (main's prefix)


def check(name, ok, detail="", info=""):
    """One PASS or FAIL line; detail says why on a failure, info what on a pass."""
    verdict = "PASS" if ok else "FAIL"
    line = f"{verdict} {PREFIX}/{name}" + (f" - {detail}" if detail and not ok else "")
    print(line, flush=True)
    if info and ok:
        print(f"     {info}", flush=True)
    results.append(f"{verdict} {PREFIX}/{name}")
    return ok


class Abort(Exception):
    """A step the rest depends on failed: go to shutdown and the summary."""


def need(name, ok, detail=""):
    if not check(name, ok, detail):
        raise Abort(name)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def free_udp_ports(n):
    """n distinct free UDP ports on the loopback (held until all are chosen)."""
    socks = [socket.socket(socket.AF_INET, socket.SOCK_DGRAM) for _ in range(n)]
    try:
        for s in socks:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def log(msg):
    print(msg, flush=True)


def die_with_parent():
    """In the child before exec: a qemu is killed when this script dies
    (PR_SET_PDEATHSIG), so no guest outlives the run and its lock."""
    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)


def on_sigterm(signum, frame):
    raise KeyboardInterrupt  # the guests are powered off on the way out


class Guest:
    def __init__(self, name, image, link, key, more_links=(), forwards=()):
        self.name = name
        self.idx = NODES[name]["idx"]
        self.link_ip = NODES[name]["link_ip"]
        self.image = image
        self.link = link            # qemu -netdev socket option
        # More links between the guests: (qemu -netdev socket option, MAC
        # prefix); and more host ports forwarded: {guest port: host port}.
        self.more_links = list(more_links)
        self.forwards = {p: free_port() for p in forwards}
        self.key = key
        self.port = free_port()
        self.overlay = os.path.join(RUN, f"{name}.qcow2")
        self.lower = os.path.join(RUN, f"{name}-lower.img")
        self.console = os.path.join(RUN, f"{name}.console.log")
        self.cmdlog = open(os.path.join(RUN, f"{name}.commands.log"), "w")
        self.ctl = os.path.join(RUN, f"{name}.ssh")
        self.proc = None
        self.boot_id = None

    # -- the machine
    def create_disks(self):
        for f in (self.overlay, self.lower):
            if os.path.exists(f):
                os.unlink(f)
        subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", "-F", "qcow2",
                        "-b", os.path.join(self.image, "disk.qcow2"), self.overlay], check=True)
        with open(self.lower, "wb") as f:
            f.truncate(LOWER_MB << 20)

    def start(self):
        kernel = os.path.join(self.image, "vmlinuz")
        initrd = os.path.join(self.image, "initrd.img")
        cmd = ["qemu-system-x86_64", "-accel", "tcg", "-m", "1024", "-smp", "1",
               "-display", "none", "-monitor", "none", "-serial", f"file:{self.console}",
               "-kernel", kernel, "-initrd", initrd,
               "-append", "root=/dev/vda rw console=ttyS0 panic=-1",
               "-drive", f"file={self.overlay},if=none,id=root,format=qcow2,cache=writeback",
               "-device", "virtio-blk-pci,drive=root,serial=root",
               "-drive", f"file={self.lower},if=none,id=lower,format=raw,cache=writeback",
               "-device", f"virtio-blk-pci,drive=lower,serial=mdlower-{self.name}",
               # The host's way in (ssh): user networking, nothing else reachable.
               "-netdev", f"user,id=mgmt,restrict=on,hostfwd=tcp:127.0.0.1:{self.port}-:22"
               + "".join(f",hostfwd=tcp:127.0.0.1:{h}-:{p}" for p, h in self.forwards.items()),
               "-device", f"virtio-net-pci,netdev=mgmt,mac=52:54:00:12:34:0{self.idx}",
               # The replication link between the two guests.
               "-netdev", f"socket,id=link,{self.link}",
               "-device", f"virtio-net-pci,netdev=link,mac=52:54:00:77:00:0{self.idx}"]
        for i, (opt, mac) in enumerate(self.more_links):
            cmd += ["-netdev", f"socket,id=link{i + 2},{opt}",
                    "-device", f"virtio-net-pci,netdev=link{i + 2},mac={mac}:0{self.idx}"]
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=open(os.path.join(RUN, f"{self.name}.qemu.err"), "w"),
                                     preexec_fn=die_with_parent)

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self, timeout=120):
        if not self.alive():
            return True
        self.ssh("systemctl poweroff", timeout=20, background=True)
        try:
            self.proc.wait(timeout=timeout)
            return True
        except subprocess.TimeoutExpired:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
            return False
        finally:
            self.ssh_close()

    # -- commands
    def ssh_args(self):
        return ["ssh", "-i", self.key, "-p", str(self.port),
                "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
                "-o", "LogLevel=ERROR", "-o", "BatchMode=yes", "-o", "ConnectTimeout=10",
                "-o", "ServerAliveInterval=5", "-o", "ServerAliveCountMax=3",
                # One connection reused by every command (a new key exchange
                # costs the guest about a second of emulated CPU).
                "-o", "ControlMaster=auto", "-o", f"ControlPath={self.ctl}",
                "-o", "ControlPersist=120", "root@127.0.0.1"]

    def ssh_close(self):
        subprocess.run(self.ssh_args()[:-1] + ["-O", "exit", "root@127.0.0.1"],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def ssh(self, cmd, timeout=300, stdin=None, background=False, quiet=False):
        """Run cmd in the guest; (exit code, stdout+stderr as text)."""
        if background:  # e.g. a reboot: let the ssh return before the guest goes
            cmd = f"nohup sh -c {shlex.quote('sleep 1; ' + cmd)} >/dev/null 2>&1 &"
        t0 = time.time()
        try:
            p = subprocess.run(self.ssh_args() + [cmd], input=stdin,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               timeout=timeout)
            rc, out = p.returncode, p.stdout.decode(errors="replace")
        except subprocess.TimeoutExpired as e:
            rc, out = 124, (e.stdout or b"").decode(errors="replace") + f"\n[timed out after {timeout}s]"
        self.cmdlog.write(f"$ {cmd}\n{out}[exit {rc}, {time.time() - t0:.1f}s]\n\n")
        self.cmdlog.flush()
        if not quiet and rc != 0:
            log(f"     {self.name}: `{cmd}` exit {rc}: {out.strip()[-800:]}")
        return rc, out

    def out(self, cmd, timeout=300):
        rc, out = self.ssh(cmd, timeout=timeout)
        return out.strip() if rc == 0 else None

    def copy_in(self, path, dest):
        with open(path, "rb") as f:
            data = f.read()
        rc, _ = self.ssh(f"cat > {shlex.quote(dest)}", stdin=data)
        return rc == 0

    def wait_up(self, timeout=BOOT_TIMEOUT, old_boot_id=None):
        """Until ssh answers with a boot id other than old_boot_id."""
        end = time.time() + timeout
        while time.time() < end:
            if not self.alive():
                return False
            rc, out = self.ssh("cat /proc/sys/kernel/random/boot_id", timeout=30, quiet=True)
            if rc == 0 and out.strip() and out.strip() != old_boot_id:
                self.boot_id = out.strip()
                return True
            if rc != 0:
                self.ssh_close()
            time.sleep(3)
        return False

    def status(self):
        rc, out = self.ssh("mdctl status --json r0", timeout=60, quiet=True)
        try:
            return json.loads(out)["resources"][0]
        except (ValueError, KeyError, IndexError):
            return None

    def lower_sum(self, offset_mb, mb):
        return self.out(f"dd if=/dev/disk/by-id/virtio-mdlower-{self.name} bs=1M skip={offset_mb} "
                        f"count={mb} iflag=direct status=none | sha256sum | cut -d' ' -f1")


def parallel(fn, guests):
    """fn(guest) for each guest at once; their results in order."""
    res = [None] * len(guests)

    def run(i, g):
        res[i] = fn(g)
    ts = [threading.Thread(target=run, args=(i, g)) for i, g in enumerate(guests)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    return res


def in_sync(st):
    return (st is not None and st.get("connection") == "connected"
            and st.get("disk_state") == "up-to-date" and st.get("health") == "normal"
            and st.get("out_of_sync_bytes") == 0)


def wait_in_sync(guests, timeout=SYNC_TIMEOUT):
    end = time.time() + timeout
    last = None
    while time.time() < end:
        sts = [g.status() for g in guests]
        if all(in_sync(s) for s in sts):
            return True, sts
        brief = [(s or {}).get(k) for s in sts for k in ("role", "connection", "health", "sync_done_bytes", "sync_total_bytes")]
        if brief != last:
            log(f"     waiting: {' | '.join(g.name + ' ' + str(b) for g, b in zip(guests, [brief[i:i + 5] for i in range(0, len(brief), 5)]))}")
            last = brief
        time.sleep(3)
    return False, sts


def brief_status(st):
    if st is None:
        return "no status"
    return ", ".join(f"{k}={st.get(k)}" for k in ("role", "connection", "disk_state", "health", "out_of_sync_bytes"))


class Phases:
    def __init__(self):
        self.times = []
        self.t0 = time.time()

    def run(self, name, fn):
        log(f"== {name}")
        t = time.time()
        try:
            return fn()
        finally:
            d = time.time() - t
            self.times.append((name, d))
            log(f"-- {name}: {d:.0f} s")


def deb_depends_ok(debs, manifest):
    """Every Depends of the .debs is in the image (the guests have no archive)."""
    have = {}
    for line in open(manifest):
        parts = line.split(" ", 2)
        have[parts[0]] = parts[1]
        for prov in (parts[2] if len(parts) > 2 else "").split(","):
            prov = prov.strip().split(" ")[0]
            if prov:
                have.setdefault(prov, parts[1])
    missing = []
    # The packages installed together satisfy each other.
    for deb in debs:
        have[subprocess.run(["dpkg-deb", "-f", deb, "Package"], capture_output=True,
                            text=True).stdout.strip()] = "ours"
    for deb in debs:
        dep = subprocess.run(["dpkg-deb", "-f", deb, "Depends"], capture_output=True, text=True).stdout
        for group in filter(None, (g.strip() for g in dep.split(","))):
            if not any(alt.split()[0] in have for alt in group.split("|")):
                missing.append(group)
    return missing


# The three packages of make deb, installed and purged in every run: the
# cluster's (the resource agent and handlers) too, so that check-deploy
# proves they install and purge cleanly beside the others.
PACKAGES = ("mirrordisk-utils", "mirrordisk-dkms", "mirrordisk-pacemaker")
# The second link between the guests, for check-cluster's ring (unused,
# and unconfigured, in check-deploy's own flows).
RING_LINK = "52:54:00:78:00"


def set_prefix(prefix):
    """The results' names from now on: deploy/..., cluster/..."""
    global PREFIX
    PREFIX = prefix


def main(scenario_fn=None, packages=PACKAGES, more_links=(RING_LINK,), forwards=(), run_dir=None, prefix="deploy"):
    """Build, boot alpha and beta, run scenario_fn(phases, guests, alpha,
    beta, debs, kver), power off, summarize.  The cluster test
    (tests/cluster/scenario.py) calls it with its own scenario (and for
    check-system, this file's scenario with the cluster's in the middle)."""
    global RUN
    set_prefix(prefix)
    scenario_fn = scenario_fn or scenario
    if run_dir:
        RUN = run_dir
    ap = argparse.ArgumentParser()
    ap.add_argument("--no-deb", action="store_true", help="use the .debs already in build/deb")
    ap.add_argument("--keep", action="store_true", help="keep the overlays of the run")
    args = ap.parse_args()
    signal.signal(signal.SIGTERM, on_sigterm)
    os.chdir(ROOT)
    phases = Phases()
    guests = []

    def deb():
        if not args.no_deb:
            p = subprocess.run(["make", "--no-print-directory", "deb"], stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
            os.makedirs(RUN, exist_ok=True)
            with open(os.path.join(RUN, "make-deb.log"), "w") as f:
                f.write(p.stdout)
            need("make-deb", p.returncode == 0, "make deb failed: build/deploy/run/make-deb.log\n" + p.stdout[-2000:])
        found = {}
        for f in sorted(os.listdir("build/deb")) if os.path.isdir("build/deb") else []:
            m = re.match(r"(mirrordisk-[a-z]+)_.*\.deb$", f)
            if m and m.group(1) in packages:
                found[m.group(1)] = os.path.join(ROOT, "build", "deb", f)
        need("debs-built", set(found) == set(packages), f"found {found}")
        return found

    def image():
        p = subprocess.run(["tests/deploy/image.sh"], stdout=subprocess.PIPE, text=True)
        need("image", p.returncode == 0 and p.stdout.strip(), "tests/deploy/image.sh failed")
        return os.path.join(ROOT, p.stdout.strip().splitlines()[-1])

    try:
        if os.path.isdir(RUN):
            for f in os.listdir(RUN):
                os.unlink(os.path.join(RUN, f))
        os.makedirs(RUN, exist_ok=True)
        debs = phases.run("deb (make deb)", deb)
        img = phases.run("image (tests/deploy/image.sh)", image)
        kver = open(os.path.join(img, "kernel.txt")).read().strip()
        missing = deb_depends_ok(list(debs.values()), os.path.join(img, "manifest.txt"))
        need("image-has-depends", not missing,
             f"not in the image: {', '.join(missing)} (add to DEPLOY_PACKAGES in tests/deploy/image.sh)")

        lockf = open(LOCK, "a")
        try:
            fcntl.flock(lockf, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            log(f"-- waiting for {LOCK} (another VM run)")
            t = time.time()
            fcntl.flock(lockf, fcntl.LOCK_EX)
            log(f"-- got the lock after {time.time() - t:.0f} s")
        key = os.path.join(img, "id_ed25519")
        # Each link a pair of UDP endpoints (qemu's socket udp=/localaddr=),
        # not listen/connect: a stream link dies with the guest that
        # listened, and the other's qemu never connects again, so a node
        # powered off and booted again (check-cluster) would come back
        # without its links.  Datagrams just flow again.
        ports = free_udp_ports(2 * (1 + len(more_links)))
        pairs = list(zip(ports[0::2], ports[1::2]))

        def udp(pair, me):
            return f"udp=127.0.0.1:{pair[1 - me]},localaddr=127.0.0.1:{pair[me]}"
        guests = [Guest("alpha", img, udp(pairs[0], 0), key,
                        [(udp(p, 0), mac) for p, mac in zip(pairs[1:], more_links)], forwards),
                  Guest("beta", img, udp(pairs[0], 1), key,
                        [(udp(p, 1), mac) for p, mac in zip(pairs[1:], more_links)], forwards)]
        alpha, beta = guests
        try:
            scenario_fn(phases, guests, alpha, beta, debs, kver)
        except Abort:
            pass
        finally:
            def shutdown():
                ok = parallel(lambda g: g.stop(), guests)
                check("poweroff", all(ok), "a guest did not power off (killed)")
                for g in guests:
                    text = open(g.console, errors="replace").read() if os.path.exists(g.console) else ""
                    m = KERNEL_ERRORS.search(text)
                    check(f"{g.name}/kernel-log-clean", not m,
                          f"console {g.console}: {m.group(0) if m else ''}")
                if not args.keep:
                    for g in guests:
                        for f in (g.overlay, g.lower):
                            if os.path.exists(f):
                                os.unlink(f)
            phases.run("shutdown", shutdown)
            lockf.close()
    except Abort:
        pass
    except Exception as e:  # a bug of this script is a failure too
        import traceback
        traceback.print_exc()
        check("scenario-script", False, repr(e))
        for g in guests:
            if g.alive():
                g.proc.kill()

    total = time.time() - phases.t0
    log("")
    log("durations: " + ", ".join(f"{n.split(' ')[0]} {d:.0f} s" for n, d in phases.times) + f"; total {total:.0f} s")
    passed = sum(r.startswith("PASS") for r in results)
    failed = sum(r.startswith("FAIL") for r in results)
    os.makedirs(RUN, exist_ok=True)
    with open(os.path.join(RUN, "results.txt"), "w") as f:
        f.write("\n".join(results) + "\n")
    if failed:
        log("")
        log("failures:")
        for r in results:
            if r.startswith("FAIL"):
                log(f"  {r}")
        log(f"logs: {os.path.relpath(RUN, ROOT)}")
    log("")
    log(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


def udev_link(g, name):
    """/dev/mirror/r0 -> /dev/mirror0 (packaging/60-mirrordisk.rules); on a
    failure, what udevd said about the device."""
    link = g.out("readlink -e /dev/mirror/r0")
    why = ""
    if link != "/dev/mirror0":
        why = g.out("journalctl -b --no-pager -o cat -u systemd-udevd | grep 'mirror0' | tail -3") or ""
        why = f"/dev/mirror/r0 -> {link}; udevd: {' / '.join(why.splitlines()) or 'nothing'}"
    return check(f"{g.name}/{name}", link == "/dev/mirror0", why)


def boot_guests(phases, both, alpha, beta, kver, more_net=None):
    """Boot both guests, name them, address their links (more_net(g): more
    shell for the guest's network), check the replication link."""
    def boot():
        for g in both:
            g.create_disks()
            g.start()
            time.sleep(0.5)  # alpha listens on the link before beta connects
        up = parallel(lambda g: g.wait_up(), both)
        for g, ok in zip(both, up):
            need(f"{g.name}/boot", ok, f"no ssh within {BOOT_TIMEOUT} s (console {g.console})")
        for g in both:
            # The administrator's part of a new server: its name and the
            # address on the replication link, kept on its disk.
            cfg = (f"echo {g.name} > /etc/hostname && hostname {g.name} && "
                   f"printf '[Match]\\nMACAddress=52:54:00:77:00:0{g.idx}\\n\\n[Network]\\n"
                   f"Address={g.link_ip}/24\\nLinkLocalAddressing=no\\n' "
                   f"> /etc/systemd/network/20-link.network && "
                   + (more_net(g) + " && " if more_net else "") + "systemctl restart systemd-networkd")
            need(f"{g.name}/configure", g.ssh(cfg)[0] == 0)
        rc, out = alpha.ssh(f"for i in $(seq 1 20); do ping -c1 -W2 {beta.link_ip} >/dev/null && exit 0; sleep 1; done; exit 1")
        need("link-ping", rc == 0, "alpha cannot reach beta over the link")
        got = alpha.out("uname -r")
        check("guest-kernel", got == kver, f"guest runs {got}, image has {kver}", info=f"guests run {got}")
    phases.run("boot both guests", boot)


def install_debs(phases, both, debs, kver):
    """apt install the .debs in both guests; DKMS builds the module there."""
    def install():
        names = {k: os.path.basename(v) for k, v in debs.items()}
        for g in both:
            for k, path in debs.items():
                need(f"{g.name}/copy-{k}", g.copy_in(path, f"/root/{names[k]}"))
        cmd = ("cd /root && DEBIAN_FRONTEND=noninteractive apt install -y "
               + " ".join(f"./{n}" for n in names.values()))
        res = parallel(lambda g: g.ssh(cmd, timeout=1800), both)
        for g, (rc, out) in zip(both, res):
            # The maintainer scripts say "mirrordisk-dkms: ..." when the
            # module could not be built or loaded.
            bad = [l for l in out.splitlines() if re.search(
                r"^(E:|dpkg: error)|mirrordisk-dkms: |Error!|errors were encountered", l, re.I)]
            check(f"{g.name}/apt-install", rc == 0 and not bad,
                  f"exit {rc}: {' / '.join(bad) or out.strip()[-1500:]}")
            st = g.out("dpkg-query -W -f '${Package} ${Status}\\n' " + " ".join(sorted(debs)))
            check(f"{g.name}/dpkg-installed", st is not None and sorted(st.splitlines()) == [
                f"{k} install ok installed" for k in sorted(debs)], f"dpkg says: {st}")
            ds = g.out("dkms status mirrordisk")
            check(f"{g.name}/dkms-built", ds is not None and f"{kver}, x86_64: installed" in ds, f"dkms status: {ds}", info=ds)
            need(f"{g.name}/module-loaded", g.ssh("test -d /sys/module/mirrordisk")[0] == 0,
                 "postinst did not load the module")
    phases.run("install packages (DKMS build in the guests)", install)


def create_resource(alpha, beta, conf, create_args=""):
    """README's steps: the same configuration on both, mdctl create
    --new-secret on alpha, the secret copied to beta, mdctl create there
    (with create_args on both, e.g. --assume-clean over blank disks)."""
    for g in (alpha, beta):
        need(f"{g.name}/write-conf", g.ssh("cat > /etc/mirrordisk/mirrordisk.conf", stdin=conf.encode())[0] == 0)
    rc, out = alpha.ssh(f"mdctl create --new-secret {create_args} r0")
    need("alpha/create-new-secret", rc == 0, out.strip())
    # scp -p /etc/mirrordisk/r0.secret beta:/etc/mirrordisk/ (via the host)
    p = subprocess.run(alpha.ssh_args() + ["cat /etc/mirrordisk/r0.secret"], capture_output=True)
    need("alpha/read-secret", p.returncode == 0 and len(p.stdout) > 0)
    rc, _ = beta.ssh("umask 077 && cat > /etc/mirrordisk/r0.secret", stdin=p.stdout)
    need("beta/copy-secret", rc == 0 and beta.out("stat -c %a /etc/mirrordisk/r0.secret") == "600")
    rc, out = beta.ssh(f"mdctl create {create_args} r0")
    need("beta/create", rc == 0, out.strip())


def scenario(phases, guests, alpha, beta, debs, kver, more_net=None, before_purge=None):
    """check-deploy's flows; before_purge() runs after them, in the same
    guests, before the purge (check-system: the cluster's)."""
    both = guests

    boot_guests(phases, both, alpha, beta, kver, more_net=more_net)
    install_debs(phases, both, debs, kver)

    # ---------------------------------------------------------------- deploy
    def deploy():
        create_resource(alpha, beta, CONF)
        for g in both:
            rc, out = g.ssh("systemctl enable --now mirrordisk@r0")
            need(f"{g.name}/enable-now", rc == 0, out.strip())
        rc, out = alpha.ssh("mdctl activate --force r0")
        need("alpha/activate-force", rc == 0, out.strip())
        ok, sts = wait_in_sync(both)
        need("first-sync", ok, " | ".join(brief_status(s) for s in sts))
        check("roles", [s.get("role") for s in sts] == ["primary", "secondary"], str([s.get("role") for s in sts]))
        check("auth", all(s.get("auth") == "hmac-sha256" for s in sts), str([s.get("auth") for s in sts]))
        check("encryption", all(s.get("encryption") == "tls" for s in sts), str([s.get("encryption") for s in sts]))
        for g in both:
            # The default encryption = tls: the kernel's tls module loaded on
            # demand, the record layer in the kernel (mirrord says so).
            rc, out = g.ssh("grep -c 'encrypted: TLS 1.2 in the kernel' /var/log/mirrordisk/r0.log")
            check(f"{g.name}/kernel-tls", rc == 0, out.strip())
        for g in both:
            udev_link(g, "udev-link")
        rc, out = alpha.ssh(f"head -c {PAT1_MB}M /dev/urandom > /root/pat1 && "
                            "dd if=/root/pat1 of=/dev/mirror0 bs=1M oflag=direct conv=fsync status=none && "
                            "sha256sum < /root/pat1 | cut -d' ' -f1")
        need("alpha/write-pattern", rc == 0, out)
        pat1 = out.strip()
        ok, sts = wait_in_sync(both, 120)
        check("in-sync-after-write", ok, " | ".join(brief_status(s) for s in sts))
        sums = [g.lower_sum(0, PAT1_MB) for g in both]
        check("pattern-on-both-lower-disks", sums == [pat1, pat1], f"pattern {pat1}, lower disks {sums}")
        return pat1
    pat1 = phases.run("deploy (README steps)", deploy)

    # ---------------------------------------------------------------- reboot
    def reboot():
        old = {g.name: g.boot_id for g in both}
        for g in both:
            g.ssh("systemctl reboot", background=True)
        time.sleep(5)
        for g in both:
            g.ssh_close()
        up = parallel(lambda g: g.wait_up(old_boot_id=old[g.name]), both)
        for g, ok in zip(both, up):
            need(f"{g.name}/rebooted", ok, f"not back within {BOOT_TIMEOUT} s (console {g.console})")
        # No command here but status: the unit brings the resource up.
        ok, sts = wait_in_sync(both)
        need("back-in-sync-after-reboot", ok, " | ".join(brief_status(s) for s in sts))
        check("both-secondary-after-reboot", [s.get("role") for s in sts] == ["secondary", "secondary"],
              str([s.get("role") for s in sts]))
        for g in both:
            check(f"{g.name}/unit-active-after-reboot", g.out("systemctl is-active mirrordisk@r0") == "active")
            check(f"{g.name}/module-loaded-at-boot", g.ssh("test -d /sys/module/mirrordisk")[0] == 0)
            udev_link(g, "udev-link-after-reboot")
        # README: after a reboot both nodes are secondary; `mdctl activate r0`
        # picks the primary.
        rc, out = alpha.ssh("mdctl activate r0")
        need("alpha/activate-after-reboot", rc == 0, out.strip())
        st = alpha.status()
        check("alpha-primary", st is not None and st.get("role") == "primary", brief_status(st))
        sums = [g.lower_sum(0, PAT1_MB) for g in both]
        check("pattern-after-reboot", sums == [pat1, pat1], f"pattern {pat1}, lower disks {sums}")
        got = alpha.out(f"dd if=/dev/mirror0 bs=1M count={PAT1_MB} iflag=direct status=none | sha256sum | cut -d' ' -f1")
        check("pattern-through-mirror-after-reboot", got == pat1, f"{got} != {pat1}")
    phases.run("reboot both guests", reboot)

    # ---------------------------------------------------------------- kill
    def kill():
        show = "systemctl show -p MainPID -p NRestarts --value mirrordisk@r0"
        before = beta.out(show)
        need("beta/unit-state", before is not None and len(before.split()) == 2, str(before))
        pid0, nres0 = before.split()
        need("beta/pidfile-is-mainpid", beta.out("cat /run/mirrordisk/r0.pid") == pid0)
        # On alpha: wait until it sees the peer go, then write pattern 2 at
        # once (beta's daemon is restarted 2 s after its death), and say
        # what alpha records.
        watch = (f"head -c {PAT2_MB}M /dev/urandom > /root/pat2; echo ready; "
                 "for i in $(seq 1 600); do "
                 "  mdctl status --json r0 | grep -Eq '\"connection\": *\"connected\"' || break; sleep 0.1; done; "
                 f"dd if=/root/pat2 of=/dev/mirror0 bs=1M seek={PAT2_AT_MB} oflag=direct conv=fsync status=none || exit 1; "
                 "mdctl status --json r0; sha256sum < /root/pat2 | cut -d' ' -f1")
        res = {}
        t = threading.Thread(target=lambda: res.update(w=alpha.ssh(watch, timeout=180)))
        t.start()
        time.sleep(4)
        rc, _ = beta.ssh(f"kill -9 {pid0}")
        need("beta/kill-9-mirrord", rc == 0)
        t.join()
        rc, out = res["w"]
        need("alpha/write-while-peer-dead", rc == 0, out.strip()[-800:])
        pat2 = out.strip().splitlines()[-1]
        try:
            st = json.loads(out[out.index("{"):out.rindex("}") + 1])["resources"][0]
        except (ValueError, KeyError, IndexError):
            st = None
        check("alpha-recorded-the-gap", st is not None and st.get("connection") != "connected" and st.get("out_of_sync_bytes", 0) > 0,
              f"right after the write: {brief_status(st)}", info=f"alpha right after the write: {brief_status(st)}")
        # systemd restarts the daemon (RestartSec=2).
        end, after = time.time() + 120, None
        while time.time() < end:
            after = beta.out(show)
            if after and len(after.split()) == 2 and after.split()[0] not in ("0", pid0) and int(after.split()[1]) > int(nres0):
                break
            time.sleep(2)
        ok = bool(after and len(after.split()) == 2 and after.split()[0] not in ("0", pid0) and int(after.split()[1]) == int(nres0) + 1)
        after_s = " ".join((after or "").split())
        check("beta/systemd-restarted-mirrord", ok, f"MainPID NRestarts before: {pid0} {nres0}, after: {after_s}",
              info=f"MainPID {pid0} -> {after_s.split(' ')[0]}, NRestarts {nres0} -> {after_s.split(' ')[-1]}")
        j = beta.out("journalctl -b -u mirrordisk@r0 --no-pager -o cat")
        check("beta/journal-tells", j is not None and "status=9/KILL" in j and "Scheduled restart job" in j,
              "journal lacks the kill or the restart")
        if j:
            for line in j.splitlines():
                if re.search(r"KILL|restart|Started|failed", line, re.I):
                    log(f"     beta journal: {line}")
        ok, sts = wait_in_sync(both)
        check("resynced-after-restart", ok, " | ".join(brief_status(s) for s in sts))
        if sts[0]:
            log(f"     alpha: resynced_bytes={sts[0].get('resynced_bytes')}, last_sync={sts[0].get('last_sync')}")
        sums = [g.lower_sum(PAT2_AT_MB, PAT2_MB) for g in both]
        check("written-range-identical", sums == [pat2, pat2], f"pattern {pat2}, lower disks {sums}")
        size = alpha.out("blockdev --getsize64 /dev/mirror0")
        whole = [g.out(f"dd if=/dev/disk/by-id/virtio-mdlower-{g.name} bs=1M count={size} "
                       "iflag=direct,count_bytes status=none | sha256sum | cut -d' ' -f1") for g in both]
        check("lower-disks-identical", size is not None and whole[0] is not None and whole[0] == whole[1],
              f"{size} bytes: {whole}")
    phases.run("kill -9 mirrord on beta", kill)

    # ---------------------------------------------------------------- file system
    def filesystem():
        # README: "A file system on the device goes in fstab as ... and is
        # mounted after mdctl activate" -- by systemd, as at boot.
        fstab = "/dev/mirror0 /srv ext4 noauto,_netdev,x-systemd.requires=mirrordisk@r0.service 0 0"
        for g in both:
            need(f"{g.name}/fstab", g.ssh(f"echo '{fstab}' >> /etc/fstab && mkdir -p /srv && systemctl daemon-reload")[0] == 0)
        need("alpha/mkfs", alpha.ssh("mkfs.ext4 -q /dev/mirror0")[0] == 0)
        rc, out = alpha.ssh("systemctl start --no-block srv.mount; for i in $(seq 1 30); do "
                            "findmnt -n /srv >/dev/null && exit 0; sleep 1; done; "
                            "systemctl show -p ActiveState dev-mirror0.device; exit 1", quiet=True)
        check("alpha/systemd-mounts-fstab-entry", rc == 0,
              f"srv.mount not mounted within 30 s ({' '.join(out.split())}: systemd never saw the device, see udev-link)")
        if rc != 0:  # the rest of the phase with mount(8), which does not wait for systemd
            alpha.ssh("systemctl stop --no-block srv.mount; systemctl reset-failed srv.mount 2>/dev/null; mount /srv")
        rc, out = alpha.ssh("cp /root/pat1 /srv/data && sync && sha256sum < /srv/data | cut -d' ' -f1 && umount /srv")
        check("alpha/file-on-mirror", rc == 0 and out.strip() == pat1, out.strip())
        ok, sts = wait_in_sync(both, 120)
        check("in-sync-after-file-system", ok, " | ".join(brief_status(s) for s in sts))
        size = alpha.out("blockdev --getsize64 /dev/mirror0")
        whole = [g.out(f"dd if=/dev/disk/by-id/virtio-mdlower-{g.name} bs=1M count={size} "
                       "iflag=direct,count_bytes status=none | sha256sum | cut -d' ' -f1") for g in both]
        check("lower-disks-identical-with-file-system", size is not None and whole[0] is not None and whole[0] == whole[1],
              f"{size} bytes: {whole}")
        for g in both:
            g.ssh("sed -i '\\|^/dev/mirror0 /srv |d' /etc/fstab && systemctl daemon-reload")
    phases.run("file system (README's fstab line)", filesystem)
    if before_purge:
        before_purge()

    # ---------------------------------------------------------------- purge
    def purge():
        # The cluster stopped first where it ran (check-system): Pacemaker
        # stops the resources it manages, the mirror among them.
        cmd = ("systemctl disable -q --now pacemaker corosync && "
               "DEBIAN_FRONTEND=noninteractive apt purge -y " + " ".join(sorted(debs)))
        res = parallel(lambda g: g.ssh(cmd, timeout=600), both)
        for g, (rc, out) in zip(both, res):
            # The maintainer scripts complain as "mirrordisk-...: " or
            # through mdctl; dpkg's note that /etc/mirrordisk (the secret
            # stays, by design) was not removed is no error.
            bad = [l for l in out.splitlines() if re.search(
                r"^(E:|dpkg: error)|errors were encountered|Error!|^mdctl: |^mirrordisk-(utils|dkms): |Failed", l, re.I)]
            check(f"{g.name}/apt-purge", rc == 0 and not bad, f"exit {rc}: {' / '.join(bad) or out.strip()[-1500:]}")
            for l in out.splitlines():
                if "mirrordisk" in l and re.search(r"warning|not empty", l, re.I):
                    log(f"     {g.name}: {l.strip()}")
            st = g.out("dpkg-query -W -f '${Package} ${Status}\\n' " + " ".join(sorted(debs)) + " 2>/dev/null; true")
            check(f"{g.name}/dpkg-gone", st is not None and all(l.endswith(" not-installed") for l in st.splitlines()),
                  f"dpkg says: {st}")
            left = g.out("ls /lib/systemd/system/mirrordisk@.service /etc/systemd/system/*.wants/mirrordisk@* "
                         "/lib/udev/rules.d/60-mirrordisk.rules /etc/modules-load.d/mirrordisk.conf "
                         "/usr/sbin/mdctl /usr/sbin/mirrord /var/log/mirrordisk "
                         "/usr/lib/ocf/resource.d/mirrordisk /usr/lib/mirrordisk 2>/dev/null; true")
            check(f"{g.name}/files-gone", left == "", f"left: {left}")
            units = g.out("systemctl list-units --all --plain --no-legend 'mirrordisk*'; "
                          "systemctl list-unit-files --no-legend 'mirrordisk*'; true")
            check(f"{g.name}/units-gone", units == "", f"systemd still knows: {units}")
            mods = g.out(f"find /lib/modules/{kver} -name 'mirrordisk.ko*'; dkms status mirrordisk; true")
            check(f"{g.name}/module-removed", mods == "", f"left: {mods}")
            check(f"{g.name}/module-unloaded", g.ssh("test -d /sys/module/mirrordisk", quiet=True)[0] != 0,
                  "mirrordisk is still loaded")
            check(f"{g.name}/daemon-and-device-gone",
                  g.out("pgrep -x mirrord; ls /dev/mirror0 /dev/mirror 2>/dev/null; true") == "",
                  "mirrord or /dev/mirror0 still there")
    phases.run("purge packages", purge)


if __name__ == "__main__":
    sys.exit(main())
