"""What a probe is asked to check and what it reports."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Target:
    """One check against one endpoint of one hosting."""

    hosting: str
    address: str          # an IP address, or a host name for a CNAME endpoint
    check: Any            # one of the check models in failover.config
    zone_host: str = ""   # the service's host name, for Host headers and SNI when none is set

    @property
    def label(self) -> str:
        kind = self.check.kind
        if kind in ("http", "https"):
            return f"{kind} {self.check.path}"
        if kind == "dns":
            return f"dns {self.check.qname} {self.check.rdtype}"
        return kind


@dataclass(frozen=True)
class ProbeResult:
    """The outcome of one probe: ok or not, how long it took, and why not."""

    hosting: str
    probe: str            # Target.label
    target: str           # address:port as probed
    ok: bool
    latency: float        # seconds
    reason: str = ""      # short, on failure ("connection refused", "status 503", ...)
    at: float = 0.0       # wall-clock time the probe started
    detail: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"hosting": self.hosting, "probe": self.probe, "target": self.target,
                "ok": self.ok, "latency_ms": round(self.latency * 1000, 1),
                "reason": self.reason, "at": self.at, "detail": self.detail}
