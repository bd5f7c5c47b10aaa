"""The DNS stacks create empty zones; the first `failover move` seeds every one from one
inventory (README, Pulumi step 4). Empty providers get the same managed records."""

from __future__ import annotations

from pathlib import Path

from failover.clock import FakeClock
from failover.config import parse_config
from failover.engine import Engine
from tests.unit.memprovider import MemProvider
from tests.unit.test_move import CONFIG, UPS


def test_first_move_seeds_every_empty_zone_alike(tmp_path: Path) -> None:
    path = tmp_path / "failover.yaml"
    path.write_text(CONFIG.replace("policy: {max_change_fraction: 1.0}\n", "")
                    + f"journal: {tmp_path}/j.sqlite\n")
    config = parse_config(path.read_text(), str(path))
    mems = {"r53": MemProvider("r53", "aws", config.zone),
            "bind": MemProvider("bind", "metal", config.zone)}
    engine = Engine(config, clock=FakeClock(), provider_factory=lambda n, _c: mems[n])
    engine._endpoints = {"a": {"A": ["10.0.0.1"]}, "g": {"A": ["10.0.1.1"]}}
    try:
        plan = engine.plan(verdicts=UPS)
        assert all(p.reachable and len(p.changes) == 2 for p in plan.providers)
        # Two managed records are under the safety threshold's floor: no --force needed.
        result = engine.move(plan, reason=plan.decision.reason, args={})
        assert result.state == "done", result
    finally:
        engine.close()
    seeded = [{(k, rr.values) for k, rr in m.records.items()} for m in mems.values()]
    assert seeded[0] == seeded[1]
    assert {rr.values for rr in mems["r53"].records.values()} == {("10.0.0.1",)}
    assert len(mems["r53"].records) == 2
