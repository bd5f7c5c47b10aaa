"""What coordination adds to 'failover check': the pin, and with a cluster each vantage
point's view beside the cluster's verdict (or that etcd cannot be asked: fail-static)."""

from __future__ import annotations

from typing import Any

from failover.coord.base import Coordinator
from failover.coord.quorum import cluster_verdicts
from failover.errors import FailoverError
from failover.finding import Finding
from failover.verdict import HEALTHY


def coord_findings(coord: Coordinator, config: Any) -> list[Finding]:
    out: list[Finding] = []
    try:
        pin = coord.pin()
    except FailoverError as exc:
        return [Finding("cluster", "etcd", "CRITICAL", 2,
                        f"etcd cannot be asked ({exc}): fail-static, watchers move nothing; "
                        "a person may 'failover move --break-glass'")]
    if pin is not None:
        out.append(Finding("pin", pin.holder.node, "WARNING", 1, pin.sentence(),
                           metrics={"pinned": 1.0}))
    if not coord.clustered or config.cluster is None:
        return out
    views = coord.views()
    verdicts, _state = cluster_verdicts(
        views, {h: c.vendor for h, c in config.hosting.items()}, config.cluster.quorum,
        coord.cluster_state(), rise=config.rise)
    for view in views:
        for hosting, (verdict, reason) in sorted(view.verdicts.items()):
            note = " (not counted: it sees nothing up)" if view.cut_off else ""
            out.append(Finding("vantage", f"{view.node}/{hosting}", verdict, 0,
                               f"{view.node} at {view.vendor} sees {hosting} {verdict}{note}: "
                               f"{reason}", vendor=view.vendor,
                               metrics={"up": float(verdict in HEALTHY),
                                        "counted": float(not view.cut_off)}))
    for hosting, v in verdicts.items():
        severity = 0 if v.verdict == "UP" else 1 if v.verdict == "DEGRADED" else 2
        if v.verdict == "UNKNOWN":
            severity = 3
        out.append(Finding("cluster", hosting, v.verdict, severity,
                           f"cluster verdict: {v.reason}", vendor=v.vendor,
                           metrics={"up": float(v.healthy), "down_votes": float(v.fail_streak),
                                    "up_votes": float(v.ok_streak),
                                    "vantage_points": float(len(views))}))
    return out
