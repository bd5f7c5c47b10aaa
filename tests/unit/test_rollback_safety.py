"""Rollback is judged like any move: it never empties a record, it refuses before-images
that no longer fit the managed records, and it refuses to send traffic back to a hosting
that is DOWN or TERMINATED (issue 8, defects 2 and 3). In-memory providers, real journal."""

from __future__ import annotations

from pathlib import Path

import pytest

from failover.clock import FakeClock
from failover.config import Config, parse_config
from failover.engine import Engine
from failover.errors import UnsafePlanError
from failover.health import DOWN, TERMINATED, UP, Verdict
from failover.records import RRSet
from tests.unit.memprovider import MemProvider

CONFIG = """
service: s
zone: example.test.
records: [{name: www, type: A}, {name: api, type: A}]
vendors: {aws: {}, gcp: {}, metal: {}}
hosting:
  a: {vendor: aws, priority: 1, endpoints: {A: [10.0.0.1]}}
  g: {vendor: gcp, priority: 2, endpoints: {A: [10.0.1.1]}}
dns:
  r53: {vendor: aws, kind: route53, hosted_zone_id: Z1}
  bind: {vendor: metal, kind: rfc2136, server: 127.0.0.1}
checks: [{kind: tcp, port: 80}]
policy: {max_change_fraction: 1.0}
verify: {timeout: 2s, interval: 100ms}
"""
ENDPOINTS = {"a": {"A": ["10.0.0.1"]}, "g": {"A": ["10.0.1.1"]}}


def verdicts(a: str = UP, g: str = UP) -> dict[str, Verdict]:
    return {"a": Verdict("a", "aws", a, "ok" if a == UP else "fail", f"a {a}", 0, 0),
            "g": Verdict("g", "gcp", g, "ok", "g up", 0, 0)}


def served(value: str) -> dict:
    rrs = [RRSet.of(n, "A", 60, [value]) for n in ("www.example.test.", "api.example.test.")]
    return {r.key: r for r in rrs}


def config(tmp_path: Path, text: str = CONFIG) -> Config:
    path = tmp_path / "failover.yaml"
    path.write_text(text + f"journal: {tmp_path}/j.sqlite\n")
    return parse_config(path.read_text(), str(path))


@pytest.fixture
def mems() -> dict[str, MemProvider]:
    return {"r53": MemProvider("r53", "aws", "example.test.", served("10.0.0.1")),
            "bind": MemProvider("bind", "metal", "example.test.", served("10.0.0.1"))}


def engine(cfg: Config, mems: dict[str, MemProvider]) -> Engine:
    e = Engine(cfg, clock=FakeClock(), provider_factory=lambda n, _c: mems[n])
    e._endpoints = ENDPOINTS
    return e


def test_rollback_with_a_config_that_manages_more_refuses_and_never_empties(
        tmp_path: Path, mems: dict[str, MemProvider]) -> None:
    # The move ran with a config without api (so its before-images have no api) ...
    narrow = engine(config(tmp_path, CONFIG.replace(", {name: api, type: A}", "")), mems)
    plan = narrow.plan(to="g", verdicts=verdicts())
    moved = narrow.move(plan, reason="t", args={})
    assert moved.state == "done"
    narrow.close()
    # ... and is rolled back with the config that manages api.
    wide = engine(config(tmp_path), mems)
    target = wide.rollback_target(None)
    back = wide.rollback_plan(target, verdicts=verdicts())
    assert any("do not match the managed records" in r and "api.example.test. A" in r
               for r in back.refusals), back.refusals
    with pytest.raises(UnsafePlanError, match=r"api\.example\.test\. A.*--force"):
        wide.check_safety(back, force=False)
    assert not any(c.action == "delete" for p in back.providers for c in p.changes)
    wide.check_safety(back, force=True)
    result = wide.move(back, kind="rollback", reason="t", args={}, rollback_of=target.id)
    assert result.state == "done"
    for m in mems.values():       # www restored, api kept: no record left without an answer
        values = {k.name: rr.values for k, rr in m.records.items()}
        assert values == {"www.example.test.": ("10.0.0.1",),
                          "api.example.test.": ("10.0.0.1",)}
    wide.close()


@pytest.mark.parametrize("verdict", [DOWN, TERMINATED])
def test_rollback_refuses_to_serve_a_dead_hosting_and_says_what_to_run(
        tmp_path: Path, mems: dict[str, MemProvider], verdict: str) -> None:
    e = engine(config(tmp_path), mems)
    moved = e.move(e.plan(off=["aws"], verdicts=verdicts()), reason="t", args={})
    assert moved.state == "done"
    back = e.rollback_plan(e.rollback_target(None), verdicts=verdicts(a=verdict))
    assert len(back.refusals) == 1, back.refusals
    refusal = back.refusals[0]
    assert f"would serve a again, but a is {verdict} (a {verdict})" in refusal
    assert "'failover move'" in refusal and "--force" in refusal
    with pytest.raises(UnsafePlanError):
        e.check_safety(back, force=False)
    e.close()


def test_rollback_refuses_a_vendor_remembered_as_terminated(
        tmp_path: Path, mems: dict[str, MemProvider]) -> None:
    e = engine(config(tmp_path), mems)
    e.move(e.plan(off=["aws"], verdicts=verdicts()), reason="t", args={})
    e.journal.mark_terminated("aws", 1.0, "AccountSuspended")
    back = e.rollback_plan(e.rollback_target(None), verdicts=verdicts())
    assert any("vendor 'aws' was marked TERMINATED" in r for r in back.refusals)
    e.close()


def test_rollback_to_a_healthy_hosting_goes_ahead(tmp_path: Path,
                                                  mems: dict[str, MemProvider]) -> None:
    e = engine(config(tmp_path), mems)
    e.move(e.plan(off=["aws"], verdicts=verdicts()), reason="t", args={})
    back = e.rollback_plan(e.rollback_target(None), verdicts=verdicts())
    assert back.refusals == () and back.change_count == 4
    e.check_safety(back, force=False)
    e.close()
