"""The promise behind every plan: no plan takes away a managed record's last answer.

A property test over random configs, verdicts, operator overrides, endpoints (some
hostings with no values of a type, as an inventory can return) and what each DNS
provider serves now, for every kind of plan: a move (``--to``, ``--off``), a reconcile
(the policy alone) and a rollback (random before-images, some of records today's config
no longer manages). Hypothesis draws one seed per case and the case is built from it
with plain ``random``: hypothesis's own per-draw bookkeeping would make 10,000 cases
take minutes, and these are pure functions, so 10,000 cases take seconds.
"""

from __future__ import annotations

import random
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from failover.config import Config, parse_config
from failover.errors import ConfigError, NoProviderReachable
from failover.health import VERDICTS, Verdict
from failover.plan import ProviderPlan, provider_plan, require_readable, rollback_provider_plan
from failover.policy import Decision, decide, desired_rrsets
from failover.records import RRKey, RRSet, absolute_name, by_record
from tests.hypo import cases

VENDORS = ("aws", "gcp", "metal")
RECORDS = (("@", "A"), ("www", "A"), ("api", "AAAA"), ("www", "AAAA"))
POOL = {"A": ("10.0.0.1", "10.0.0.2", "10.0.1.1", "192.0.2.9"),
        "AAAA": ("2001:db8::1", "2001:db8::2"), "CNAME": ("a.example.org.", "b.example.org.")}
SEEDS = st.integers(min_value=0, max_value=2**64 - 1)
CASES = cases(10_000, keep=True)  # the promise's count, in development too


def some(rng: random.Random, pool: Any, low: int = 0, high: int = 2) -> list[Any]:
    return rng.sample(list(pool), rng.randint(low, min(high, len(pool))))


def a_config(rng: random.Random) -> Config:
    cname = rng.random() < 0.2
    records = [("c", "CNAME")] if cname else some(rng, RECORDS, 1, 4)
    types = sorted({t for _n, t in records})
    hostings = []
    for i in range(rng.randint(1, 4)):
        if cname:
            endpoints = f"{{CNAME: {rng.choice(POOL['CNAME'])}}}"
        else:
            endpoints = "{" + ", ".join(
                f"{t}: [{', '.join(repr(v) for v in some(rng, POOL[t], 1))}]" for t in types) + "}"
        hostings.append(f"  h{i}: {{vendor: {rng.choice(VENDORS)}, priority: "
                        f"{rng.randint(1, 3)}, weight: {rng.randint(1, 5)}, "
                        f"endpoints: {endpoints}}}")
    text = "\n".join([
        "service: s", "zone: example.test.",
        "records: [" + ", ".join(f'{{name: "{n}", type: {t}}}' for n, t in records) + "]",
        "vendors: {aws: {}, gcp: {}, metal: {}}", "hosting:", *hostings,
        "dns: {r53: {vendor: aws, kind: route53, hosted_zone_id: Z1}}",
        "checks: [{kind: tcp, port: 80}]",
        f"policy: {{mode: {rng.choice(['active-passive', 'active-active'])}}}", ""])
    return parse_config(text, "prop.yaml")


def managed_of(config: Config) -> list[tuple[str, str]]:
    return [(absolute_name(r.name, config.zone), r.type) for r in config.records]


def served(rng: random.Random, records: list[tuple[str, str]]) -> dict[RRKey, RRSet]:
    """What a provider holds: per record nothing, one RRset or a weighted set."""
    out: dict[RRKey, RRSet] = {}
    for name, rtype in records:
        shape = rng.choice(["none", "plain", "weighted"])
        if shape == "none":
            continue
        if shape == "plain" or rtype == "CNAME":
            values = some(rng, POOL[rtype], 1, 1 if rtype == "CNAME" else 2)
            rr = RRSet.of(name, rtype, rng.choice([30, 60]), values)
            out[rr.key] = rr
        else:
            for set_id in some(rng, ["h0", "h1", "h2"], 1, 3):
                rr = RRSet.of(name, rtype, 60, [rng.choice(POOL[rtype])], set_id,
                              rng.randint(1, 5))
                out[rr.key] = rr
    return out


def applied(current: dict[RRKey, RRSet], pp: ProviderPlan) -> dict[RRKey, RRSet]:
    """What the provider holds once the plan's changes are applied."""
    after = dict(current)
    for c in pp.changes:
        assert after.get(c.key) == c.before      # each change expects the planned state
        if c.after is None:
            del after[c.key]
        else:
            after[c.after.key] = c.after
    return after


def assert_never_empty(current: dict[RRKey, RRSet], pp: ProviderPlan,
                       managed: list[tuple[str, str]], must_serve: set[tuple[str, str]]) -> None:
    """Every record that had an answer, or that the plan has an answer for, has one after."""
    result = by_record(applied(current, pp))
    assert result == by_record(pp.desired)
    had = by_record(current)
    for record in managed:
        if had.get(record) or record in must_serve:
            assert result.get(record), (record, current, pp.changes)


def a_decision(rng: random.Random, config: Config) -> Decision | None:
    hostings = list(config.hosting)
    verdicts = {h: Verdict(h, config.hosting[h].vendor, rng.choice(VERDICTS), "ok", "", 0, 0)
                for h in hostings if rng.random() < 0.8}
    kind = rng.choice(["reconcile", "move --off", "move --to"])
    off = some(rng, VENDORS, 0, 3) if kind != "reconcile" else []
    to = rng.choice(hostings) if kind == "move --to" else None
    try:
        return decide(config, verdicts, off=off, to=to, terminated=some(rng, VENDORS, 0, 3))
    except ConfigError:
        return None            # --to a hosting at an evacuated vendor: refused outright


@CASES
@given(SEEDS)
def test_no_plan_of_any_kind_leaves_a_record_without_an_answer(seed: int) -> None:
    """Per case: one random config and provider state, a move or reconcile plan on it,
    and a rollback plan of random before-images on it."""
    rng = random.Random(seed)
    config = a_config(rng)
    managed = managed_of(config)
    current = served(rng, managed)

    decision = a_decision(rng, config)
    if decision is not None:
        # Endpoints as an inventory may give them: any hosting may lack a type's values.
        endpoints = {h: {t: some(rng, POOL[t]) for t in ("A", "AAAA", "CNAME")}
                     for h in config.hosting}
        desired = desired_rrsets(config, decision, endpoints, weighted=rng.random() < 0.5)
        must = {(absolute_name(r.name, config.zone), r.type) for r in config.records
                if any(endpoints[h][r.type] for h in decision.serve)}
        assert_never_empty(current, provider_plan("p", "aws", current, desired, managed),
                           managed, must)

    # The move's before-image may cover records today's config no longer manages.
    before = served(rng, some(rng, [*managed, ("old.example.test.", "A")], 0, 5))
    pp = rollback_provider_plan("p", "aws", before, current, managed)
    restorable = {record for record in by_record(before) if record in managed}
    assert_never_empty(current, pp, managed, restorable)
    assert all((c.key.name, c.key.rtype) in managed for c in pp.changes)


@cases(200)
@given(st.lists(st.booleans(), min_size=1, max_size=4))
def test_a_plan_with_no_readable_provider_is_refused(readable: list[bool]) -> None:
    providers = [provider_plan(f"p{i}", "aws", {} if ok else None, {}, [],
                               error=None if ok else f"p{i}: connection refused")
                 for i, ok in enumerate(readable)]
    if any(readable):
        require_readable(providers)
    else:
        with pytest.raises(NoProviderReachable, match="no DNS provider reachable"):
            require_readable(providers)
