"""The cluster's verdict from the vantage points' views: only live ones, only by quorum.

Each watcher publishes its own verdicts under its lease (a view); a view
vanishes when its watcher dies. From the live views:

- a view in which no hosting is healthy comes from a watcher that is itself
  cut off (or from a total outage, where there is nowhere to move anyway):
  it is not counted, so a lone cut-off watcher can never move traffic;
- a hosting is DOWN (TERMINATED when the quorum says so) only when at least
  the quorum of the counted views says DOWN or TERMINATED: by default more
  than half, or a configured fraction (Route 53 marks healthy when more than
  18% of its checkers say so, which is a quorum of 0.82 for DOWN);
- otherwise it is served (UP, or DEGRADED when some view doubts it), and
  UNKNOWN when no counted view exists.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from failover.health import DEGRADED, DOWN, HEALTHY, TERMINATED, UNKNOWN, UP, Verdict

BAD = (DOWN, TERMINATED)


@dataclass(frozen=True)
class View:
    """One vantage point's verdicts: hosting -> (verdict, reason)."""

    node: str
    vendor: str
    at: float
    verdicts: dict[str, tuple[str, str]]

    @property
    def cut_off(self) -> bool:
        """It sees no hosting healthy: it is the one cut off (or nothing is up at all)."""
        return bool(self.verdicts) and not any(v in HEALTHY for v, _r in self.verdicts.values())

    def to_json(self) -> dict[str, Any]:
        return {"node": self.node, "vendor": self.vendor, "at": self.at,
                "verdicts": {h: {"verdict": v, "reason": r}
                             for h, (v, r) in sorted(self.verdicts.items())}}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> View:
        return cls(str(data["node"]), str(data.get("vendor", "?")), float(data.get("at", 0)),
                   {h: (str(v["verdict"]), str(v.get("reason", "")))
                    for h, v in dict(data.get("verdicts", {})).items()})


def needed(quorum: str | float, counted: int) -> int:
    """How many counted views must say DOWN for the cluster to say DOWN (at least one)."""
    if quorum == "majority":
        return counted // 2 + 1
    return max(1, math.ceil(float(quorum) * counted - 1e-9))


def cluster_verdicts(views: Sequence[View], vendors: Mapping[str, str],
                     quorum: str | float) -> dict[str, Verdict]:
    """The cluster's verdict per hosting (``vendors``: hosting -> vendor)."""
    counted = [v for v in views if not v.cut_off]
    ignored = [v.node for v in views if v.cut_off]
    need = needed(quorum, len(counted))
    out: dict[str, Verdict] = {}
    for hosting, vendor in vendors.items():
        said = [v.verdicts[hosting][0] for v in counted if hosting in v.verdicts]
        bad = sum(s in BAD for s in said)
        terminated = sum(s == TERMINATED for s in said)
        good = sum(s in HEALTHY for s in said)
        tally = f"{bad} of {len(counted)} vantage points say down, {need} needed"
        if ignored:
            tally += f"; not counted (they see nothing up): {', '.join(sorted(ignored))}"
        if not said:
            verdict, reason = UNKNOWN, "no live vantage point that sees anything up judged it"
            if ignored:
                reason += f" (not counted: {', '.join(sorted(ignored))})"
        elif bad >= need:
            verdict = TERMINATED if terminated >= need else DOWN
            reason = f"quorum: {tally}"
        elif good:
            verdict = UP if all(s == UP for s in said) else DEGRADED
            reason = f"served: {tally}"
        else:
            verdict, reason = UNKNOWN, f"no quorum either way: {tally}"
        out[hosting] = Verdict(hosting, vendor, verdict, "cluster", reason,
                               good, bad)
    return out
