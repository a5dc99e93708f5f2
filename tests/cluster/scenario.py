#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""`make check-cluster`: the mirror under Debian's own Corosync and Pacemaker,
with PostgreSQL on it, in the two systemd guests of check-deploy.

The guests (tests/deploy/scenario.py's machinery, the image with the
cluster packages added) get a second link between them for the cluster
ring (10.78.0.0/24), apart from the replication link (10.77.0.0/24), so
that one can be cut while the other stays.  Set-up, as README's "Running
under Pacemaker" says: the three packages (dkms, utils, pacemaker), the
resource created and synced once by hand, ext4 on it with PostgreSQL 15's
data directory, corosync (two_node, short token for TCG), and the CIB: the
promotable clone of ocf:mirrordisk:mirror, a group of Filesystem, the
database (systemd:postgresql@15-main) and a virtual IP on the ring,
colocated with the Promoted instance and ordered after promotion.

Before the cluster manages the resource, ocf-tester (resource-agents)
runs against the installed agent on alpha, beta up as its peer.

A client on the standby node commits numbered rows through the virtual IP
(psql, synchronous commit, one transaction per row) and records each one
the server acknowledged.  Scenarios:

  powercut    the primary's qemu is killed during the writes: Pacemaker
              promotes the survivor by itself, the database starts there,
              every acknowledged row is present; the time from the cut to
              the first new commit is printed; the cut node boots, rejoins
              as secondary and resyncs; mdctl verify finds no difference;
              e2fsck -n of the file system is clean.
  switchover  crm resource move of the database group and back, the rows
              checked at each step.
  linkcut     the primary's replication link down, the cluster ring up:
              fence-peer (pcmk-fence-peer) places the constraint that
              keeps the Promoted role there, no second primary, commits
              go on; the link back: resync, unfence-peer removes it.
  doublefail  both nodes powered off, only the standby boots: no quorum
              (two_node's wait_for_all), then, quorum unblocked by the
              administrator, the mirror starts consistent and is not
              promoted; README's override promotes it; the other node
              returns and resyncs from it.

Fencing here: stonith-enabled=false, the power cut done by the harness
(an unreachable node is then assumed down, which is what the cut makes
true).  sbd on a shared disk with qemu's watchdog was not used: under TCG
its timeouts (watchdog 5 s and up, msgwait twice that) race the emulated
guest's own stalls, and the test would measure the emulator.

  tests/cluster/scenario.py [--no-deb] [--keep]
"""
import os
import re
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "deploy"))
import scenario as deploy  # noqa: E402  (tests/deploy/scenario.py)
from scenario import check, need, log, parallel, wait_in_sync, brief_status  # noqa: E402

RUN = os.path.join(deploy.ROOT, "build", "cluster", "run")
SYSTEM_RUN = os.path.join(deploy.ROOT, "build", "system", "run")
RING = {"alpha": "10.78.0.1", "beta": "10.78.0.2"}
VIP = "10.78.0.100"
PGDATA = "/srv/pg/15/main"
FAILOVER_TIMEOUT = 300

# check-deploy's resource, with fencing through the Pacemaker handler
# (cluster/pcmk-fence-peer): a primary that loses the replication link
# keeps the Promoted role to itself with a location constraint, removed
# when the peer is up to date again.
CONF = deploy.CONF.replace(
    "secret-file = /etc/mirrordisk/r0.secret\n",
    "secret-file = /etc/mirrordisk/r0.secret\n"
    "fencing = resource-only\n"
    "fence-peer = /usr/lib/mirrordisk/pcmk-fence-peer\n"
    "unfence-peer = /usr/lib/mirrordisk/pcmk-fence-peer --unfence\n"
    "handler-timeout = 90\n")
# The replication link's interface in a guest (its MAC: tests/deploy).
REPL_IF = "$(ip -o link | grep -i 52:54:00:77:00 | cut -d: -f2 | tr -d ' ')"
FENCE_ID = "mirrordisk-fence-r0"

COROSYNC = """\
totem {
    version: 2
    cluster_name: mdtest
    transport: knet
    crypto_cipher: none
    crypto_hash: none
    # TCG: an emulated guest stalls for seconds at times; the default
    # 3 s token would see that as a failure.
    token: 10000
}
nodelist {
    node {
        ring0_addr: 10.78.0.1
        name: alpha
        nodeid: 1
    }
    node {
        ring0_addr: 10.78.0.2
        name: beta
        nodeid: 2
    }
}
quorum {
    provider: corosync_votequorum
    two_node: 1
}
logging {
    to_syslog: yes
}
"""

CIB_RESOURCES = """\
<resources>
  <clone id="ms_r0">
    <meta_attributes id="ms_r0-meta">
      <nvpair id="ms_r0-promotable" name="promotable" value="true"/>
      <nvpair id="ms_r0-promoted-max" name="promoted-max" value="1"/>
      <nvpair id="ms_r0-promoted-node-max" name="promoted-node-max" value="1"/>
      <nvpair id="ms_r0-clone-max" name="clone-max" value="2"/>
      <nvpair id="ms_r0-clone-node-max" name="clone-node-max" value="1"/>
      <nvpair id="ms_r0-notify" name="notify" value="true"/>
    </meta_attributes>
    <primitive id="mirror_r0" class="ocf" provider="mirrordisk" type="mirror">
      <instance_attributes id="mirror_r0-params">
        <nvpair id="mirror_r0-resource" name="resource" value="r0"/>
      </instance_attributes>
      <operations>
        <op id="mirror_r0-mon-p" name="monitor" interval="20s" role="Promoted" timeout="60s"/>
        <op id="mirror_r0-mon-u" name="monitor" interval="21s" role="Unpromoted" timeout="60s"/>
        <op id="mirror_r0-start" name="start" interval="0" timeout="240s"/>
        <op id="mirror_r0-stop" name="stop" interval="0" timeout="240s"/>
        <op id="mirror_r0-promote" name="promote" interval="0" timeout="120s"/>
        <op id="mirror_r0-demote" name="demote" interval="0" timeout="120s"/>
        <op id="mirror_r0-notify" name="notify" interval="0" timeout="120s"/>
      </operations>
    </primitive>
  </clone>
  <group id="g_db">
    <primitive id="fs_pg" class="ocf" provider="heartbeat" type="Filesystem">
      <instance_attributes id="fs_pg-params">
        <nvpair id="fs_pg-device" name="device" value="/dev/mirror/r0"/>
        <nvpair id="fs_pg-directory" name="directory" value="/srv/pg"/>
        <nvpair id="fs_pg-fstype" name="fstype" value="ext4"/>
      </instance_attributes>
      <operations>
        <op id="fs_pg-mon" name="monitor" interval="30s" timeout="60s"/>
        <op id="fs_pg-start" name="start" interval="0" timeout="180s"/>
        <op id="fs_pg-stop" name="stop" interval="0" timeout="180s"/>
      </operations>
    </primitive>
    <primitive id="db" class="systemd" type="postgresql@15-main">
      <operations>
        <op id="db-mon" name="monitor" interval="30s" timeout="100s"/>
        <op id="db-start" name="start" interval="0" timeout="300s"/>
        <op id="db-stop" name="stop" interval="0" timeout="300s"/>
      </operations>
    </primitive>
    <primitive id="vip" class="ocf" provider="heartbeat" type="IPaddr2">
      <instance_attributes id="vip-params">
        <nvpair id="vip-ip" name="ip" value="10.78.0.100"/>
        <nvpair id="vip-cidr" name="cidr_netmask" value="24"/>
      </instance_attributes>
      <operations>
        <op id="vip-mon" name="monitor" interval="30s" timeout="60s"/>
      </operations>
    </primitive>
  </group>
</resources>
"""

CIB_CONSTRAINTS = """\
<constraints>
  <rsc_colocation id="db-with-promoted" rsc="g_db" with-rsc="ms_r0" with-rsc-role="Promoted" score="INFINITY"/>
  <rsc_order id="db-after-promote" first="ms_r0" first-action="promote" then="g_db" then-action="start" kind="Mandatory"/>
  <rsc_location id="db-prefers-alpha" rsc="g_db" node="alpha" score="50"/>
</constraints>
"""

CLIENT = f"""\
#!/bin/sh
# Commits row N, N+1, ... through the virtual IP until /root/client.stop
# exists; each row the server acknowledged goes to /root/acked (with the
# time), each failure to /root/failed.
n=$(tail -n1 /root/acked 2>/dev/null | cut -d' ' -f1)
n=${{n:-0}}
while [ ! -e /root/client.stop ]; do
    n=$((n + 1))
    if PGCONNECT_TIMEOUT=3 psql -h {VIP} -U app -d app -qtAX \\
        -c "insert into t (id) values ($n)" >/dev/null 2>&1; then
        echo "$n $(date +%s.%N)" >> /root/acked
    else
        echo "$n $(date +%s.%N)" >> /root/failed
        sleep 0.5
    fi
done
"""


def ring_net(g):
    """The cluster ring's address, beside the replication link's."""
    return (f"printf '[Match]\\nMACAddress=52:54:00:78:00:0{g.idx}\\n\\n[Network]\\n"
            f"Address={RING[g.name]}/24\\nLinkLocalAddressing=no\\n' "
            f"> /etc/systemd/network/30-ring.network")


def crm_state(g):
    """crm_mon's view as one line of text (for waiting and the log)."""
    return g.out("crm_mon -1 -r --output-as=text 2>/dev/null | grep -E 'Online|OFFLINE|Promoted|Unpromoted|Started|Stopped|FAILED' | tr -s ' \\n' ' '", timeout=60) or ""


def located(g, rsc, promoted=False):
    """The node running rsc (its Promoted instance with promoted), as g's
    partition sees it, or None."""
    out = g.out(f"crm_resource --resource {rsc} --locate 2>/dev/null", timeout=60) or ""
    for line in out.splitlines():
        if "running on:" in line and (not promoted or "Promoted" in line or "Master" in line):
            return line.split("running on:")[-1].split()[0]
    return None


def promoted_on(g):
    return located(g, "ms_r0", promoted=True)


def db_running_on(g):
    return located(g, "db")


def settle(g, name):
    """Until the cluster has no action left to take (crm_resource --wait):
    a scenario reads who is promoted only after that.  A change of the
    configuration (a target-role deleted) may still move the Promoted role
    for seconds after the command returned, and a cut made meanwhile hits
    the node that was primary a moment ago (how the link cut once found
    alpha promoted without fence-peer)."""
    rc, out = g.ssh("crm_resource --wait --timeout=300s", timeout=330)
    check(f"settled-{name}", rc == 0, out.strip()[-300:])


def explain(g):
    """What a failed promotion leaves to read, into the test's output (CI
    keeps only that): the cluster's view with scores and failures, the
    mirror's status, the agent's and mirrord's last words."""
    rc, out = g.ssh("crm_mon -1 -r -f -A --output-as=text; cibadmin -Q -o constraints; mdctl status r0; "
                    "tail -25 /var/log/mirrordisk/r0.log; "
                    "journalctl --no-pager -n 400 | grep -E 'mirror|fence|promot|Promot' | tail -60",
                    timeout=120, quiet=True)
    for line in out.splitlines()[-160:]:
        log(f"     {g.name}| {line}")


def wait_for(what, fn, timeout):
    end = time.time() + timeout
    while time.time() < end:
        v = fn()
        if v:
            return v
        time.sleep(3)
    log(f"     {what}: not within {timeout} s")
    return None


def fence_owner(g):
    """The node named in the fence constraint, "" when there is none, None
    when the CIB did not answer."""
    rc, out = g.ssh(f"cibadmin -Q -o constraints --xpath \"//rsc_location[@id='{FENCE_ID}']//expression\"",
                    timeout=60, quiet=True)
    if rc != 0:
        return "" if "No such device or address" in out or "No match" in out or rc == 105 else None
    m = re.search(r'value="([^"]*)"', out)
    return m.group(1) if m else ""


def rows_on(g):
    """The ids in table t, read where the database runs now."""
    out = g.out(f"PGCONNECT_TIMEOUT=5 psql -h {VIP} -U app -d app -qtAX -c 'select id from t'", timeout=120)
    return None if out is None else {int(x) for x in out.split()}


def acked_on(g):
    out = g.out("cat /root/acked 2>/dev/null") or ""
    return [(int(a), float(b)) for a, b in (l.split() for l in out.splitlines() if l.strip())]


def hand_over(alpha, beta):
    """check-system: the resource check-deploy made is taken from systemd
    (its unit disabled: Pacemaker starts and stops it from now on) and
    given the cluster's configuration (fencing through the handler)."""
    need("alpha/deactivate-for-cluster", alpha.ssh("mdctl deactivate r0")[0] == 0)
    for g in (alpha, beta):
        rc, out = g.ssh("systemctl disable -q --now mirrordisk@r0 && "
                        "cat > /etc/mirrordisk/mirrordisk.conf", stdin=CONF.encode())
        need(f"{g.name}/unit-off-cluster-conf", rc == 0, out.strip())


def scenario(phases, guests, alpha, beta, debs, kver):
    """make check-cluster: fresh guests, the packages, the cluster."""
    deploy.boot_guests(phases, guests, alpha, beta, kver, more_net=ring_net)
    deploy.install_debs(phases, guests, debs, kver)
    cluster_phases(phases, guests, alpha, beta)


def system_scenario(phases, guests, alpha, beta, debs, kver):
    """make check-system: check-deploy's flows, then the cluster's in the
    same guests, then check-deploy's purge of the three packages."""
    def cluster():
        deploy.set_prefix("cluster")
        try:
            cluster_phases(phases, guests, alpha, beta, reuse=True)
        finally:
            deploy.set_prefix("deploy")
    deploy.scenario(phases, guests, alpha, beta, debs, kver, more_net=ring_net, before_purge=cluster)


def cluster_phases(phases, guests, alpha, beta, reuse=False):
    """The set-up and the four scenarios.  reuse: the resource exists
    (check-system, after check-deploy's flows) and is handed over."""
    both = guests

    # ---------------------------------------------------------------- set-up
    def setup():
        rc, out = alpha.ssh(f"for i in $(seq 1 20); do ping -c1 -W2 {RING['beta']} >/dev/null && exit 0; sleep 1; done; exit 1")
        need("ring-ping", rc == 0, "alpha cannot reach beta over the cluster ring")
        if reuse:
            hand_over(alpha, beta)
        else:
            # Both lower disks are blank images: no initial sync needed
            # (the full sync is check-deploy's to prove; here it cost 9
            # minutes).
            deploy.create_resource(alpha, beta, CONF, "--assume-clean")
        # Up and activated once by hand, then both down: Pacemaker takes it
        # from here.
        for g in both:
            need(f"{g.name}/up", g.ssh("mdctl up r0")[0] == 0)
        rc, out = alpha.ssh("mdctl activate --force r0")
        need("alpha/activate-force", rc == 0, out.strip())
        ok, sts = wait_in_sync(both)
        need("first-sync", ok, " | ".join(brief_status(s) for s in sts))
        # PostgreSQL's data directory on the mirror; the package's own
        # cluster off, its configuration pointing there, on both nodes.
        pgconf = (f"systemctl disable --now postgresql@15-main postgresql >/dev/null 2>&1; "
                  f"sed -i \"s|^data_directory.*|data_directory = '{PGDATA}'|\" /etc/postgresql/15/main/postgresql.conf && "
                  "echo \"listen_addresses = '*'\" >> /etc/postgresql/15/main/postgresql.conf && "
                  "echo 'host all all 10.78.0.0/24 trust' >> /etc/postgresql/15/main/pg_hba.conf && "
                  "mkdir -p /srv/pg")
        for g in both:
            need(f"{g.name}/pg-config", g.ssh(pgconf)[0] == 0)
        rc, out = alpha.ssh(
            "mkfs.ext4 -q /dev/mirror/r0 && mount /dev/mirror/r0 /srv/pg && mkdir -p /srv/pg/15 && "
            f"cp -a /var/lib/postgresql/15/main {PGDATA} && chown -R postgres:postgres /srv/pg/15 && "
            "systemctl start postgresql@15-main && "
            "cd /tmp && runuser -u postgres -- psql -qc 'create user app' && "
            "runuser -u postgres -- createdb -O app app && "
            "runuser -u postgres -- psql -d app -qc 'create table t (id bigint primary key, at timestamptz default now()); "
            "alter table t owner to app' && "
            "systemctl stop postgresql@15-main && umount /srv/pg", timeout=600)
        need("alpha/database-on-mirror", rc == 0, out.strip()[-800:])
        need("alpha/deactivate", alpha.ssh("mdctl deactivate r0")[0] == 0)
        for g in both:
            need(f"{g.name}/down", g.ssh("mdctl down r0")[0] == 0)
        # ocf-tester (resource-agents) against the installed agent, before
        # the cluster manages it: beta up, so that alpha's start meets its
        # peer (up to date) and promote may go on; alpha stopped after it.
        need("beta/up-for-ocf-tester", beta.ssh("mdctl up r0")[0] == 0)
        rc, out = alpha.ssh("ocf-tester -n mirror_r0 -o resource=r0 "
                            "/usr/lib/ocf/resource.d/mirrordisk/mirror", timeout=900)
        check("ocf-tester", rc == 0 and "passed all tests" in out, out.strip()[-1500:])
        st = alpha.status()
        check("ocf-tester-left-alpha-down", st is not None and st.get("state") == "down", brief_status(st))
        need("beta/down-after-ocf-tester", beta.ssh("mdctl down r0")[0] == 0)
        for g in both:
            need(f"{g.name}/corosync-conf", g.ssh("cat > /etc/corosync/corosync.conf", stdin=COROSYNC.encode())[0] == 0)
        res = parallel(lambda g: g.ssh("systemctl enable -q corosync pacemaker && systemctl restart corosync && systemctl start pacemaker", timeout=300), both)
        for g, (rc, out) in zip(both, res):
            need(f"{g.name}/cluster-start", rc == 0, out.strip())
        online = wait_for("both nodes online", lambda: "Online: [ alpha beta ]" in crm_state(alpha), 300)
        need("cluster-online", online, crm_state(alpha))
        for cmd in ("crm_attribute --type crm_config --name stonith-enabled --update false",
                    "crm_attribute --type crm_config --name dc-deadtime --update 5s",
                    "crm_attribute --type rsc_defaults --name resource-stickiness --update 100"):
            need("cib-property", alpha.ssh(cmd)[0] == 0, cmd)
        rc, out = alpha.ssh("cibadmin --replace --scope resources --xml-pipe", stdin=CIB_RESOURCES.encode())
        need("cib-resources", rc == 0, out.strip())
        rc, out = alpha.ssh("cibadmin --replace --scope constraints --xml-pipe", stdin=CIB_CONSTRAINTS.encode())
        need("cib-constraints", rc == 0, out.strip())
        where = wait_for("database running", lambda: db_running_on(alpha), FAILOVER_TIMEOUT)
        need("database-started", where == "alpha", f"db on {where}; {crm_state(alpha)}")
        check("promoted-on-alpha", promoted_on(alpha) == "alpha", crm_state(alpha))
        sts = [g.status() for g in both]
        check("mirror-connected-in-sync", all(deploy.in_sync(s) for s in sts), " | ".join(brief_status(s) for s in sts))
        need("beta/client-script", beta.ssh("cat > /root/client && chmod +x /root/client", stdin=CLIENT.encode())[0] == 0)
    phases.run("set-up (resource, database, corosync, pacemaker)", setup)

    def start_client(g):
        g.ssh("rm -f /root/client.stop; nohup /root/client >/dev/null 2>&1 & echo $! > /root/client.pid")

    def stop_client(g):
        # By its pid: "pgrep -f /root/client" also matched this very
        # command's shell, so it never returned early (41 s per stop).
        rc, out = g.ssh("touch /root/client.stop; p=$(cat /root/client.pid); "
                        "for i in $(seq 1 60); do kill -0 $p 2>/dev/null || exit 0; sleep 0.5; done; exit 1")
        need(f"{g.name}/client-stopped", rc == 0, "the client did not stop within 30 s")

    def rows_complete(g, name):
        acked = acked_on(g)
        rows = rows_on(g)
        missing = sorted({a for a, _ in acked} - (rows or set()))
        check(name, rows is not None and acked and not missing,
              f"{len(missing)} acknowledged rows missing, e.g. {missing[:10]}" if rows is not None else "no rows readable",
              info=f"{len(acked)} rows acknowledged, {len(rows or ())} in the table")
        return acked

    # ---------------------------------------------------------------- power cut
    def powercut():
        start_client(beta)
        got = wait_for("20 rows committed", lambda: len(acked_on(beta)) >= 20, 300)
        need("client-commits", got, f"acked {len(acked_on(beta))}; {crm_state(beta)}")
        cut = time.time()
        alpha.proc.kill()
        alpha.proc.wait()
        alpha.ssh_close()
        log(f"     alpha's power cut at {time.strftime('%H:%M:%S', time.localtime(cut))}")
        n0 = len([a for a, t in acked_on(beta) if t <= cut])
        first = wait_for("a commit after the cut",
                         lambda: next((t for a, t in acked_on(beta) if t > cut), None), FAILOVER_TIMEOUT)
        check("survivor-promoted", promoted_on(beta) == "beta", crm_state(beta))
        # Promoted without its link, the survivor ran fence-peer first
        # (DRBD's rule, lib/gen.c md_promote_needs_fence): the constraint
        # names it until alpha is resynced.
        owner = fence_owner(beta)
        check("takeover-fenced", owner == "beta", f"owner {owner!r}")
        need("commits-after-cut", first, f"none within {FAILOVER_TIMEOUT} s; {crm_state(beta)}")
        check("failover-time", True, info=f"first commit {first - cut:.1f} s after the power cut (TCG guests)")
        wait_for("10 more rows", lambda: len(acked_on(beta)) >= n0 + 10, 120)
        stop_client(beta)
        rows_complete(beta, "no-acknowledged-row-lost")
        # alpha comes back: Pacemaker (enabled at boot) starts the agent,
        # mdctl up, the mirror reconnects as secondary and resyncs.
        alpha.start()
        need("alpha/boots-again", alpha.wait_up(), f"console {alpha.console}")
        online = wait_for("alpha rejoins", lambda: "Online: [ alpha beta ]" in crm_state(beta), 300)
        check("alpha-rejoins", online, crm_state(beta))
        ok, sts = wait_in_sync(both)
        check("resynced-after-rejoin", ok, " | ".join(brief_status(s) for s in sts))
        gone = wait_for("the takeover's fence constraint removed", lambda: fence_owner(beta) == "", 120)
        check("takeover-fence-removed", gone, f"owner {fence_owner(beta)!r}")
        check("alpha-secondary", sts[0] is not None and sts[0].get("role") == "secondary", brief_status(sts[0]))
        check("beta-stays-promoted", promoted_on(beta) == "beta", crm_state(beta))
        rc, out = beta.ssh("mdctl verify r0", timeout=900)
        check("verify-no-difference", rc == 0, out.strip()[-400:])
    phases.run("power cut of the primary during writes", powercut)

    # ---------------------------------------------------------------- switchover
    def switchover():
        start_client(beta)
        wait_for("rows before the move", lambda: len(acked_on(beta)) >= 5, 120)
        for target, name in (("alpha", "to-alpha"), ("beta", "back-to-beta")):
            rc, out = beta.ssh(f"crm_resource --resource g_db --move --node {target}")
            check(f"move-{name}", rc == 0, out.strip())
            where = wait_for(f"db on {target}", lambda: db_running_on(beta) == target and target, FAILOVER_TIMEOUT)
            check(f"db-{name}", where == target, crm_state(beta))
            check(f"promoted-{name}", promoted_on(beta) == target, crm_state(beta))
            n = len(acked_on(beta))
            wait_for("rows after the move", lambda: len(acked_on(beta)) >= n + 3, 120)
            rows_complete(beta, f"rows-complete-{name}")
            beta.ssh("crm_resource --resource g_db --clear")
        stop_client(beta)
        ok, sts = wait_in_sync(both, 300)
        check("in-sync-after-switchover", ok, " | ".join(brief_status(s) for s in sts))
        # The file system, checked read-only with the database group
        # stopped (the mirror stays promoted): clean after a power cut and
        # two moves.
        beta.ssh("crm_resource --resource g_db --meta --set-parameter target-role --parameter-value Stopped")
        stopped = wait_for("g_db stopped", lambda: db_running_on(beta) is None, 300)
        check("db-stopped-for-fsck", stopped, crm_state(beta))
        prim = promoted_on(beta)
        g = beta if prim == "beta" else alpha
        rc, out = g.ssh("e2fsck -fn /dev/mirror/r0", timeout=600)
        check("e2fsck-clean", rc == 0, out.strip()[-400:])
        beta.ssh("crm_resource --resource g_db --meta --delete-parameter target-role")
        settle(beta, "after-fsck")
    phases.run("switchover and back (crm_resource --move)", switchover)

    # ---------------------------------------------------------------- link cut
    def linkcut():
        settle(beta, "before-the-cut")
        prim = promoted_on(beta)
        need("a-primary-before-the-cut", prim in ("alpha", "beta") and db_running_on(beta) == prim,
             crm_state(beta))
        p = beta if prim == "beta" else alpha
        sb = alpha if p is beta else beta
        start_client(beta)
        wait_for("rows before the cut", lambda: len(acked_on(beta)) >= 5, 120)
        rc, out = p.ssh(f"ip link set dev {REPL_IF} down")
        need("cut-replication-link", rc == 0, out.strip())
        log(f"     {p.name}'s replication link down; the cluster ring stays")
        owner = wait_for("the fence constraint", lambda: fence_owner(p) or None, 120)
        check("fence-constraint-placed", owner == p.name, f"owner {owner!r}; {crm_state(p)}")
        st = p.status()
        check("fence-recorded", st is not None and st.get("peer_disk_state") == "outdated", brief_status(st))
        n = len(acked_on(beta))
        more = wait_for("commits during the cut", lambda: len(acked_on(beta)) >= n + 10, 180)
        check("writes-go-on", more, f"{len(acked_on(beta)) - n} commits in 180 s")
        st = sb.status()
        check("no-second-primary", promoted_on(sb) == p.name and st is not None and st.get("role") == "secondary",
              f"{brief_status(st)}; {crm_state(sb)}")
        rc, out = p.ssh(f"ip link set dev {REPL_IF} up")
        need("restore-replication-link", rc == 0, out.strip())
        ok, sts = wait_in_sync(both, 300)
        check("resynced-after-the-link-returns", ok, " | ".join(brief_status(s) for s in sts))
        gone = wait_for("the fence constraint removed", lambda: fence_owner(p) == "", 120)
        check("fence-constraint-removed", gone, f"owner {fence_owner(p)!r}")
        stop_client(beta)
        rows_complete(beta, "rows-complete-after-link-cut")
    phases.run("replication link cut, cluster ring up (fencing)", linkcut)

    # ---------------------------------------------------------------- double failure
    def doublefail():
        prim = promoted_on(beta)
        sb = alpha if prim == "beta" else beta
        p = beta if sb is alpha else alpha
        ok, sts = wait_in_sync(both, 300)
        need("in-sync-before-double-failure", ok, " | ".join(brief_status(s) for s in sts))
        # The client's ledger (beta's /root/acked) is the test's record,
        # not what is tested: on disk before the power goes.
        beta.ssh("sync")
        for g in (p, sb):
            g.proc.kill()
            g.proc.wait()
            g.ssh_close()
        log(f"     both powered off; only {sb.name} (the standby) boots")
        sb.start()
        need(f"{sb.name}/boots-alone", sb.wait_up(), f"console {sb.console}")
        # two_node implies wait_for_all: no quorum until both were seen.
        # The administrator, knowing the other node is down, unblocks it.
        time.sleep(20)
        check("not-promoted-without-quorum", promoted_on(sb) is None, crm_state(sb))
        rc, out = sb.ssh("corosync-cmapctl -s quorum.cancel_wait_for_all u8 1 && "
                         "for i in $(seq 1 60); do corosync-quorumtool -s | grep -q 'Quorate: *Yes' && exit 0; sleep 2; done; "
                         "corosync-quorumtool -s; exit 1")
        check("quorum-unblocked", rc == 0, out.strip()[-400:])
        started = wait_for("the mirror started alone", lambda: (sb.status() or {}).get("state") == "up" or None, 300)
        check("mirror-started-alone", started, crm_state(sb))
        time.sleep(45)  # two monitors: the cluster must not promote a consistent copy
        st = sb.status()
        check("consistent-not-promoted", st is not None and st.get("disk_state") == "consistent"
              and st.get("role") == "secondary" and promoted_on(sb) is None,
              f"{brief_status(st)}; {crm_state(sb)}")
        # Not even tried: a refused promotion is a failure Pacemaker
        # recovers by stop and start, and a start makes the copy consistent
        # again, undoing the override below (the agent gives a consistent
        # copy no promotion score).
        rc, failed = sb.ssh("crm_mon -1 --output-as=xml", timeout=60)
        tried = [l.strip() for l in failed.splitlines() if "<failure " in l and "promote" in l]
        check("no-promotion-tried", rc == 0 and not tried, "; ".join(tried)[-400:] or f"crm_mon exit {rc}")
        # The documented override (README, "Running under Pacemaker").
        rc, out = sb.ssh("crm_resource --resource ms_r0 --meta --set-parameter is-managed --parameter-value false && "
                         "mdctl activate --force r0 && mdctl deactivate r0 && "
                         "crm_resource --resource ms_r0 --meta --delete-parameter is-managed")
        check("override", rc == 0, out.strip()[-400:])
        where = wait_for("database on the survivor", lambda: db_running_on(sb) == sb.name and sb.name, FAILOVER_TIMEOUT)
        if not check("promoted-after-override", where == sb.name and promoted_on(sb) == sb.name, crm_state(sb)):
            explain(sb)
        # The other node back: it rejoins and resyncs from the survivor.
        p.start()
        need(f"{p.name}/boots-again", p.wait_up(), f"console {p.console}")
        ok, sts = wait_in_sync(both, 600)
        check("resynced-after-double-failure", ok, " | ".join(brief_status(s) for s in sts))
        check("survivor-stays-promoted", promoted_on(sb) == sb.name, crm_state(sb))
        # Every row acknowledged before the double failure (the client's
        # ledger is on beta) is in the database the survivor runs.
        rows_complete(beta, "no-acknowledged-row-lost-after-double-failure")
    phases.run("double failure: only the standby boots, then the override", doublefail)


if __name__ == "__main__":
    if "--with-deploy" in sys.argv:
        sys.argv.remove("--with-deploy")
        sys.exit(deploy.main(system_scenario, run_dir=SYSTEM_RUN, prefix="deploy"))
    sys.exit(deploy.main(scenario, run_dir=RUN, prefix="cluster"))
