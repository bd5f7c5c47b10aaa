"""What coordination adds to 'failover check': the pin, and with a cluster each vantage
point's view beside the cluster's verdict (or that etcd cannot be asked: fail-static)."""

from __future__ import annotations

import time
from typing import Any

from failover.coord.base import Coordinator
from failover.coord.quorum import cluster_verdicts, fresh, view_expiry
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
    if pin is not None and pin.expired():
        # Ignored already; the next cycle clears it.
        out.append(Finding("pin", pin.holder.node, "OK", 0, pin.sentence(),
                           metrics={"pinned": 0.0}))
    elif pin is not None:
        out.append(Finding("pin", pin.holder.node, "WARNING", 1, pin.sentence(),
                           metrics={"pinned": 1.0,
                                    "pin_expires_in": max(0.0, pin.until - time.time())
                                    if pin.until is not None else -1.0}))
    if not coord.clustered or config.cluster is None:
        return out
    views = coord.views()
    now = time.time()
    counted, dropped = fresh(views, config.cluster.watchers, at=now,
                             max_age=view_expiry(config))
    verdicts, _state = cluster_verdicts(
        counted, {h: c.vendor for h, c in config.hosting.items()}, config.cluster.quorum,
        coord.cluster_state(), rise=config.rise, configured=len(config.cluster.watchers))
    for view in views:
        for hosting, (verdict, reason) in sorted(view.verdicts.items()):
            note = " (not counted: it sees nothing up)" if view.cut_off else ""
            if view.node in dropped:
                note = f" (not counted: {dropped[view.node]})"
            out.append(Finding("vantage", f"{view.node}/{hosting}", verdict, 0,
                               f"{view.node} at {view.vendor} sees {hosting} {verdict}{note}: "
                               f"{reason}", vendor=view.vendor,
                               metrics={"up": float(verdict in HEALTHY),
                                        "counted": float(view in counted
                                                         and not view.cut_off)}))
    for hosting, v in verdicts.items():
        severity = 0 if v.verdict == "UP" else 1 if v.verdict == "DEGRADED" else 2
        if v.verdict == "UNKNOWN":
            severity = 3
        out.append(Finding("cluster", hosting, v.verdict, severity,
                           f"cluster verdict: {v.reason}", vendor=v.vendor,
                           metrics={"up": float(v.healthy), "down_votes": float(v.fail_streak),
                                    "up_votes": float(v.ok_streak),
                                    "vantage_points": float(len(config.cluster.watchers))}))
    return out
