"""The clustered lab (``python -m lab up --cluster``): five vendors, each with what it runs.

On top of the default lab, ``start`` adds one etcd member per vendor (a cluster of five),
rewrites DIR/failover.yaml with a ``cluster:`` section (node ``operator``: a laptop), writes
DIR/watch-VENDOR.yaml for a watcher per vendor (its own node name and journal), sets the
managed records' TTL to 5 s, and starts the watchers. What each vendor runs:

- aws: origin aws-use1; the AWS front door (the fault proxy: Route 53, STS and EC2 all go
  through it, so killing it takes Route 53 away while moto keeps its state behind it, as
  AWS's storage outlives an account's API access); etcd member; watcher;
- gcp: origin gcp-euw1; etcd member; watcher;
- metal: origin metal-fra; BIND (the primary) and Knot (its secondary); etcd; watcher;
- hetzner: PowerDNS (a DNS provider at a vendor that hosts nothing, written through its
  HTTP API); etcd member; watcher;
- quorum: an etcd member and a watcher (the fifth vote).

The parent zone's server (the registry) and moto (AWS's storage) belong to no vendor that
the lab kills. ``kill`` SIGKILLs every process at a vendor; ``freeze`` stops them
(SIGSTOP: ports open, nothing answers); ``thaw`` resumes frozen ones; ``revive`` starts
killed ones again with the same command line (BIND keeps its zone and journal, Knot
transfers afresh, etcd rejoins with its data) and returns once each answers. A network
partition, where every process keeps running, is lab.partition's.

Run as root, each vendor's etcd member and watcher run under a gid of their own
(``gid``), so that lab.netcut can tell their packets apart on loopback.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import time
from pathlib import Path
from typing import Any

from lab import aws, bind, etcd, netcut, pdns, processes, restart
from lab.files import CONFIG, load, locked, save
from lab.procs import LabError, alive, python_env, spawn, stop_many

VENDORS = ("aws", "gcp", "metal", "hetzner", "quorum")
# Which of the default lab's processes (names from lab.processes's table) each vendor runs.
PARTS = {"aws": ("aws-use1", "aws-proxy"), "gcp": ("gcp-euw1",),
         "metal": ("metal-fra", "bind", "knot"), "hetzner": ("pdns",), "quorum": ()}
RECORD_TTL = 5  # seconds: what resolvers may cache a managed answer for
# The watchers' timing: Patroni's rule loop_wait + 2 * retry_timeout <= ttl holds (1 + 4 <= 10).
TIMING = {"interval": "1s", "fall": 2, "rise": 2}
# A watcher's loop renews its lease, so one cycle must fit in it: with a vendor cut off,
# its control plane (timeout 5 s) and its page target (5 s) are waited on in a cycle.
LEASE = {"ttl": "10s", "loop_wait": "1s", "retry_timeout": "2s"}
OPERATOR = "operator"  # the node name of DIR/failover.yaml: a person's laptop
OPERATOR_VENDOR = "laptop"  # its vendor (declared: cluster.vendor must name one)
GID_BASE = 40100  # vendor i's processes run under gid GID_BASE + i (no group entry needed)


def gid(vendor: str) -> int:
    """The gid ``vendor``'s etcd member and watcher run under (as root)."""
    return GID_BASE + VENDORS.index(vendor)


def gids() -> dict[str, int]:
    """Each vendor's gid, or {} when not root (only root may take another group; then no
    partition is possible either)."""
    return {v: gid(v) for v in VENDORS} if os.geteuid() == 0 else {}


def cluster_section(endpoints: list[str], node: str, vendor: str) -> dict[str, Any]:
    """The ``cluster:`` section of a config for one node (failover.config.Cluster)."""
    return {"endpoints": list(endpoints), "node": node, "vendor": vendor, **LEASE,
            "watchers": [node_name(v) for v in VENDORS]}


def watcher_argv(config: Path) -> list[str]:
    """How a vendor's watcher runs: the clustered ``failover watch``, moving on its own."""
    return [sys.executable, "-m", "cli.app", "--config", str(config), "watch", "--auto-move"]


def node_name(vendor: str) -> str:
    """The cluster node name of the watcher at ``vendor``."""
    return f"watcher-{vendor}"


def journal_name(vendor: str) -> str:
    """The file name (in the lab's folder) of the journal of the watcher at ``vendor``."""
    return f"journal-{vendor}.sqlite"


def start(root: Path, *, watchers: bool = True) -> dict[str, Any]:
    """Add the etcd cluster, the cluster configs and (``watchers``) the watchers to the lab
    running in ``root``; the updated lab.json dict. On failure what this started is stopped.
    """
    with locked(root):
        data = load(root)
        if "cluster" in data:
            raise LabError(f"the lab in {root} already runs a cluster")
        if "pdns" in data:
            raise LabError("--cluster runs its own PowerDNS (at vendor hetzner): leave out "
                           "--providers all")
        netcut.drop_table(root)  # a crashed lab's cut would catch this one's new ports
        cluster = etcd.start_cluster(root / "etcd", list(VENDORS), gids=gids())
        try:
            data["pdns"] = _start_pdns(root, data)
            _set_record_ttl(data, RECORD_TTL)
            configs = _write_configs(root, data, cluster.endpoints)
            data["cluster"] = {"etcd": cluster.to_dict(), "vendors": list(VENDORS),
                               "watchers": {v: {"config": str(configs[v]), "pid": None,
                                                "run": watchers} for v in VENDORS},
                               "record_ttl": RECORD_TTL, "dead": [], "frozen": [],
                               "gids": gids(), "partitions": {}}
            if watchers:
                for vendor in VENDORS:
                    _start_watcher(root, data, vendor)
        except BaseException:
            _stop_watchers(data)
            cluster.down()
            if "pdns" in data:
                stop_many([(data["pdns"]["pid"], pdns.marker(root))])
            raise
        save(root, data)
    return data


def _write_configs(root: Path, data: dict[str, Any], endpoints: list[str]) -> dict[str, Path]:
    """DIR/failover.yaml (the operator's node) and DIR/watch-VENDOR.yaml, from the default
    lab's config: interval 1 s, fall 2, TTL 5 s, automatic moves, Route 53 through AWS's
    front door (so that killing aws takes it away), and the cluster."""
    import yaml

    base = yaml.safe_load((root / CONFIG).read_text())
    base["dns"]["route53"]["endpoint_url"] = data["aws_proxy"]["endpoint"]
    p = data["pdns"]
    base["dns"]["pdns"] = {"vendor": "hetzner", "kind": "powerdns", "url": p["url"],
                           "api_key_file": "pdns.key",
                           "verify_servers": [f"{p['host']}:{p['port']}"],
                           "ns_names": [pdns.NS_NAME]}
    base.update(TIMING, ttl=RECORD_TTL)
    base["policy"] = {**base.get("policy", {}), "auto_move": True}
    for vendor in (*VENDORS, OPERATOR_VENDOR):
        base["vendors"].setdefault(vendor, {})
    header = ("# Generated by `python -m lab up --cluster`: the lab's config with a cluster "
              "of five etcd\n# members, one per vendor. NODE.\n")

    def write(path: Path, node: str, vendor: str, journal: str) -> Path:
        doc = {**base, "journal": journal, "cluster": cluster_section(endpoints, node, vendor)}
        text = yaml.safe_dump(doc, sort_keys=False, width=200)
        path.write_text(header.replace("NODE", f"This node: {node} at {vendor}") + text)
        return path

    configs = {v: write(root / f"watch-{v}.yaml", node_name(v), v, journal_name(v))
               for v in VENDORS}
    write(root / CONFIG, OPERATOR, OPERATOR_VENDOR, "journal.sqlite")
    return configs


def _start_pdns(root: Path, data: dict[str, Any]) -> dict[str, Any]:
    """PowerDNS for hetzner: example.test. with the start address, served over DNS and
    written through its HTTP API (a DNS provider at a vendor that hosts nothing)."""
    proc, dns_port, api_port, key = pdns.start(root, avoid=_ports(data))
    try:
        pdns.wait_ready(proc, root, api_port, key, etcd.TIMEOUT)
        pdns.create_zone(api_port, key, bind.ZONE, data["names"],
                         bind.answers(data["bind"]["host"], int(data["bind"]["port"]), "www")[0],
                         RECORD_TTL, [bind.NS_NAME, *data["moto"]["name_servers"]])
    except BaseException:
        stop_many([(proc.pid, pdns.marker(root))])
        raise
    return {"host": pdns.HOST, "port": dns_port, "api_port": api_port, "pid": proc.pid,
            "url": f"http://{pdns.HOST}:{api_port}", "api_key_file": str(root / "pdns.key"),
            "ns": pdns.NS_NAME}


def _ports(data: dict[str, Any]) -> tuple[int, ...]:
    """Ports the default lab took (so a new server does not pick one of them)."""
    servers = ("bind", "knot", "parent", "moto", "aws_proxy")
    return (*(int(data[k]["port"]) for k in servers if k in data), int(data["origins"]["port"]))


def _set_record_ttl(data: dict[str, Any], ttl: int) -> None:
    """Give every managed name its start address with TTL ``ttl`` at BIND (Knot follows by
    NOTIFY) and at Route 53, so a resolver caches answers for ``ttl`` seconds only."""
    import dns.query
    import dns.rcode
    import dns.tsig
    import dns.tsigkeyring
    import dns.update

    secret = Path(data["bind"]["tsig"]["secret_file"]).read_text().strip()
    keyring = dns.tsigkeyring.from_text({bind.KEY_NAME: secret})
    message = dns.update.UpdateMessage(bind.ZONE, keyring=keyring,
                                       keyalgorithm=dns.tsig.HMAC_SHA256)
    changes = []
    for name in data["names"]:
        current = bind.answers(data["bind"]["host"], int(data["bind"]["port"]), name)
        message.replace(name, ttl, "A", *current)
        changes.append({"Action": "UPSERT", "ResourceRecordSet": {
            "Name": name, "Type": "A", "TTL": ttl,
            "ResourceRecords": [{"Value": v} for v in current]}})
    reply = dns.query.tcp(message, data["bind"]["host"], port=int(data["bind"]["port"]),
                          timeout=5)
    if reply.rcode() != dns.rcode.NOERROR:
        raise LabError(f"named: cannot set the records' TTL: {dns.rcode.to_text(reply.rcode())}")
    r53 = aws.client(data["moto"]["endpoint"])
    r53.change_resource_record_sets(HostedZoneId=data["moto"]["hosted_zone_id"],
                                    ChangeBatch={"Changes": changes})
    serial = bind.soa_serial(data["bind"]["host"], int(data["bind"]["port"]), timeout=2)
    deadline = time.monotonic() + 30
    while bind.soa_serial(data["knot"]["host"], int(data["knot"]["port"])) != serial:
        if time.monotonic() > deadline:
            raise LabError("knotd did not pick up the records' new TTL within 30s")
        time.sleep(0.05)


def _start_watcher(root: Path, data: dict[str, Any], vendor: str) -> None:
    w = data["cluster"]["watchers"][vendor]
    proc = spawn(watcher_argv(Path(w["config"])), root / "watchers" / f"{vendor}.log",
                 env=python_env(), cwd=root, group=data["cluster"].get("gids", {}).get(vendor))
    w["pid"] = proc.pid


def _stop_watchers(data: dict[str, Any]) -> None:
    watchers = data.get("cluster", {}).get("watchers", {})
    stop_many([(w.get("pid"), processes.watcher_marker(w)) for w in watchers.values()])


def down(data: dict[str, Any]) -> None:
    """Stop the cluster's processes (called by ``core.down``): the lab's network cuts are
    removed, frozen ones are resumed first, so that they can hear SIGTERM; etcd members are
    SIGKILLed (their data goes)."""
    netcut.drop_table(Path(data["dir"]))
    if "cluster" not in data:
        return
    data["cluster"]["partitions"] = {}
    for row in _all_rows(data):
        if alive(row["pid"], row["marker"]):
            with contextlib.suppress(ProcessLookupError):
                os.kill(row["pid"], signal.SIGCONT)
    _stop_watchers(data)
    etcd.Cluster.from_dict(data["cluster"]["etcd"]).down()
    data["cluster"]["frozen"] = []


def _all_rows(data: dict[str, Any]) -> list[dict[str, Any]]:
    return processes.rows(data, Path(data["dir"]))


def vendor_rows(data: dict[str, Any], vendor: str) -> list[dict[str, Any]]:
    """The process rows (lab.processes) of everything at ``vendor``; LabError for a lab
    with no cluster or an unknown vendor."""
    if "cluster" not in data:
        raise LabError("this lab runs no cluster; start it with `python -m lab up --cluster`")
    if vendor not in VENDORS:
        raise LabError(f"unknown vendor '{vendor}'; the lab's vendors are: "
                       f"{', '.join(VENDORS)}")
    names = {*PARTS[vendor], f"etcd-{vendor}", f"watch-{vendor}"}
    return [row for row in _all_rows(data) if row["name"] in names]


def kill(root: Path, vendor: str) -> list[dict[str, Any]]:
    """SIGKILL everything at ``vendor``: origins, DNS servers, AWS front door, etcd member,
    watcher. Returns once each process is gone; the rows it stopped."""
    with locked(root):
        data = load(root)
        rows = [r for r in vendor_rows(data, vendor) if alive(r["pid"], r["marker"])]
        commands = data["cluster"].setdefault("commands", {})
        for row in rows:
            commands[row["name"]] = restart.command(row["pid"])
        pids = [row["pid"] for row in rows]
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        stop_many([(pid, "") for pid in pids])  # by pid: a dying process has no cmdline
        _mark(data, vendor, dead=True)
        save(root, data)
        return rows


def freeze(root: Path, vendor: str) -> list[dict[str, Any]]:
    """Freeze everything at ``vendor`` (SIGSTOP): its sockets stay open, nothing answers."""
    return _signal(root, vendor, signal.SIGSTOP, frozen=True)


def thaw(root: Path, vendor: str) -> list[dict[str, Any]]:
    """Resume what ``freeze`` froze at ``vendor`` (SIGCONT)."""
    return _signal(root, vendor, signal.SIGCONT, frozen=False)


def _signal(root: Path, vendor: str, sig: signal.Signals, frozen: bool) -> list[dict[str, Any]]:
    with locked(root):
        data = load(root)
        rows = [r for r in vendor_rows(data, vendor) if alive(r["pid"], r["marker"])]
        for row in rows:
            with contextlib.suppress(ProcessLookupError):
                os.kill(row["pid"], sig)
        marks = [v for v in data["cluster"]["frozen"] if v != vendor]
        data["cluster"]["frozen"] = [*marks, vendor] if frozen else marks
        save(root, data)
        return rows


def revive(root: Path, vendor: str, timeout: float = etcd.TIMEOUT) -> list[dict[str, Any]]:
    """Start again what ``kill`` took at ``vendor`` (same command lines, same ports) and
    return once each answers; the rows it started."""
    with locked(root):
        data = load(root)
        rows = [r for r in vendor_rows(data, vendor) if not alive(r["pid"], r["marker"])]
        commands = data["cluster"].get("commands", {})
        started = []
        try:
            for row in rows:
                if row["name"] == f"etcd-{vendor}":
                    cluster = etcd.Cluster.from_dict(data["cluster"]["etcd"])
                    cluster.restart(vendor, timeout)
                    data["cluster"]["etcd"] = cluster.to_dict()
                    continue
                if row["name"] == f"watch-{vendor}":
                    continue  # last, once what it watches is back
                if row["name"] not in commands:
                    raise LabError(f"no record of how {row['name']} ran; restart the lab")
                started.append(restart.start_again(root, data, row["name"],
                                                   commands[row["name"]], timeout))
            if any(r["name"] == f"watch-{vendor}" for r in rows):
                _start_watcher(root, data, vendor)
        except BaseException:
            stop_many([(pid, "") for pid in started])
            raise
        _mark(data, vendor, dead=False)
        save(root, data)
        names = {r["name"] for r in rows}
        return [r for r in vendor_rows(data, vendor) if r["name"] in names]  # new pids


def _mark(data: dict[str, Any], vendor: str, dead: bool) -> None:
    for name, h in data["origins"]["hostings"].items():
        if name in PARTS[vendor]:
            h["alive"] = not dead
    marks = [v for v in data["cluster"]["dead"] if v != vendor]
    data["cluster"]["dead"] = [*marks, vendor] if dead else marks
    if not dead:
        data["cluster"]["frozen"] = [v for v in data["cluster"]["frozen"] if v != vendor]
