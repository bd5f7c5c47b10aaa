"""Plans: per DNS provider, the changes from what it serves to what the policy wants.

A plan is plain data: safe to print, hash and review. Its checksum covers
every provider's changes and reachability, so ``move --checksum`` applies
only the plan that was reviewed. ``check_safety`` refuses plans that touch
more than ``policy.max_change_fraction`` of the managed records at any
provider unless forced (octoDNS's ``raise_if_unsafe``, per provider).
``plan_lines`` lays a plan out for people, line by line and unstyled; the CLI
and the drill report render those lines.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from failover.errors import UnsafePlanError
from failover.policy import Decision
from failover.records import Change, ChangeAction, RRKey, RRSet, by_record, diff


@dataclass
class ProviderPlan:
    """What one DNS provider serves now, what it should serve, and the changes between."""

    provider: str
    vendor: str
    current: dict[RRKey, RRSet] | None       # None when it could not be read
    desired: dict[RRKey, RRSet]
    changes: list[Change] = field(default_factory=list)
    error: str | None = None                 # why it could not be read
    tolerated: bool = False                  # its vendor is being evacuated: failure is expected

    @property
    def reachable(self) -> bool:
        return self.current is not None

    def touched_records(self) -> set[tuple[str, str]]:
        return {(c.key.name, c.key.rtype) for c in self.changes}

    def to_json(self) -> dict[str, Any]:
        return {"provider": self.provider, "vendor": self.vendor, "reachable": self.reachable,
                "error": self.error, "tolerated": self.tolerated,
                "current": _rrsets_json(self.current) if self.current is not None else None,
                "desired": _rrsets_json(self.desired),
                "changes": [c.to_json() for c in self.changes]}


@dataclass
class Plan:
    """Every provider's plan, the decision behind them and a checksum over the changes."""

    zone: str
    decision: Decision
    providers: list[ProviderPlan]
    managed: list[tuple[str, str]]

    @property
    def checksum(self) -> str:
        body = [{"provider": p.provider, "reachable": p.reachable,
                 "changes": [c.to_json() for c in p.changes]} for p in self.providers]
        raw = json.dumps({"zone": self.zone, "providers": body}, sort_keys=True)
        return hashlib.sha256(raw.encode()).hexdigest()[:16]

    @property
    def change_count(self) -> int:
        return sum(len(p.changes) for p in self.providers)

    @property
    def empty(self) -> bool:
        return self.change_count == 0

    def counts(self) -> dict[str, int]:
        out = {"create": 0, "update": 0, "delete": 0}
        for p in self.providers:
            for c in p.changes:
                out[c.action] += 1
        return out

    def to_json(self) -> dict[str, Any]:
        return {"zone": self.zone, "checksum": self.checksum,
                "decision": {"serve": list(self.decision.serve), "reason": self.decision.reason,
                             "keep": self.decision.keep, "off": list(self.decision.off),
                             "to": self.decision.to, "warnings": list(self.decision.warnings)},
                "totals": {**self.counts(), "providers": len(self.providers),
                           "unreachable": sum(not p.reachable for p in self.providers)},
                "providers": [p.to_json() for p in self.providers]}


def _rrsets_json(rrsets: Mapping[RRKey, RRSet]) -> list[dict[str, Any]]:
    return [rrsets[k].to_json() for k in sorted(rrsets)]


def provider_plan(provider: str, vendor: str, current: dict[RRKey, RRSet] | None,
                  desired_by_record: Mapping[tuple[str, str], dict[RRKey, RRSet]],
                  managed: list[tuple[str, str]], *, error: str | None = None,
                  tolerated: bool = False) -> ProviderPlan:
    """Diff one provider. Records the policy leaves out keep their current RRsets."""
    if current is None:
        return ProviderPlan(provider, vendor, None, {}, [], error, tolerated)
    desired: dict[RRKey, RRSet] = {}
    served = by_record(current)
    for record in managed:
        desired.update(desired_by_record.get(record, served.get(record, {})))
    return ProviderPlan(provider, vendor, current, desired, diff(current, desired), None,
                        tolerated)


# As octoDNS's Plan.MIN_EXISTING_RECORDS: with only a few managed records, a
# failover legitimately changes all of them; the threshold guards bulk changes.
SAFETY_MIN_RECORDS = 10


def check_safety(plan: Plan, max_fraction: float, *, force: bool) -> None:
    """Refuse a plan that touches more than ``max_fraction`` of the managed records
    (when there are more than :data:`SAFETY_MIN_RECORDS` of them) unless forced."""
    if force or len(plan.managed) <= SAFETY_MIN_RECORDS:
        return
    for p in plan.providers:
        fraction = len(p.touched_records()) / len(plan.managed)
        if fraction > max_fraction + 1e-9:
            raise UnsafePlanError(
                f"the plan changes {len(p.touched_records())} of {len(plan.managed)} managed "
                f"records ({fraction:.0%}) at {p.provider}, over policy.max_change_fraction "
                f"{max_fraction:.0%}; review it and pass --force to apply")


# -- the plan for people -----------------------------------------------------------------

PlanLineKind = Literal["header", "warning", "provider", "unreachable", "no-changes", "change",
                       "totals", "checksum"]

_MARKS: dict[ChangeAction, str] = {"create": "+", "update": "~", "delete": "-"}


@dataclass(frozen=True, slots=True)
class PlanLine:
    """One line of a plan as people read it, unstyled and unescaped.

    Which fields a line fills depends on its ``kind``:

    - ``header``: ``zone`` and ``text``, the decision's reason;
    - ``warning``: ``text``, one of the decision's warnings;
    - ``provider`` (changes follow), ``no-changes``: ``provider`` and ``vendor``;
    - ``unreachable``: those, ``text`` (why) and ``note`` (what becomes of it);
    - ``change``: ``mark`` (``+`` create, ``~`` update, ``-`` delete), ``key`` (the
      RRset), ``values`` (``old -> new`` for an update), ``ttl`` and ``width``, the
      widest key in the plan, to align the values;
    - ``totals``: ``text`` (the counts) and ``note`` (how many providers are
      unreachable, empty when none);
    - ``checksum``: ``text``, the plan's checksum.
    """

    kind: PlanLineKind
    text: str = ""
    zone: str = ""
    provider: str = ""
    vendor: str = ""
    note: str = ""
    mark: str = ""
    key: str = ""
    values: str = ""
    ttl: str = ""
    width: int = 0


def plan_lines(plan: Plan) -> list[PlanLine]:
    """The plan line by line: the decision and its warnings, per provider its changes
    (or why there are none), the totals, the checksum."""
    lines = [PlanLine("header", plan.decision.reason, zone=plan.zone)]
    lines += [PlanLine("warning", w) for w in plan.decision.warnings]
    width = max((len(str(c.key)) for pp in plan.providers for c in pp.changes), default=0)
    for pp in plan.providers:
        if not pp.reachable:
            note = ("tolerated: its vendor is being evacuated" if pp.tolerated
                    else "will not be written")
            lines.append(PlanLine("unreachable", pp.error or "", provider=pp.provider,
                                  vendor=pp.vendor, note=note))
        elif not pp.changes:
            lines.append(PlanLine("no-changes", provider=pp.provider, vendor=pp.vendor))
        else:
            lines.append(PlanLine("provider", provider=pp.provider, vendor=pp.vendor))
            lines += [_change_line(c, width) for c in pp.changes]
    n = plan.counts()
    unreachable = sum(not pp.reachable for pp in plan.providers)
    lines.append(PlanLine("totals", f"{n['update']} to update, {n['create']} to create, "
                                    f"{n['delete']} to delete at {len(plan.providers)} DNS "
                                    f"providers",
                          note=f"{unreachable} unreachable" if unreachable else ""))
    lines.append(PlanLine("checksum", plan.checksum))
    return lines


def _change_line(c: Change, width: int) -> PlanLine:
    before = ",".join(c.before.values) if c.before else ""
    after = ",".join(c.after.values) if c.after else ""
    values = {"create": after, "delete": before, "update": f"{before} -> {after}"}[c.action]
    if c.before and c.after and c.before.ttl != c.after.ttl:
        ttl = f"ttl {c.before.ttl} -> {c.after.ttl}"
    else:
        ttl = f"ttl {c.after.ttl if c.after else c.before.ttl if c.before else 0}"
    return PlanLine("change", mark=_MARKS[c.action], key=str(c.key),
                    values=values, ttl=ttl, width=width)
