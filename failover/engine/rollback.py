"""Rollback: which move to undo, and the plan that restores its before-images, with the
refusals a person must see first (records the config no longer matches, a hosting the
rollback would serve that is DOWN or TERMINATED)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

from failover.config import Config
from failover.coord.base import MoveStore, newest_not_rolled_back
from failover.engine.reading import Reads
from failover.errors import JournalError
from failover.journal import MoveRow, StepRow
from failover.plan import Plan, ProviderPlan, require_readable, rollback_provider_plan
from failover.policy import Decision, target_refusals
from failover.records import Snapshot, by_record
from failover.verdict import Verdict

# Each hosting's endpoints by record type.
Endpoints = dict[str, dict[str, list[str]]]
# Judges the hostings named (fresh checks), when the caller gave no verdicts.
Judge = Callable[[list[str]], Mapping[str, Verdict]]


def rollback_target(store: MoveStore, where: str, move_id: int | None) -> MoveRow:
    """The move to undo: the one named, or the newest move not already rolled back."""
    if move_id is not None:
        row = store.move(move_id)
        if row is None:
            raise JournalError(f"no move {move_id} in {where}; see 'failover history'")
        return row
    row = newest_not_rolled_back(store, "move")
    if row is None:
        raise JournalError(f"nothing to roll back in {where}; see 'failover history'")
    return row


def rollback_plan(config: Config, store: MoveStore, target: MoveRow, *,
                  read: Callable[[], Reads], managed: list[tuple[str, str]],
                  endpoints: Callable[[], Endpoints], judge: Judge,
                  terminated: Callable[[], Iterable[str]],
                  verdicts: Mapping[str, Verdict] | None = None) -> Plan:
    """The plan that brings every provider the move touched back to its before-image.

    It carries refusals (applied only with --force) when the before-images no longer
    match the managed records, or when it would send traffic to a hosting that is
    DOWN or TERMINATED, judged from fresh checks (``judge``, or ``verdicts``) as
    ``move --to`` judges its target. ``read`` reads every provider; ``endpoints`` and
    ``terminated`` (the vendors remembered as terminated) are asked only when needed.
    """
    steps = {s.provider: s for s in store.steps(target.id)}
    current = read()
    providers: list[ProviderPlan] = []
    warnings: list[str] = []
    for name, step in steps.items():
        if step.state in ("unreachable", "planned") or name not in config.dns:
            continue
        before = Snapshot.from_json(name, step.before).rrsets
        cur, err = current[name]
        providers.append(rollback_provider_plan(name, step.vendor, before, cur, managed,
                                                error=err, tolerated=step.tolerated))
        if cur is None:
            continue
        had, has = by_record(before), by_record(cur)
        for record in managed:
            if record not in had and has.get(record) and _wrote(step, record):
                warnings.append(f"{name}: {record[0]} {record[1]} had no answer before "
                                f"move {target.id}; it keeps what it serves (no plan "
                                "takes away a record's last answer)")
    require_readable(providers)
    refusals = mismatched_records(target, list(steps.values()), managed)
    dead, unsure = judge_rollback_hostings(config, providers, endpoints, verdicts, judge,
                                           terminated, f"rolling back move {target.id}")
    warnings += unsure
    refusals += dead
    decision = Decision((), f"roll back move {target.id} ({target.reason})",
                        warnings=tuple(warnings))
    return Plan(config.zone, decision, providers, managed, tuple(refusals))


def mismatched_records(target: MoveRow, steps: list[StepRow],
                       managed: list[tuple[str, str]]) -> list[str]:
    """Why the move's before-images do not fit the managed records of today's config."""
    moved = {(rr["name"], rr["type"]) for s in steps for rr in s.before + s.desired}
    if not moved:
        return []
    added = [f"{n} {t}" for n, t in managed if (n, t) not in moved]
    dropped = [f"{n} {t}" for n, t in sorted(moved - set(managed))]
    parts = []
    if added:
        parts.append(f"the config now manages {', '.join(added)}, which move {target.id} "
                     "did not (no before-image: kept as served)")
    if dropped:
        parts.append(f"move {target.id} wrote {', '.join(dropped)}, which the config no "
                     "longer manages (not restored)")
    if not parts:
        return []
    return [f"the before-images of move {target.id} do not match the managed records: "
            + "; ".join(parts) + f"; roll back with the config move {target.id} ran with, "
            "or pass --force"]


def judge_rollback_hostings(config: Config, providers: list[ProviderPlan],
                            endpoints: Callable[[], Endpoints],
                            verdicts: Mapping[str, Verdict] | None, judge: Judge,
                            terminated: Callable[[], Iterable[str]], doing: str = "the rollback"
                            ) -> tuple[list[str], list[str]]:
    """The hostings a rollback would start serving, judged by the rule ``move --to`` uses
    (:func:`failover.policy.target_refusals`): the refusals, and the other problems."""
    owners: dict[str, set[str]] = {}
    for hosting, by_type in endpoints().items():
        for values in by_type.values():
            for value in values:
                owners.setdefault(value.lower().rstrip("."), set()).add(hosting)
    targets: set[str] = set()
    strangers: set[str] = set()
    for pp in providers:
        if pp.current is None:
            continue
        served = {v for rr in pp.current.values() for v in rr.values}
        for rr in pp.desired.values():
            for value in set(rr.values) - served:
                found = owners.get(value.lower().rstrip("."))
                if found:
                    targets |= found
                else:
                    strangers.add(value)
    unsure = [f"the rollback serves {v}, which is no configured hosting's endpoint"
              for v in sorted(strangers)]
    if not targets:
        return [], unsure
    if verdicts is None:
        verdicts = judge(sorted(targets))
    gone = sorted(terminated())
    dead: list[str] = []
    for hosting in sorted(targets):
        refused, problems = target_refusals(config, hosting, verdicts, gone, doing,
                                            "rolls back anyway", again=True)
        dead += refused
        if problems:
            unsure.append(f"the rollback serves {hosting} again, but " + " and ".join(problems))
    return dead, unsure


def _wrote(step: StepRow, record: tuple[str, str]) -> bool:
    """Whether the step's plan gave ``record`` an answer."""
    return any((rr["name"], rr["type"]) == record for rr in step.desired)
