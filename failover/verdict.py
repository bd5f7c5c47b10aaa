"""A hosting's verdict and the words for it: UP, DEGRADED, DOWN, TERMINATED, UNKNOWN.

The model every layer reads (coordination shares verdicts between vantage points, the
engine decides on them, reports show them); how a verdict is reached from probe results
and the journal's counters is :mod:`failover.health`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from failover.probes.base import ProbeResult

UP, DEGRADED, DOWN, TERMINATED, UNKNOWN = "UP", "DEGRADED", "DOWN", "TERMINATED", "UNKNOWN"
VERDICTS = (UP, DEGRADED, DOWN, TERMINATED, UNKNOWN)
HEALTHY = (UP, DEGRADED)


@dataclass(frozen=True)
class Verdict:
    """One hosting's verdict, with the evidence that led to it."""

    hosting: str
    vendor: str
    verdict: str
    observation: str               # ok | partial | fail | none
    reason: str                    # one sentence
    ok_streak: int
    fail_streak: int
    evidence: list[ProbeResult] = field(default_factory=list)
    control: Control | None = None

    @property
    def healthy(self) -> bool:
        return self.verdict in HEALTHY

    @property
    def termination_suspected(self) -> bool:
        """The control plane refuses us while the data plane still serves."""
        return self.healthy and self.control is not None and self.control.state == "refused"

    def to_json(self) -> dict[str, Any]:
        return {"hosting": self.hosting, "vendor": self.vendor, "verdict": self.verdict,
                "observation": self.observation, "reason": self.reason,
                "ok_streak": self.ok_streak, "fail_streak": self.fail_streak,
                "control": self.control.to_json() if self.control else None,
                "evidence": [e.to_json() for e in self.evidence]}


@dataclass(frozen=True)
class Control:
    """What the vendor's control plane said: alive, refused (termination evidence) or unknown."""

    state: str
    reason: str

    def to_json(self) -> dict[str, Any]:
        return {"state": self.state, "reason": self.reason}
