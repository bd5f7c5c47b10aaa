"""Policy decisions, desired answers, plan diffs, safety threshold and checksum."""

from __future__ import annotations

import pytest

from failover.config import parse_config
from failover.errors import ConfigError, UnsafePlanError
from failover.health import DOWN, UP, Verdict
from failover.plan import Plan, check_safety, provider_plan
from failover.policy import decide, desired_rrsets
from failover.records import RRSet

CONFIG = """
service: s
zone: example.test.
records: [{name: "@", type: A}, {name: www, type: A}, {name: api, type: A}]
vendors: {aws: {}, gcp: {}, metal: {}}
hosting:
  a: {vendor: aws, priority: 1, weight: 3, endpoints: {A: [10.0.0.1, 10.0.0.2]}}
  g: {vendor: gcp, priority: 2, endpoints: {A: [10.0.1.1]}}
  m: {vendor: metal, priority: 2, endpoints: {A: [10.0.2.1]}}
dns:
  r53: {vendor: aws, kind: route53, hosted_zone_id: Z1}
  bind: {vendor: metal, kind: rfc2136, server: 127.0.0.1}
checks: [{kind: tcp, port: 80}]
"""


def cfg(extra: str = ""):
    return parse_config(CONFIG + extra)


def verdicts(**states: str) -> dict[str, Verdict]:
    vendor = {"a": "aws", "g": "gcp", "m": "metal"}
    return {h: Verdict(h, vendor[h], s, "ok", "", 0, 0) for h, s in states.items()}


ENDPOINTS = {"a": {"A": ["10.0.0.1", "10.0.0.2"]}, "g": {"A": ["10.0.1.1"]},
             "m": {"A": ["10.0.2.1"]}}


def test_active_passive_picks_best_priority_and_ties_share() -> None:
    c = cfg()
    assert decide(c, verdicts(a=UP, g=UP, m=UP)).serve == ("a",)
    d = decide(c, verdicts(a=DOWN, g=UP, m=UP))
    assert d.serve == ("g", "m") and "a DOWN" in d.reason


def test_off_evacuates_whatever_probes_say() -> None:
    d = decide(cfg(), verdicts(a=UP, g=UP, m=DOWN), off=["aws"])
    assert d.serve == ("g",) and d.off == ("aws",) and d.reason.startswith("evacuating aws")


def test_nothing_healthy_keeps_what_is_served() -> None:
    d = decide(cfg(), verdicts(a=DOWN, g=DOWN, m=DOWN))
    assert d.keep and "keeping what is served" in d.reason
    assert desired_rrsets(cfg(), d, ENDPOINTS, weighted=False) == {}


def test_to_a_down_hosting_needs_force_as_rollback_does() -> None:
    d = decide(cfg(), verdicts(a=UP, g=DOWN, m=UP), to="g")
    # One rule with rollback (issue 20): served, but the plan carries a refusal.
    assert d.serve == ("g",) and not d.warnings
    assert d.refusals and "--to g would serve g, but g is DOWN" in d.refusals[0]
    assert "--force moves there anyway" in d.refusals[0]
    d = decide(cfg(), verdicts(a=UP, g=UP, m=UP), to="g")
    assert d.serve == ("g",) and not d.warnings and not d.refusals
    with pytest.raises(ConfigError, match="no such hosting"):
        decide(cfg(), verdicts(a=UP), to="nope")
    with pytest.raises(ConfigError, match="which --off evacuates"):
        decide(cfg(), verdicts(a=UP), to="a", off=["aws"])
    with pytest.raises(ConfigError, match="no such vendor"):
        decide(cfg(), verdicts(a=UP), off=["azure"])


def test_active_active_union_or_weighted() -> None:
    c = cfg("policy: {mode: active-active}\n")
    d = decide(c, verdicts(a=UP, g=UP, m=DOWN))
    assert d.serve == ("a", "g")
    plain = desired_rrsets(c, d, ENDPOINTS, weighted=False)
    (rr,) = plain[("www.example.test.", "A")].values()
    assert rr.values == ("10.0.0.1", "10.0.0.2", "10.0.1.1")
    weighted = desired_rrsets(c, d, ENDPOINTS, weighted=True)[("www.example.test.", "A")]
    assert {(r.set_id, r.weight) for r in weighted.values()} == {("a", 3), ("g", 1)}


def _plan(current: dict, decision_serve: str = "g", max_fraction: float = 0.5) -> Plan:
    c = cfg()
    d = decide(c, verdicts(a=DOWN, g=UP, m=DOWN), to=decision_serve)
    managed = [("example.test.", "A"), ("www.example.test.", "A"), ("api.example.test.", "A")]
    desired = desired_rrsets(c, d, ENDPOINTS, weighted=False)
    pp = provider_plan("bind", "metal", current, desired, managed)
    return Plan(c.zone, d, [pp], managed)


def served(*names: str, value: str = "10.0.0.1") -> dict:
    rrs = [RRSet.of(n, "A", 60, [value]) for n in names]
    return {r.key: r for r in rrs}


def test_plan_diff_updates_and_creates() -> None:
    p = _plan(served("www.example.test.", "example.test."))
    acts = {(c.action, c.key.name) for c in p.providers[0].changes}
    assert acts == {("update", "www.example.test."), ("update", "example.test."),
                    ("create", "api.example.test.")}
    assert p.counts() == {"create": 1, "update": 2, "delete": 0}


def test_plan_already_right_is_empty() -> None:
    p = _plan(served("www.example.test.", "example.test.", "api.example.test.",
                     value="10.0.1.1"))
    assert p.empty


def test_safety_threshold_refuses_bulk_changes_without_force() -> None:
    names = [f"h{i}.example.test." for i in range(12)]
    managed = [(n, "A") for n in names]
    current = {rr.key: rr for rr in (RRSet.of(n, "A", 60, ["10.0.0.1"]) for n in names)}
    desired = {(n, "A"): {RRSet.of(n, "A", 60, ["10.0.1.1"]).key: RRSet.of(n, "A", 60,
                                                                         ["10.0.1.1"])}
               for n in names[:7]}
    d = decide(cfg(), verdicts(a=DOWN, g=UP, m=DOWN))
    p = Plan("example.test.", d, [provider_plan("bind", "metal", current, desired, managed)],
             managed)
    with pytest.raises(UnsafePlanError, match=r"7 of 12 managed records.*--force"):
        check_safety(p, 0.5, force=False)
    check_safety(p, 0.5, force=True)
    check_safety(p, 0.6, force=False)


def test_safety_threshold_leaves_small_zones_alone() -> None:
    # Three managed records, all changing: a normal failover, not a bulk edit.
    p = _plan(served("www.example.test.", "example.test.", "api.example.test."))
    check_safety(p, 0.5, force=False)


def test_checksum_changes_with_the_plan_and_not_otherwise() -> None:
    a = _plan(served("www.example.test."))
    b = _plan(served("www.example.test."))
    c = _plan(served("www.example.test.", value="10.0.0.9"))
    assert a.checksum == b.checksum != c.checksum
    unreachable = Plan(a.zone, a.decision, [provider_plan("bind", "metal", None, {}, a.managed,
                                                          error="down")], a.managed)
    assert unreachable.checksum != a.checksum
