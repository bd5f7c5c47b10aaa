"""Policy: which hostings should be served, and the desired answers per DNS provider.

Active-passive serves the healthy hosting(s) with the best (lowest) priority;
active-active serves every healthy hosting, as weighted sets where the DNS
provider supports weights. Operators override with ``--off VENDOR``
(evacuate a vendor whatever the probes say) and ``--to HOSTING``.

Never an empty answer: when nothing eligible is healthy the decision is to
keep what is served, and the caller reports CRITICAL.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from failover.config import Config
from failover.errors import ConfigError
from failover.health import DOWN, TERMINATED, Verdict
from failover.records import RRKey, RRSet, absolute_name
from failover.suggest import did_you_mean

Endpoints = Mapping[str, Mapping[str, Sequence[str]]]


@dataclass(frozen=True)
class Decision:
    """The hostings to serve (empty = keep what is served) and why."""

    serve: tuple[str, ...]
    reason: str
    off: tuple[str, ...] = ()             # vendors evacuated: by the operator or terminated
    to: str | None = None
    warnings: tuple[str, ...] = field(default=())
    # Why the decision is unsafe: the plan carries these, applied only with --force.
    refusals: tuple[str, ...] = field(default=())

    @property
    def keep(self) -> bool:
        return not self.serve


def decide(config: Config, verdicts: Mapping[str, Verdict], *, off: Sequence[str] = (),
           to: str | None = None, terminated: Sequence[str] = ()) -> Decision:
    """Choose the hostings to serve from the verdicts and the operator's overrides.

    ``terminated`` vendors (remembered in the journal) are evacuated like
    ``--off`` ones and never chosen again unless ``--to`` names one of their hostings.
    """
    for vendor in off:
        if vendor not in config.vendors:
            raise ConfigError(f"--off {vendor}: no such vendor"
                              f"{did_you_mean(vendor, config.vendors, '--off {}')}; vendors: "
                              f"{', '.join(sorted(config.vendors))}")
    off_set = tuple(sorted(set(off)))
    if to is not None:
        if to not in config.hosting:
            raise ConfigError(f"--to {to}: no such hosting"
                              f"{did_you_mean(to, config.hosting, '--to {}')}; hostings: "
                              f"{', '.join(sorted(config.hosting))}")
        if config.hosting[to].vendor in off_set:
            raise ConfigError(f"--to {to} is at vendor '{config.hosting[to].vendor}', "
                              "which --off evacuates; pick another hosting")
        refusals, warnings = target_refusals(config, to, verdicts, terminated,
                                             f"--to {to}", "moves there anyway")
        warnings = tuple(f"{problem}; moving there because --to says so"
                         for problem in warnings)
        return Decision((to,), f"operator asked for --to {to}", off_set, to, warnings,
                        refusals)
    gone = tuple(sorted(set(terminated) - set(off_set)))
    off_set = tuple(sorted(set(off_set) | set(terminated)))

    eligible = [h for h, spec in config.hosting.items() if spec.vendor not in off_set]
    healthy = [h for h in eligible if verdicts.get(h) is not None and verdicts[h].healthy]
    excluded = f" outside {', '.join(off_set)}" if off_set else ""
    if not healthy:
        return Decision((), f"no healthy hosting{excluded}: keeping what is served", off_set)
    if config.policy.mode == "active-active":
        reason = f"active-active: every healthy hosting{excluded}"
        return Decision(tuple(sorted(healthy)), reason, off_set)
    best = min(config.hosting[h].priority for h in healthy)
    chosen = tuple(sorted(h for h in healthy if config.hosting[h].priority == best))
    skipped = [h for h in eligible if config.hosting[h].priority < best]
    reason = f"active-passive: {', '.join(chosen)} is the best healthy hosting{excluded}"
    if skipped:
        reason += " (" + ", ".join(f"{h} {verdicts[h].verdict if h in verdicts else 'UNKNOWN'}"
                                   for h in skipped) + ")"
    if off_set:
        reason = f"evacuating {', '.join(off_set)}; " + reason
    if gone:
        reason = f"vendor {', '.join(gone)} TERMINATED; " + reason
    return Decision(chosen, reason, off_set)


def judge_target(config: Config, hosting: str, verdicts: Mapping[str, Verdict],
                 terminated: Sequence[str]) -> list[tuple[str, bool]]:
    """Why sending traffic to ``hosting`` is unsafe, each with whether it is fatal: a
    DOWN or TERMINATED verdict, or a vendor the journal remembers as terminated, is;
    any other unhealthy verdict is not. The one judgement behind ``--to`` (which warns
    and obeys) and rollback (which refuses without --force)."""
    out: list[tuple[str, bool]] = []
    v = verdicts.get(hosting)
    if v is not None and not v.healthy:
        out.append((f"{hosting} is {v.verdict} ({v.reason})", v.verdict in (DOWN, TERMINATED)))
    vendor = config.hosting[hosting].vendor
    if vendor in terminated:
        out.append((f"vendor '{vendor}' was marked TERMINATED", True))
    return out


def target_refusals(config: Config, hosting: str, verdicts: Mapping[str, Verdict],
                    terminated: Sequence[str], doing: str, forced: str, *, again: bool = False
                    ) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The one safety rule of ``move --to`` and ``rollback`` (issue 20): sending traffic
    to a DOWN or TERMINATED ``hosting`` (or one at a vendor remembered as terminated) is
    refused without --force; another unhealthy verdict is a warning. ``doing`` names the
    act ("--to aws-use1", "rolling back move 3"); ``forced``, what --force does.
    Returns (refusals, warnings)."""
    problems = judge_target(config, hosting, verdicts, terminated)
    if any(fatal for _problem, fatal in problems):
        said = " and ".join(problem for problem, _ in problems)
        return (f"{doing} would serve {hosting}{' again' if again else ''}, but {said}; run "
                "'failover move' to serve the best healthy hosting, or 'failover move --to "
                f"HOSTING'; --force {forced}",), ()
    return (), tuple(problem for problem, _ in problems)


def desired_rrsets(config: Config, decision: Decision, endpoints: Endpoints, *,
                   weighted: bool) -> dict[tuple[str, str], dict[RRKey, RRSet]]:
    """Desired RRsets per managed record (absolute name, type) for one DNS provider.

    A record is left out (kept as it is) when the decision keeps what is served
    or when the chosen hostings have no values of its type.
    """
    out: dict[tuple[str, str], dict[RRKey, RRSet]] = {}
    if decision.keep:
        return out
    use_weights = weighted and config.policy.mode == "active-active" and len(decision.serve) > 1
    for record in config.records:
        name = absolute_name(record.name, config.zone)
        ttl = config.record_ttl(record)
        sets: dict[RRKey, RRSet] = {}
        if use_weights and record.type != "CNAME":
            for h in decision.serve:
                values = list(endpoints.get(h, {}).get(record.type, ()))
                if values:
                    rr = RRSet.of(name, record.type, ttl, values, set_id=h,
                                  weight=config.hosting[h].weight)
                    sets[rr.key] = rr
        else:
            values = [v for h in decision.serve for v in endpoints.get(h, {}).get(record.type, ())]
            if record.type == "CNAME":
                values = values[:1]
            if values:
                rr = RRSet.of(name, record.type, ttl, values)
                sets[rr.key] = rr
        if sets:
            out[(name, record.type)] = sets
    return out
