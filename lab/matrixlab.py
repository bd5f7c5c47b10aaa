"""The clustered lab as ``failover.matrix.MatrixLab``: what ``failover drill --matrix`` kills,
cuts off the network, restores and reads (lab started with ``python -m lab up --cluster
--resolver``)."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Sequence
from pathlib import Path

from failover.matrix import Authority
from lab import bind, core, partition, resolver, vendors
from lab.procs import LabError


class VendorLab:
    """Kills, cuts and restores whole vendors of the lab in ``dir``; reads its DNS, its
    resolver and its watchers' records. ``resolver=False`` takes a lab without one (the
    resolver's readers are then not to be used)."""

    def __init__(self, dir: Path, resolver: bool = True) -> None:
        self.dir = Path(dir).resolve()
        data = core.load(self.dir)
        if "cluster" not in data or (resolver and "resolver" not in data):
            raise LabError(f"the lab in {self.dir} runs no cluster and resolver; start it with "
                           f"`python -m lab up --cluster --resolver --dir {self.dir}`")
        self.data = data

    def vendors(self) -> list[str]:
        return list(self.data["cluster"]["vendors"])

    def etcd_vendors(self) -> list[str]:
        return list(self.data["cluster"]["etcd"]["members"])

    def node_vendor(self, node: str) -> str | None:
        return next((v for v in self.data["cluster"]["watchers"]
                     if vendors.node_name(v) == node), None)

    def watchers(self) -> int:
        return sum(1 for w in self.data["cluster"]["watchers"].values() if w.get("run"))

    def authorities(self) -> list[Authority]:
        d = self.data
        out = []
        for name in ("bind", "knot", "pdns"):
            host, port = d[name]["host"], int(d[name]["port"])
            out.append(Authority(f"{name} {host}:{port}", _vendor_of(name), _dns(host, port)))
        out.append(Authority("route53 (API)", "aws",
                             lambda name: core.route53_answers(self.data, name)))
        return out

    def resolver_label(self) -> str:
        stale = self.data["resolver"].get("serve_stale")
        return (f"Unbound, serve-stale {'on (client timeout 1.8 s)' if stale else 'off'}, "
                "reset before each row")

    def resolver_vendors(self) -> list[str]:
        """Vendors of the DNS servers on port 53 the parent delegates to (not Route 53)."""
        return sorted({_vendor_of(n) for n in self.data["resolver"]["addresses"]})

    def resolve(self, name: str) -> list[str]:
        # A client waits as long as glibc's stub resolver does (timeout:5) before it
        # counts the resolver as not answering.
        return resolver.answers(self.data, name, timeout=5.0)[1]

    def kill(self, which: Sequence[str]) -> None:
        for vendor in which:
            vendors.kill(self.dir, vendor)

    def restore(self, which: Sequence[str]) -> None:
        for vendor in which:
            vendors.revive(self.dir, vendor)
        self.data = core.load(self.dir)
        # the next row starts from healthy at the resolver too: without this, Unbound keeps
        # a server that was dead in this row in backoff for 15 minutes, and the next row
        # measures this one's aftermath (a 5 s timeout per query; README, the matrix)
        if "resolver" in self.data:
            resolver.reset_to_healthy(self.data)

    def partition(self, vendor: str, only: str | None) -> None:
        partition.partition(self.dir, vendor, only)

    def heal(self, vendor: str) -> None:
        partition.heal(self.dir, vendor)

    def watcher_actions(self) -> dict[str, tuple[float, str]]:
        """Each watcher's last cycle (epoch seconds, action), from its own journal."""
        out = {}
        for vendor, w in self.data["cluster"]["watchers"].items():
            if not w.get("run"):
                continue
            last = last_cycle(self.dir / vendors.journal_name(vendor))
            if last is not None:
                out[vendors.node_name(vendor)] = last
        return out

    def problems(self) -> list[str]:
        return [row["name"] for row in core.status(self.dir) if not row["alive"]]


def last_cycle(journal: Path) -> tuple[float, str] | None:
    """(epoch seconds, action) of the last cycle a watcher's journal records (read only, so
    a running watcher's file is never changed); None if there is none yet."""
    try:
        db = sqlite3.connect(f"file:{journal}?mode=ro", uri=True, timeout=5)
        try:
            row = db.execute("SELECT at, data FROM events WHERE kind='cycle' "
                             "ORDER BY id DESC LIMIT 1").fetchone()
        finally:
            db.close()
    except sqlite3.Error:
        return None
    if row is None:
        return None
    try:
        action = json.loads(row[1]).get("action")
    except (ValueError, AttributeError):
        return None
    return float(row[0]), str(action)


def _vendor_of(server: str) -> str:
    return next(v for v, parts in vendors.PARTS.items() if server in parts)


def _dns(host: str, port: int) -> Callable[[str], list[str]]:
    def read(name: str) -> list[str]:
        return bind.answers(host, port, name)
    return read

