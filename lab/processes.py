"""The lab's process table: one row (name, address, pid, marker) per process a lab runs,
built straight from its lab.json dict.

``status`` and ``down`` (lab.core), a clustered lab's kill, partition and revive
(lab.vendors), restarts (lab.restart) and reset's checks (lab.reset) all read this one
table. The marker is what the process's command line holds, so that a pid reused by
another program is never taken for it. This module knows only the modules that start
the processes (for their markers), none of the ones that act on the table.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from lab import aws, etcd, extras, pdns, pebble, providers, saas, tlsfront, unbound


def origin_marker(address: str, port: int) -> str:
    """What a hosting's origin's command line holds."""
    return f"lab.origin --address {address} --port {port}"


def watcher_marker(watcher: dict[str, Any]) -> str:
    """What a clustered lab's watcher's command line holds (its lab.json entry given)."""
    return f"--config {watcher['config']} watch"


def rows(data: dict[str, Any], root: Path) -> list[dict[str, Any]]:
    """Every process of the lab in ``root``: name, address, pid and marker, in the order
    ``status`` prints them."""
    return [*_default(data, root), *_cluster(data), *_resolver(data), *_extras(data),
            *_providers(data, root), *_cas(data)]


def _cas(data: dict[str, Any]) -> list[dict[str, Any]]:
    """The two ACME CAs (lab.pebble), in a lab started with --cas."""
    rows = [{"name": name, "address": f"{e['host']}:{e['port']}", "pid": e.get("pid"),
             "marker": pebble.marker(Path(e["folder"]))}
            for name, e in data.get("pebble", {}).items() if not e.get("refusing")]
    if "tls" in data:
        t = data["tls"]
        rows.append({"name": "tls-front", "address": f"{t['address']}:{t['port']}",
                     "pid": t.get("pid"), "marker": tlsfront.marker(t["port"])})
    return rows


def _default(data: dict[str, Any], root: Path) -> list[dict[str, Any]]:
    """What ``up`` starts: the origins, moto, the AWS fault proxy, BIND, the parent, Knot."""
    rows = []
    port = data["origins"]["port"]
    for name, h in data["origins"]["hostings"].items():
        rows.append({"name": name, "address": f"{h['address']}:{port}", "pid": h.get("pid"),
                     "marker": origin_marker(h["address"], port)})
    rows.append({"name": "moto", "address": f"{aws.HOST}:{data['moto']['port']}",
                 "pid": data["moto"].get("pid"),
                 "marker": aws.moto_marker(data["moto"]["port"])})
    if "aws_proxy" in data:  # labs started before the proxy existed have none
        proxy = data["aws_proxy"]
        rows.append({"name": "aws-proxy", "address": f"{aws.HOST}:{proxy['port']}",
                     "pid": proxy.get("pid"), "marker": aws.proxy_marker(proxy["port"])})
    rows.append({"name": "bind", "address": f"{data['bind']['host']}:{data['bind']['port']}",
                 "pid": data["bind"].get("pid"),
                 "marker": str(root / "bind" / "named.conf")})
    if "parent" in data:
        rows.append({"name": "parent",
                     "address": f"{data['parent']['host']}:{data['parent']['port']}",
                     "pid": data["parent"].get("pid"),
                     "marker": str(root / "parent" / "named.conf")})
    if "knot" in data:
        rows.append({"name": "knot", "address": f"{data['knot']['host']}:{data['knot']['port']}",
                     "pid": data["knot"].get("pid"),
                     "marker": str(root / "knot" / "knot.conf")})
    return rows


def _cluster(data: dict[str, Any]) -> list[dict[str, Any]]:
    """A clustered lab's etcd members and watchers (its PowerDNS is among the providers)."""
    if "cluster" not in data:
        return []
    rows = []
    cluster = etcd.Cluster.from_dict(data["cluster"]["etcd"])
    for name, m in cluster.members.items():
        rows.append({"name": f"etcd-{name}", "address": f"{m.host}:{m.client_port}",
                     "pid": m.pid, "marker": m.marker})
    for vendor, w in data["cluster"]["watchers"].items():
        if not w.get("run"):
            continue  # started with --no-watchers
        rows.append({"name": f"watch-{vendor}", "address": "-", "pid": w.get("pid"),
                     "marker": watcher_marker(w)})
    return rows


def _resolver(data: dict[str, Any]) -> list[dict[str, Any]]:
    """Unbound, in a lab started with --resolver."""
    r = data.get("resolver")
    if not r or not r.get("port"):
        return []
    return [{"name": "unbound", "address": f"{r['host']}:{r['port']}", "pid": r.get("pid"),
             "marker": unbound.marker(Path(data["dir"]))}]


def _extras(data: dict[str, Any]) -> list[dict[str, Any]]:
    """The notice channels and status page hosts (lab.extras), and the SaaS stand-ins."""
    rows = []
    if "smtp" in data:
        s = data["smtp"]
        rows.append({"name": "smtp", "address": f"{s['host']}:{s['port']}", "pid": s["pid"],
                     "marker": extras.smtp_marker(s["port"])})
    if "saas" in data:
        s = data["saas"]
        rows.append({"name": "saas", "address": f"{s['host']}:{s['port']}", "pid": s["pid"],
                     "marker": saas.marker(s["port"])})
    if "webhook" in data:
        w = data["webhook"]
        rows.append({"name": "webhook", "address": f"{w['host']}:{w['port']}",
                     "pid": w["pid"], "marker": extras.webhook_marker(w["port"])})
    return rows


def _providers(data: dict[str, Any], root: Path) -> list[dict[str, Any]]:
    """The opt-in DNS providers (lab.providers), and a clustered lab's PowerDNS."""
    rows = []
    if "pdns" in data:
        p = data["pdns"]
        rows.append({"name": "pdns", "address": f"{p['host']}:{p['port']}", "pid": p.get("pid"),
                     "marker": pdns.marker(root)})
    if "cloudflare" in data:
        c = data["cloudflare"]
        rows.append({"name": "cloudflare", "address": f"{providers.HOST}:{c['port']}",
                     "pid": c.get("pid"), "marker": providers.cf_marker(c["port"])})
    if "clouddns" in data:
        g = data["clouddns"]
        rows.append({"name": "clouddns", "address": f"{providers.HOST}:{g['port']}",
                     "pid": g.get("pid"), "marker": providers.gcp_marker(g["port"])})
    return rows
