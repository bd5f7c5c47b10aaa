"""The cluster's verdict from the vantage points' views: only fresh ones, only by quorum.

Each watcher publishes its own verdicts under its lease (a view); a view
vanishes when its watcher dies, and is not counted once it is older than the
view expiry, whatever its lease says. The quorum is a share of the
*configured* vantage points (``cluster.watchers``), not of the live ones, so a
lone surviving watcher is never a quorum unless the config's quorum says so.
From the fresh views of configured watchers:

- a view in which no hosting is healthy comes from a watcher that is itself
  cut off (or from a total outage, where there is nowhere to move anyway):
  it is not counted, so a lone cut-off watcher can never move traffic;
- a hosting is DOWN (TERMINATED when the quorum says so) only when at least
  the quorum of the configured vantage points says DOWN or TERMINATED in
  counted views: by default more than half, or a configured fraction (Route
  53 marks healthy when more than 18% of its checkers say so, which is a
  quorum of 0.82 for DOWN);
- otherwise it is served (UP, or DEGRADED when some view doubts it), and
  UNKNOWN when no counted view exists.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from failover.config import Config
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


def needed(quorum: str | float, configured: int) -> int:
    """How many vantage points must agree for the cluster to say DOWN, or UP again (at
    least one): a share of the configured ones."""
    if quorum == "majority":
        return configured // 2 + 1
    return max(1, math.ceil(float(quorum) * configured - 1e-9))


def view_expiry(config: Config) -> float:
    """How old a view may be and still count: ``cluster.view_expiry``, by default three
    watch intervals plus the lease's ttl."""
    cluster = config.cluster
    assert cluster is not None
    if cluster.view_expiry is not None:
        return float(cluster.view_expiry)
    return 3 * float(config.interval) + float(cluster.ttl)


def fresh(views: Sequence[View], watchers: Sequence[str], *, at: float,
          max_age: float) -> tuple[list[View], dict[str, str]]:
    """The views that may be counted: from a configured watcher and at most ``max_age``
    seconds old by their own cycle time; and, node -> why, the others."""
    kept: list[View] = []
    dropped: dict[str, str] = {}
    for v in views:
        if v.node not in watchers:
            dropped[v.node] = "not in cluster.watchers"
        elif at - v.at > max_age:
            dropped[v.node] = f"its view is {at - v.at:.0f}s old, expiry {max_age:g}s"
        else:
            kept.append(v)
    return kept, dropped


def cluster_verdicts(views: Sequence[View], vendors: Mapping[str, str], quorum: str | float,
                     previous: Mapping[str, Mapping[str, Any]] | None = None, *, rise: int = 1,
                     at: float = 0.0, configured: int | None = None
                     ) -> tuple[dict[str, Verdict], dict[str, dict[str, Any]]]:
    """The cluster's verdict per hosting (``vendors``: hosting -> vendor), and the new
    shared state (verdict, since, up streak) for the next cycle.

    ``views`` are the ones that may be counted (see :func:`fresh`); ``configured`` is
    how many vantage points the config names (None: as many as ``views``, for a reader
    that knows no config).

    A quorum is needed both ways: DOWN when the quorum says down, back UP only after
    ``rise`` cycles in a row in which the quorum says up. Without a quorum either way
    (a frozen watcher just woke with an older view, say) the last verdict stands, so
    the cluster does not flap between two plans.
    """
    previous = previous or {}
    counted = [v for v in views if not v.cut_off]
    ignored = sorted(v.node for v in views if v.cut_off)
    total = len(views) if configured is None else configured
    need = needed(quorum, total)
    verdicts: dict[str, Verdict] = {}
    state: dict[str, dict[str, Any]] = {}
    for hosting, vendor in vendors.items():
        said = [v.verdicts[hosting][0] for v in counted if hosting in v.verdicts]
        bad = sum(s in BAD for s in said)
        terminated = sum(s == TERMINATED for s in said)
        good = sum(s in HEALTHY for s in said)
        tally = (f"{bad} of {total} configured vantage points say down, {good} up, "
                 f"{need} needed")
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
