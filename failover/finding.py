"""One checked thing and what the check found: the row every check report is made of.

Its own module, below the engine and coordination, because both make findings (the
cluster's view beside the verdicts, failover/coord/findings.py) and every report
renders them (failover/report.py and the CLI's formats).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Finding:
    """One checked thing and what the check found."""

    kind: str          # "hosting" | "vendor" | "dns" | "serving" | "backup" | ...
    name: str          # hosting, vendor, DNS provider or backup name
    status: str        # a hosting's verdict; else OK | WARNING | CRITICAL | UNKNOWN
    severity: int      # 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN
    reason: str
    vendor: str | None = None
    seconds: float = 0.0            # how long the check took
    evidence: list[dict[str, Any]] = field(default_factory=list)
    metrics: dict[str, float] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "name": self.name, "vendor": self.vendor,
                "status": self.status, "severity": self.severity, "reason": self.reason,
                "seconds": round(self.seconds, 3), "evidence": list(self.evidence),
                "metrics": dict(self.metrics)}
