"""Move orchestration: journal-first, concurrent providers, partial failure, rollback, lock."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from failover.clock import FakeClock
from failover.config import parse_config
from failover.coord.lock import MoveLock
from failover.engine import Engine
from failover.errors import LockHeld
from failover.health import UP, Verdict
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


def served(value: str) -> dict:
    rrs = [RRSet.of(n, "A", 60, [value]) for n in ("www.example.test.", "api.example.test.")]
    return {r.key: r for r in rrs}


@pytest.fixture
def setup(tmp_path: Path):
    (tmp_path / "failover.yaml").write_text(CONFIG + f"journal: {tmp_path}/j.sqlite\n")
    config = parse_config((tmp_path / "failover.yaml").read_text(),
                          str(tmp_path / "failover.yaml"))
    mems = {"r53": MemProvider("r53", "aws", config.zone, served("10.0.0.1")),
            "bind": MemProvider("bind", "metal", config.zone, served("10.0.0.1"))}
    engine = Engine(config, clock=FakeClock(), provider_factory=lambda n, _c: mems[n])
    engine._endpoints = {"a": {"A": ["10.0.0.1"]}, "g": {"A": ["10.0.1.1"]}}
    yield engine, mems
    engine.close()


UPS = {"a": Verdict("a", "aws", UP, "ok", "", 1, 0), "g": Verdict("g", "gcp", UP, "ok", "", 1, 0)}


def test_move_off_writes_every_provider_and_journals_before_images(setup) -> None:
    engine, mems = setup
    plan = engine.plan(off=["aws"], verdicts=UPS)
    result = engine.move(plan, reason=plan.decision.reason, args={"off": ["aws"]})
    assert result.state == "done" and result.exit_code == 0
    for m in mems.values():
        assert {rr.values for rr in m.records.values()} == {("10.0.1.1",)}
    steps = {s.provider: s for s in engine.journal.steps(result.move_id)}
    assert steps["bind"].state == "applied"
    assert {tuple(rr["values"]) for rr in steps["bind"].before} == {("10.0.0.1",)}
    assert all(v.ok for s in result.steps for v in s.verifications)


def test_one_dead_provider_stops_no_other_and_is_named(setup) -> None:
    engine, mems = setup
    plan = engine.plan(off=["aws"], verdicts=UPS)
    mems["bind"].down = True          # dies between plan and apply
    result = engine.move(plan, reason="t", args={})
    states = {s.provider: s.state for s in result.steps}
    assert states == {"r53": "applied", "bind": "failed"}
    assert result.state == "partial" and result.exit_code == 2
    assert "not written: bind" in result.summary


def test_failure_at_evacuated_vendor_is_tolerated(setup) -> None:
    engine, mems = setup
    mems["r53"].down = True           # the vendor that cut us off took its DNS too
    plan = engine.plan(off=["aws"], verdicts=UPS)
    assert not plan.providers[0].reachable and plan.providers[0].tolerated
    result = engine.move(plan, reason="t", args={})
    assert result.state == "done" and result.exit_code == 1
    assert mems["bind"].records[next(iter(mems["bind"].records))].values == ("10.0.1.1",)


def test_rollback_restores_before_images(setup) -> None:
    engine, mems = setup
    plan = engine.plan(off=["aws"], verdicts=UPS)
    moved = engine.move(plan, reason="t", args={})
    target = engine.rollback_target(None)
    assert target.id == moved.move_id
    rb_plan = engine.rollback_plan(target)
    rb = engine.move(rb_plan, reason="rb", args={}, kind="rollback", rollback_of=target.id)
    assert rb.state == "done"
    for m in mems.values():
        assert {rr.values for rr in m.records.values()} == {("10.0.0.1",)}
    assert engine.journal.rolled_back(moved.move_id)


def test_interrupted_move_status_says_what_was_written(setup) -> None:
    engine, mems = setup
    plan = engine.plan(off=["aws"], verdicts=UPS)
    # Simulate a process killed half way: the journal has the move 'applying',
    # r53 written, bind not, and the pid is gone.
    steps = [{"provider": p.provider, "vendor": p.vendor,
              "before": [rr.to_json() for rr in p.current.values()],
              "desired": [rr.to_json() for rr in p.desired.values()],
              "changes": [c.to_json() for c in p.changes], "state": "planned"}
             for p in plan.providers if p.current is not None]
    move_id = engine.journal.begin_move(kind="move", at=0, reason="t", args={},
                                        checksum=plan.checksum, steps=steps)
    mems["r53"].apply(plan.providers[0].changes)
    engine.journal.step_state(move_id, "r53", "writing", at=1)
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    engine.journal._db.execute("UPDATE moves SET pid=? WHERE id=?", (int(dead.stdout), move_id))
    report = engine.status()
    assert report.last_move is not None and report.last_move.shown_state == "interrupted"
    now = {s.step.provider: s.now for s in report.unfinished}
    assert now == {"r53": "written", "bind": "not written"}


def test_lock_held_names_the_holder(tmp_path: Path) -> None:
    path = tmp_path / "j.lock"
    with MoveLock(path, "failover move --off aws"), pytest.raises(
            LockHeld, match=rf"pid {os.getpid()}, .*failover move --off aws"), \
            MoveLock(path, "second"):
        pass
    with MoveLock(path, "after release"):
        pass


def test_lock_held_across_processes(tmp_path: Path) -> None:
    path = tmp_path / "j.lock"
    code = ("import sys, time; from pathlib import Path; from failover.coord.lock import MoveLock\n"
            "with MoveLock(Path(sys.argv[1]), 'other move'):\n"
            "    print('held', flush=True); time.sleep(30)\n")
    proc = subprocess.Popen([sys.executable, "-c", code, str(path)], stdout=subprocess.PIPE,
                            text=True)
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "held"
        with pytest.raises(LockHeld, match="other move"), MoveLock(path):
            pass
    finally:
        proc.kill()
        proc.wait()
    with MoveLock(path):   # the kernel released it with the dead process
        pass
