"""``python -m lab partition VENDOR [--only etcd|dns]`` and ``heal [VENDOR]``: a clustered
lab's vendor cut off the network while every process of it keeps running.

What is cut (both directions, between VENDOR and the other vendors; lab.netcut says how):

- no ``--only``: everything: etcd (client and peer ports), DNS servers and APIs, origins;
- ``--only etcd``: the etcd members' client and peer ports only, so VENDOR's watcher still
  reaches every DNS provider, API and origin: a leader that lost etcd but can still
  write DNS, the stale leader's case;
- ``--only dns``: the DNS servers and DNS APIs only (BIND, Knot, PowerDNS, AWS's front
  door), etcd and origins flow.

Which endpoints belong to whom comes from lab.json (a revived process keeps its ports),
and each vendor's side is what lab.vendors.PARTS names plus its etcd member. Processes of
no vendor (moto, the parent zone, the resolver, the operator) are cut from nobody. The
cut stays in lab.json's ``cluster.partitions`` too, for ``status``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from lab import aws, etcd, netcut, vendors
from lab.files import load, locked, save
from lab.procs import LabError

ONLY = ("etcd", "dns")
ALL = "all"
DNS_PARTS = ("bind", "knot", "pdns", "aws-proxy")  # DNS servers and DNS APIs


def endpoints(data: dict[str, Any], vendor: str, only: str | None = None
              ) -> list[netcut.Endpoint]:
    """Where ``vendor``'s servers listen, restricted to etcd or DNS by ``only``."""
    out: list[netcut.Endpoint] = []
    if only in (None, "etcd"):
        members = etcd.Cluster.from_dict(data["cluster"]["etcd"]).members
        if vendor in members:
            m = members[vendor]
            out += [(m.host, m.client_port), (m.host, m.peer_port)]
    if only == "etcd":
        return out
    on53 = data.get("resolver", {}).get("addresses", {})
    for part in vendors.PARTS[vendor]:
        if part in data["origins"]["hostings"]:
            if only is None:
                out.append((data["origins"]["hostings"][part]["address"],
                            int(data["origins"]["port"])))
            continue
        if part not in DNS_PARTS:
            continue
        if part == "aws-proxy":
            out.append((aws.HOST, int(data["aws_proxy"]["port"])))
            continue
        server = data[part]
        out.append((server["host"], int(server["port"])))
        if "api_port" in server:
            out.append((server["host"], int(server["api_port"])))
        if part in on53:
            out.append((on53[part], 53))
    return out


def partition(root: Path, vendor: str, only: str | None = None) -> dict[str, Any]:
    """Cut ``vendor`` off the other vendors (``only``: etcd or DNS traffic alone); its
    processes keep running. A cut already there is replaced. What was cut: vendor, only,
    its endpoints and the others'."""
    if only is not None and only not in ONLY:
        raise LabError(f"--only {only}: use one of {', '.join(ONLY)} (or no --only for "
                       "everything)")
    root = Path(root).resolve()
    with locked(root):
        data = load(root)
        vendors.vendor_rows(data, vendor)  # a clustered lab and a known vendor
        gids = data["cluster"].get("gids") or {}
        if vendor not in gids:
            raise LabError("this lab's vendors run under no gid of their own (it was not "
                           "started as root), so nothing can tell their packets apart; "
                           "start it again as root")
        others = [v for v in data["cluster"]["vendors"] if v != vendor]
        own = endpoints(data, vendor, only)
        theirs = [e for v in others for e in endpoints(data, v, only)]
        try:
            netcut.cut(root, vendor, int(gids[vendor]), own, theirs,
                       [int(gids[v]) for v in others if v in gids])
        except BaseException:
            netcut.drop_table(root)
            data["cluster"]["partitions"] = {}
            save(root, data)
            raise
        data["cluster"].setdefault("partitions", {})[vendor] = only or ALL
        save(root, data)
    return {"vendor": vendor, "only": only or ALL, "own": own, "others": theirs}


def heal(root: Path, vendor: str | None = None) -> list[str]:
    """Remove the cut of ``vendor`` (every cut, when None); the vendors healed."""
    root = Path(root).resolve()
    with locked(root):
        data = load(root)
        if vendor is not None:
            vendors.vendor_rows(data, vendor)
        cuts = data.get("cluster", {}).get("partitions", {})
        if vendor is None:
            healed = sorted(cuts)
            netcut.drop_table(root)
            cuts.clear()
        else:
            healed = [vendor] if netcut.uncut(root, vendor) or vendor in cuts else []
            cuts.pop(vendor, None)
        if "cluster" in data:
            save(root, data)
    return healed


def partitions(root: Path) -> dict[str, str]:
    """Vendor -> what is cut (``all``, ``etcd`` or ``dns``), for the cuts in lab.json."""
    return dict(load(Path(root).resolve()).get("cluster", {}).get("partitions", {}))
