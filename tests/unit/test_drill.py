"""Drills without a network: phase accounting on a fake clock, failback whatever fails,
simulation, the journal's drill events and the report files."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from failover.clock import Clock, FakeClock
from failover.config import Config, parse_config
from failover.dns.base import Authority, RecordKey
from failover.dns.fence import Fence
from failover.drill import (
    Drill,
    DrillRefused,
    DrillReport,
    SimulatedInjector,
    last_drill,
)
from failover.engine import Engine, Probe
from failover.errors import ConfigError, LockHeld
from failover.probes.base import ProbeResult, Target
from failover.records import Change, RRKey, RRSet
from failover.reports.drillreport import timeline_svg, write_report
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
interval: 10s
fall: 3
rise: 2
policy: {max_change_fraction: 1.0}
verify: {timeout: 2s, interval: 100ms}
"""
CHECK_SECONDS = 0.01     # each fake check takes this long on the fake clock
WRITE_SECONDS = {"r53": 0.25, "bind": 0.05}


def served(value: str) -> dict[RRKey, RRSet]:
    rrs = [RRSet.of(n, "A", 60, [value]) for n in ("www.example.test.", "api.example.test.")]
    return {r.key: r for r in rrs}


class World:
    """Which vendors are stopped; the fake checks read it."""

    def __init__(self) -> None:
        self.stopped: set[str] = set()


class WorldInjector:
    real = True

    def __init__(self, world: World, *, dud: bool = False, broken: bool = False) -> None:
        self.world = world
        self.dud = dud            # stop() does nothing: detection must fail
        self.broken = broken      # stop() raises
        self.calls: list[str] = []

    def stop(self, vendor: str) -> None:
        self.calls.append(f"stop {vendor}")
        if self.broken:
            raise RuntimeError("the lab is on fire")
        if not self.dud:
            self.world.stopped.add(vendor)

    def restore(self, vendor: str) -> None:
        self.calls.append(f"restore {vendor}")
        self.world.stopped.discard(vendor)


class SlowMem(MemProvider):
    """Writes take a known time on the fake clock; its authority may serve stale answers."""

    def __init__(self, *args: Any, clock: FakeClock, seconds: float, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.clock = clock
        self.seconds = seconds
        self.stale: dict[RRKey, RRSet] | None = None

    def apply(self, changes: Sequence[Change], fence: Fence | None = None) -> None:
        self.clock.advance(self.seconds)
        super().apply(changes, fence)

    def authorities(self) -> list[Authority]:
        return [_Authority(self)]


class _Authority:
    def __init__(self, provider: SlowMem) -> None:
        self.label = f"{provider.name}-ns1"
        self.provider = provider

    def read(self, keys: Sequence[RecordKey]) -> dict[RRKey, RRSet]:
        if self.provider.stale is not None:
            return dict(self.provider.stale)
        return self.provider.read(keys)


def world_probe(config: Config, world: World, fake_clock: FakeClock) -> Probe:
    """The engine's probe seam: the checks ask the World instead of the network
    (hysteresis is the engine's, real); each check takes CHECK_SECONDS on the fake clock."""

    def up(hosting: str) -> bool:
        return config.hosting[hosting].vendor not in world.stopped

    def probe(targets: Sequence[Target], *, concurrency: int,
              clock: Clock | None = None) -> list[ProbeResult]:
        at = fake_clock.now()
        results = [ProbeResult(t.hosting, "tcp", f"{t.hosting}:80", up(t.hosting), 0.001,
                               "" if up(t.hosting) else "connection refused", at)
                   for t in targets]
        fake_clock.advance(CHECK_SECONDS)
        return results

    return probe


@pytest.fixture
def drill_world(tmp_path: Path) -> Iterator[tuple[Engine, World, dict[str, SlowMem]]]:
    path = tmp_path / "failover.yaml"
    path.write_text(CONFIG + f"journal: {tmp_path}/j.sqlite\n")
    config = parse_config(path.read_text(), str(path))
    clock = FakeClock()
    mems = {n: SlowMem(n, config.dns[n].vendor, config.zone, served("10.0.0.1"), clock=clock,
                       seconds=WRITE_SECONDS[n]) for n in config.dns}
    world = World()
    engine = Engine(config, clock=clock, provider_factory=lambda n, _c: mems[n],
                    probe=world_probe(config, world, clock))
    engine.check()   # a first check, so the hostings are UP before the drill
    yield engine, world, mems
    engine.close()


def values(mems: dict[str, SlowMem]) -> set[tuple[str, ...]]:
    return {rr.values for m in mems.values() for rr in m.records.values()}


def test_lab_drill_measures_every_phase_at_the_configured_pace(drill_world) -> None:
    engine, world, mems = drill_world
    injector = WorldInjector(world)
    said: list[str] = []
    report = Drill(engine, "aws", injector, on_progress=said.append).run()

    assert report.outcome == "passed" and report.exit_code == 0, report.sentence
    assert injector.calls == ["stop aws", "restore aws"]
    names = [p.name for p in report.phases]
    assert names[:4] == ["stop", "detect", "decide", "plan"]
    # First check one interval after the fault, DOWN at the fall-th: fall x interval.
    detect = report.phase("detect")[0]
    assert detect.start == 0.0
    assert detect.seconds == pytest.approx(3 * 10 + CHECK_SECONDS)
    assert [c.verdicts["a"] for c in report.checks if c.phase == "detect"] == \
        ["DEGRADED", "DEGRADED", "DOWN"]
    assert [c.at for c in report.checks if c.phase == "detect"] == \
        pytest.approx([10.01, 20.01, 30.01])
    # One write per provider, timed by the provider's own duration, and one verification
    # per authority, starting when its provider's write ended.
    writes = {p.provider: p for p in report.phase("write")}
    assert set(writes) == {"r53", "bind"}
    assert all(p.ok for p in writes.values())
    assert writes["r53"].seconds == pytest.approx(0.25, abs=0.06)
    verifies = {p.authority: p for p in report.phase("verify")}
    assert set(verifies) == {"r53-ns1", "bind-ns1"}
    assert verifies["bind-ns1"].provider == "bind"
    # The failback: restore, rise x interval of good checks, then the rollback.
    recover = report.phase("recover")[0]
    assert recover.seconds == pytest.approx(2 * 10 + CHECK_SECONDS)
    assert {p.provider for p in report.phase("rollback-write")} == {"r53", "bind"}
    assert {p.authority for p in report.phase("rollback-verify")} == {"r53-ns1", "bind-ns1"}
    # Totals: evacuate runs from the fault to the last authority verified.
    t = report.totals
    assert t["detect"] == pytest.approx(detect.seconds)
    assert t["evacuate"] == pytest.approx(max(p.end for p in report.phase("verify")))
    assert t["evacuate"] is not None and t["detect"] is not None
    assert t["evacuate"] > t["detect"]
    assert t["failback"] is not None and t["failback"] >= recover.seconds
    assert t["total"] == pytest.approx(max(p.end for p in report.phases))
    # Left as found: answers, vendor, journal.
    assert values(mems) == {("10.0.0.1",)}
    assert report.restored == {"checked": True, "answers": True, "vendor_up": True,
                               "detail": "every DNS provider serves what it served before "
                                         "the drill"}
    assert report.move is not None and report.rollback is not None
    assert engine.journal.rolled_back(report.move.move_id)
    assert any("detect check 3" in s and "a DOWN" in s for s in said)


def test_drill_events_are_journaled_and_the_last_one_carries_the_timings(drill_world) -> None:
    engine, world, _mems = drill_world
    report = Drill(engine, "aws", WorldInjector(world)).run()
    events = engine.journal.events(limit=100, kind="drill")
    stages = [json.loads(e["data"])["stage"] for e in reversed(events)]
    assert stages[0] == "start" and stages[-1] == "end"
    assert stages.count("phase") == len(report.phases)
    found = last_drill(events, "aws")
    assert found is not None
    assert found["outcome"] == "passed" and found["sentence"] == report.sentence
    assert found["totals"]["detect"] == pytest.approx(report.totals["detect"], abs=1e-3)
    assert found["config"] == {"interval": 10.0, "fall": 3, "rise": 2}
    assert last_drill(events, "gcp") is None


def test_failed_detection_still_restores_the_vendor(drill_world) -> None:
    engine, world, mems = drill_world
    injector = WorldInjector(world, dud=True)
    report = Drill(engine, "aws", injector, extra_checks=1).run()
    assert report.outcome == "failed" and report.exit_code == 2
    detect = report.phase("detect")[0]
    assert not detect.ok and "not DOWN after 4 checks" in detect.detail
    assert not report.phase("write") and report.move is None
    assert injector.calls == ["stop aws", "restore aws"]
    assert values(mems) == {("10.0.0.1",)}
    assert "detect failed" in report.sentence


def test_a_broken_injector_is_a_failed_phase_not_a_traceback(drill_world) -> None:
    engine, world, mems = drill_world
    injector = WorldInjector(world, broken=True)
    report = Drill(engine, "aws", injector).run()
    assert report.exit_code == 2
    stop = report.phase("stop")[0]
    assert not stop.ok and "RuntimeError: the lab is on fire" in stop.detail
    assert injector.calls == ["stop aws"]     # never stopped, so nothing to restore
    assert values(mems) == {("10.0.0.1",)}


def test_an_unverified_move_fails_the_drill_and_is_still_rolled_back(drill_world) -> None:
    engine, world, mems = drill_world
    mems["bind"].stale = served("10.0.0.1")     # bind's authority never takes the change
    report = Drill(engine, "aws", WorldInjector(world)).run()
    assert report.outcome == "failed" and report.exit_code == 2
    bad = [p for p in report.phase("verify") if not p.ok]
    assert [p.authority for p in bad] == ["bind-ns1"]
    assert bad[0].seconds == pytest.approx(2.0, abs=0.3)       # verify.timeout
    assert report.move is not None and report.move.state == "unverified"
    assert report.rollback is not None and report.rollback.state == "done"
    assert values(mems) == {("10.0.0.1",)}
    assert any("unverified" in e for e in report.errors)
    assert "not written or not verified everywhere" in report.sentence
    assert "off aws in" not in timeline_svg(report)


def test_the_move_lock_held_elsewhere_stops_the_drill_before_the_fault(drill_world) -> None:
    engine, world, _mems = drill_world
    injector = WorldInjector(world)
    with engine.lock("failover move --off gcp"), pytest.raises(LockHeld, match="--off gcp"):
        Drill(engine, "aws", injector).run()
    assert injector.calls == []
    assert engine.journal.events(kind="drill") == []


def test_a_vendor_not_serving_before_the_drill_is_refused_untouched(drill_world) -> None:
    engine, world, _mems = drill_world
    world.stopped.add("aws")
    for _ in range(3):
        engine.check()
    injector = WorldInjector(world)
    with pytest.raises(DrillRefused, match=r"a \(vendor aws\) is already DOWN before the drill"):
        Drill(engine, "aws", injector).run()
    assert injector.calls == []
    said = [e["sentence"] for e in engine.journal.events(kind="drill")]
    assert said[0].startswith("drill of vendor aws refused: a (vendor aws) is already DOWN")


def test_unknown_vendor_and_vendor_without_hosting_are_config_errors(drill_world) -> None:
    engine, world, _mems = drill_world
    with pytest.raises(ConfigError, match="no such vendor; vendors: aws, gcp, metal"):
        Drill(engine, "nope", WorldInjector(world))
    with pytest.raises(ConfigError, match="has no hosting"):
        Drill(engine, "metal", WorldInjector(world))


def test_simulation_stops_at_the_plan_and_writes_nothing(drill_world) -> None:
    engine, _world, mems = drill_world
    report = Drill(engine, "aws", SimulatedInjector(), apply=False).run()
    assert report.outcome == "planned" and report.exit_code == 0
    assert [p.name for p in report.phases] == ["decide", "plan"]
    assert report.plan is not None and report.plan.change_count == 4
    assert "evacuating aws" in report.plan.decision.reason
    assert values(mems) == {("10.0.0.1",)}
    assert engine.journal.moves() == []
    assert "stopped at the plan" in report.sentence


def test_simulation_with_apply_asks_and_a_no_writes_nothing(drill_world) -> None:
    engine, _world, mems = drill_world
    asked: list[str] = []

    def no(plan: Any) -> bool:
        asked.append(plan.checksum)
        return False

    report = Drill(engine, "aws", SimulatedInjector(), apply=True, confirm=no).run()
    assert asked and report.outcome == "declined" and report.exit_code == 3
    assert engine.journal.moves() == [] and values(mems) == {("10.0.0.1",)}


def test_simulation_with_apply_moves_verifies_and_rolls_back(drill_world) -> None:
    engine, _world, mems = drill_world
    report = Drill(engine, "aws", SimulatedInjector(), apply=True, confirm=lambda _p: True).run()
    assert report.outcome == "passed" and report.exit_code == 0, report.sentence
    assert {p.name for p in report.phases} == {"decide", "plan", "write", "verify",
                                               "rollback-write", "rollback-verify"}
    assert report.totals["detect"] is None
    assert values(mems) == {("10.0.0.1",)}
    kinds = [m.kind for m in engine.journal.moves()]
    assert kinds == ["rollback", "move"]


def test_report_files_and_json_shape(drill_world, tmp_path: Path) -> None:
    engine, world, _mems = drill_world
    report = Drill(engine, "aws", WorldInjector(world)).run()
    paths = write_report(report, tmp_path / "out")
    assert [p.name for p in paths] == ["report.md", "report.json", "timeline.svg"]
    data = json.loads((tmp_path / "out" / "report.json").read_text())
    assert set(data) == {"version", "service", "zone", "vendor", "mode", "applied", "outcome",
                         "exit_code", "sentence", "started", "finished", "config", "hostings",
                         "totals", "phases", "providers", "authorities", "checks", "plan",
                         "move", "rollback", "restored", "errors"}
    assert data["version"] == 1 and data["mode"] == "lab" and data["outcome"] == "passed"
    assert set(data["config"]) == {"path", "interval", "fall", "rise", "verify_timeout", "ttl"}
    assert set(data["totals"]) == {"detect", "decide", "write", "verify", "evacuate",
                                   "users_off", "failback", "total"}
    for phase in data["phases"]:
        assert set(phase) == {"name", "label", "provider", "authority", "start", "seconds",
                              "end", "ok", "detail"}
    assert {row["provider"] for row in data["providers"]} == {"r53", "bind"}
    for row in data["providers"]:
        assert row["write"] > 0 and row["rollback_write"] > 0 and row["changes"] == 2
    assert {row["authority"] for row in data["authorities"]} == {"r53-ns1", "bind-ns1"}
    assert all(row["verify"] is not None and row["rollback_verify"] is not None
               for row in data["authorities"])
    assert data["move"]["kind"] == "move" and data["rollback"]["kind"] == "rollback"
    assert data["plan"]["checksum"] == report.plan.checksum if report.plan else False
    md = (tmp_path / "out" / "report.md").read_text()
    assert md.startswith("# Drill of vendor aws: PASSED")
    for text in ("every **10s** (`interval`)", "**3** failed checks", "**2** good ones",
                 "| write r53 |", "| verify bind-ns1 |", "| rollback-write bind |",
                 "## Per DNS provider", "## Per authoritative server", "## The plan",
                 "~ api.example.test. A  10.0.0.1 -> 10.0.1.1", "![timeline of the drill]"):
        assert text in md


def test_report_json_round_trips_through_json(drill_world) -> None:
    engine, _world, _mems = drill_world
    report = Drill(engine, "aws", SimulatedInjector(), apply=False).run()
    assert isinstance(report, DrillReport)
    again = json.loads(json.dumps(report.to_json()))
    assert again["outcome"] == "planned" and again["move"] is None
    assert again["totals"]["evacuate"] is None


@pytest.mark.parametrize("args, message", [
    (["--apply"], "--apply goes with --simulate"),
    (["--simulate", "--lab", "/nonexistent"], "give --simulate or --lab DIR, not both"),
    ([], "no lab.json beside"),
    (["--lab", "/nonexistent"], "no lab.json /nonexistent"),
])
def test_cli_bad_usage_is_exit_3_with_one_line(tmp_path: Path, args: list[str],
                                               message: str) -> None:
    path = tmp_path / "failover.yaml"
    path.write_text(CONFIG)
    proc = subprocess.run([sys.executable, "-m", "cli.app", "-c", str(path), "drill",
                           "--vendor", "aws", *args], capture_output=True, text=True,
                          env={"CI": "true", "PATH": "/usr/bin:/bin"}, cwd=Path.cwd(),
                          stdin=subprocess.DEVNULL, timeout=60)
    assert proc.returncode == 3, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], proc.stderr
