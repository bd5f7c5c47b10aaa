"""Plans: per DNS provider, the changes from what it serves to what the policy wants.

A plan is plain data: safe to print, hash and review. Its checksum covers
every provider's changes and reachability, so ``move --checksum`` applies
only the plan that was reviewed. ``check_safety`` refuses plans that touch
more than ``policy.max_change_fraction`` of the managed records at any
provider unless forced (octoDNS's ``raise_if_unsafe``, per provider).
``plan_lines`` lays a plan out for people, line by line and unstyled; the CLI
and the drill report render those lines.

Two promises hold for every plan, whoever made it (move, reconcile, rollback):
a provider that could not be read is never taken to serve anything (a plan
with no readable provider is refused by :func:`require_readable`), and no plan
takes away a managed record's last answer (:func:`provider_plan` keeps what is
served where the desired answer is empty).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from failover.errors import NoProviderReachable, UnsafePlanError
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
    write_error: str | None = None           # it refused our write credentials (a probe)

    @property
    def reachable(self) -> bool:
        return self.current is not None

    def touched_records(self) -> set[tuple[str, str]]:
        return {(c.key.name, c.key.rtype) for c in self.changes}

    def to_json(self) -> dict[str, Any]:
        return {"provider": self.provider, "vendor": self.vendor, "reachable": self.reachable,
                "error": self.error, "tolerated": self.tolerated,
                "write_error": self.write_error,
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
    # Why this plan must not be applied without the operator's --force (a rollback to
    # a dead hosting, before-images that no longer match the managed records).
    refusals: tuple[str, ...] = ()

    @property
    def checksum(self) -> str:
        """SHA-256 of ``json.dumps({"zone", "providers": [{"provider", "reachable",
        "changes"}]}, sort_keys=True)``, fed one change at a time: the same bytes, so
        the same checksum, without holding every change as dicts (7 MiB at 10,000)."""
        digest = hashlib.sha256(b'{"providers": [')
        for i, p in enumerate(self.providers):
            digest.update(b'{"changes": [' if i == 0 else b', {"changes": [')
            for j, c in enumerate(p.changes):
                text = json.dumps(c.to_json(), sort_keys=True)
                digest.update((text if j == 0 else ", " + text).encode())
            digest.update(f'], "provider": {json.dumps(p.provider)}, '
                          f'"reachable": {json.dumps(p.reachable)}}}'.encode())
        digest.update(f'], "zone": {json.dumps(self.zone)}}}'.encode())
        return digest.hexdigest()[:16]

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
                "refusals": list(self.refusals),
                "totals": {**self.counts(), "providers": len(self.providers),
                           "unreachable": sum(not p.reachable for p in self.providers)},
                "providers": [p.to_json() for p in self.providers]}


def _rrsets_json(rrsets: Mapping[RRKey, RRSet]) -> list[dict[str, Any]]:
    return [rrsets[k].to_json() for k in sorted(rrsets)]


def provider_plan(provider: str, vendor: str, current: dict[RRKey, RRSet] | None,
                  desired_by_record: Mapping[tuple[str, str], dict[RRKey, RRSet]],
                  managed: list[tuple[str, str]], *, error: str | None = None,
                  tolerated: bool = False) -> ProviderPlan:
    """Diff one provider. Records the policy leaves out keep their current RRsets, and so
    does a record whose desired answer is empty: no plan takes away a record's last
    answer (an empty answer is an outage of its own)."""
    if current is None:
        return ProviderPlan(provider, vendor, None, {}, [], error, tolerated)
    desired: dict[RRKey, RRSet] = {}
    served = by_record(current)
    for record in managed:
        desired.update(desired_by_record.get(record) or served.get(record, {}))
    return ProviderPlan(provider, vendor, current, desired, diff(current, desired), None,
                        tolerated)


def rollback_provider_plan(provider: str, vendor: str, before: Mapping[RRKey, RRSet],
                           current: dict[RRKey, RRSet] | None,
                           managed: list[tuple[str, str]], *, error: str | None = None,
                           tolerated: bool = False) -> ProviderPlan:
    """One provider's rollback: every managed record back to its before-image. A record
    the before-image has no answer for is kept as served, like any plan's."""
    held = by_record(dict(before))
    desired = {record: held[record] for record in managed if record in held}
    return provider_plan(provider, vendor, current, desired, managed, error=error,
                         tolerated=tolerated)


def require_readable(providers: list[ProviderPlan]) -> None:
    """Refuse to plan when not one provider could be read: nothing is known about what
    is served, so "no changes" would be a false all-clear."""
    if providers and not any(p.reachable for p in providers):
        raise NoProviderReachable([p.error or f"{p.provider}: could not be read"
                                   for p in providers])


# As octoDNS's Plan.MIN_EXISTING_RECORDS: with only a few managed records, a
# failover legitimately changes all of them; the threshold guards bulk changes.
SAFETY_MIN_RECORDS = 10


def check_safety(plan: Plan, max_fraction: float, *, force: bool) -> None:
    """Refuse a plan that touches more than ``max_fraction`` of the managed records
    (when there are more than :data:`SAFETY_MIN_RECORDS` of them), or that carries a
    refusal, unless forced."""
    if force:
        return
    if plan.refusals:
        raise UnsafePlanError("; ".join(plan.refusals))
    if len(plan.managed) <= SAFETY_MIN_RECORDS:
        return
    for p in plan.providers:
        fraction = len(p.touched_records()) / len(plan.managed)
        if fraction > max_fraction + 1e-9:
            raise UnsafePlanError(
                f"the plan changes {len(p.touched_records())} of {len(plan.managed)} managed "
                f"records ({fraction:.0%}) at {p.provider}, over policy.max_change_fraction "
                f"{max_fraction:.0%}; review it and pass --force to apply")


# -- the plan for people -----------------------------------------------------------------

PlanLineKind = Literal["header", "warning", "refusal", "provider", "unreachable",
                       "no-changes", "change", "more", "totals", "checksum"]

_MARKS: dict[ChangeAction, str] = {"create": "+", "update": "~", "delete": "-"}


@dataclass(frozen=True, slots=True)
class PlanLine:
    """One line of a plan as people read it, unstyled and unescaped.

    Which fields a line fills depends on its ``kind``:

    - ``header``: ``zone`` and ``text``, the decision's reason;
    - ``warning``: ``text``, one of the decision's warnings;
    - ``refusal``: ``text``, why the plan needs --force;
    - ``provider`` (changes follow), ``no-changes``: ``provider`` and ``vendor``;
    - ``unreachable``: those, ``text`` (why) and ``note`` (what becomes of it);
    - ``change``: ``mark`` (``+`` create, ``~`` update, ``-`` delete), ``key`` (the
      RRset), ``values`` (``old -> new`` for an update), ``ttl`` and ``width``, the
      widest key shown, to align the values;
    - ``more``: ``provider``, ``vendor`` and ``text``, how many of its changes were
      left out by the limit (a count, "1,234");
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


def plan_lines(plan: Plan, limit: int | None = None) -> list[PlanLine]:
    """The plan line by line: the decision and its warnings, per provider its changes
    (or why there are none), the totals, the checksum.

    With ``limit``, each provider shows its first ``limit`` changes and a ``more`` line
    counting the rest: a bulk move of 10,000 records reads as a screen, not a scroll
    (and rendering every row cost more than a second of a 10,000-record move).
    """
    lines = [PlanLine("header", plan.decision.reason, zone=plan.zone)]
    lines += [PlanLine("warning", w) for w in plan.decision.warnings]
    lines += [PlanLine("refusal", r) for r in plan.refusals]
    width = max((len(str(c.key)) for pp in plan.providers for c in pp.changes[:limit]),
                default=0)
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
            lines += [_change_line(c, width) for c in pp.changes[:limit]]
            left = len(pp.changes) - len(pp.changes[:limit])
            if left:
                lines.append(PlanLine("more", f"{left:,}", provider=pp.provider,
                                      vendor=pp.vendor))
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
