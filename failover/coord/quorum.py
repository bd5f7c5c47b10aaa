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

from failover.verdict import DEGRADED, DOWN, HEALTHY, TERMINATED, UNKNOWN, UP, Verdict

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


def cluster_verdicts(views: Sequence[View], vendors: Mapping[str, str], quorum: str | float,
                     previous: Mapping[str, Mapping[str, Any]] | None = None, *, rise: int = 1,
                     at: float = 0.0) -> tuple[dict[str, Verdict], dict[str, dict[str, Any]]]:
    """The cluster's verdict per hosting (``vendors``: hosting -> vendor), and the new
    shared state (verdict, since, up streak) for the next cycle.

    A quorum is needed both ways: DOWN when the quorum says down, back UP only after
    ``rise`` cycles in a row in which the quorum says up. Without a quorum either way
    (a frozen watcher just woke with an older view, say) the last verdict stands, so
    the cluster does not flap between two plans.
    """
    previous = previous or {}
    counted = [v for v in views if not v.cut_off]
    ignored = sorted(v.node for v in views if v.cut_off)
    need = needed(quorum, len(counted))
    verdicts: dict[str, Verdict] = {}
    state: dict[str, dict[str, Any]] = {}
    for hosting, vendor in vendors.items():
        said = [v.verdicts[hosting][0] for v in counted if hosting in v.verdicts]
        bad = sum(s in BAD for s in said)
        terminated = sum(s == TERMINATED for s in said)
        good = sum(s in HEALTHY for s in said)
        tally = f"{bad} of {len(counted)} vantage points say down, {good} up, {need} needed"
        if ignored:
            tally += f"; not counted (they see nothing up): {', '.join(ignored)}"
        before = previous.get(hosting, {})
        last = str(before.get("verdict", UNKNOWN))
        streak = 0
        if said and bad >= need:
            verdict = TERMINATED if terminated >= need else DOWN
            reason = f"quorum: {tally}"
        elif said and good >= need:
            streak = int(before.get("up_streak", 0)) + 1
            if last in BAD and streak < rise:
                verdict = last
                reason = f"{last} until up {rise} times in a row ({streak} so far): {tally}"
            else:
                verdict = UP if all(s == UP for s in said) else DEGRADED
                reason = f"served: {tally}"
        elif last != UNKNOWN:
            verdict, reason = last, f"no quorum either way, so still {last}: {tally}"
        elif not said:
            verdict, reason = UNKNOWN, "no live vantage point that sees anything up judged it"
        else:
            verdict, reason = DEGRADED, f"no quorum says down: {tally}"
        verdicts[hosting] = Verdict(hosting, vendor, verdict, "cluster", reason, good, bad)
        state[hosting] = {"verdict": verdict, "up_streak": streak, "reason": reason,
                          "since": before.get("since", at) if verdict == last else at}
    return verdicts, state
