"""A DNS provider that never answers a read: past its deadline it is reported as not
answering (never as serving), the others are read as usual, and the engine's "waiting"
event names it while it is awaited (the CLI's live line)."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from cli.common import waiting_line
from failover.clock import FakeClock
from failover.config import parse_config, read_deadline
from failover.dns.base import RecordKey
from failover.engine import Engine
from failover.records import RRKey, RRSet
from tests.unit.memprovider import MemProvider

CONFIG = """
service: s
zone: example.test.
records: [{name: www, type: A}]
vendors: {aws: {}, metal: {}}
hosting:
  a: {vendor: aws, priority: 1, endpoints: {A: [10.0.0.1]}}
dns:
  r53: {vendor: aws, kind: route53, hosted_zone_id: Z1, timeout: 30s, deadline: 1500ms}
  bind: {vendor: metal, kind: rfc2136, server: 127.0.0.1}
checks: [{kind: tcp, port: 80}]
"""


class HungProvider(MemProvider):
    """Reads block until released, as a SIGSTOPped API server's socket does."""

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.release = threading.Event()

    def read(self, keys: Sequence[RecordKey]) -> dict[RRKey, RRSet]:
        self.release.wait(60)
        return super().read(keys)


def test_a_hung_provider_is_cut_at_its_deadline_and_named_while_awaited(tmp_path: Path
                                                                       ) -> None:
    config = parse_config(CONFIG + f"journal: {tmp_path}/j.sqlite\n", "failover.yaml")
    assert read_deadline(config.dns["r53"]) == 1.5
    assert read_deadline(config.dns["bind"]) == config.dns["bind"].timeout  # unset: timeout
    rr = RRSet.of("www.example.test.", "A", 60, ["10.0.0.1"])
    hung = HungProvider("r53", "aws", config.zone, {rr.key: rr})
    mems = {"r53": hung, "bind": MemProvider("bind", "metal", config.zone, {rr.key: rr})}
    engine = Engine(config, clock=FakeClock(), provider_factory=lambda n, _c: mems[n])
    events: list[tuple[str, dict[str, Any]]] = []
    engine.on_event = lambda kind, data: events.append((kind, data))
    try:
        current = engine.read_all()
    finally:
        hung.release.set()
        engine.close()
    assert current["bind"] == ({rr.key: rr}, None)
    rrsets, error = current["r53"]
    assert rrsets is None   # not serving anything we know of
    assert error == ("r53: did not answer within 1.5 s (its deadline; dns.r53.deadline "
                     "sets it)")
    waiting = [data for kind, data in events if kind == "waiting"]
    assert waiting and all(data["providers"] == ["r53"] for data in waiting)
    assert waiting_line("reading...", waiting[-1]).startswith("reading... waiting for r53 (")


def test_no_waiting_event_when_every_provider_answers_at_once(tmp_path: Path) -> None:
    config = parse_config(CONFIG + f"journal: {tmp_path}/j.sqlite\n", "failover.yaml")
    mems = {n: MemProvider(n, config.dns[n].vendor, config.zone, {}) for n in config.dns}
    engine = Engine(config, clock=FakeClock(), provider_factory=lambda n, _c: mems[n])
    events: list[str] = []
    engine.on_event = lambda kind, _data: events.append(kind)
    try:
        assert {n: err for n, (_cur, err) in engine.read_all().items()} == {
            "r53": None, "bind": None}
    finally:
        engine.close()
    assert events == []


def test_the_live_line_names_every_provider_awaited() -> None:
    line = waiting_line("reading every DNS provider...",
                        {"providers": ["route53", "cloudflare"], "seconds": 4.4})
    assert line == "reading every DNS provider... waiting for route53, cloudflare (4 s)"


def test_the_live_line_names_a_hung_provider_and_a_hung_control_plane_together(
        tmp_path: Path) -> None:
    """check reads the providers and asks the control planes at once: neither hides the
    other in the waiting event."""
    from tests.unit.test_control import tcp_listener

    with tcp_listener(None, close=False) as silent:
        text = CONFIG.replace("deadline: 1500ms", "deadline: 3s").replace(
            "vendors: {aws: {}, metal: {}}",
            f"vendors: {{aws: {{control: {{kind: ssh, host: 127.0.0.1, port: {silent}, "
            "timeout: 3s}}, metal: {}}")
        config = parse_config(text + f"journal: {tmp_path}/j.sqlite\n", "failover.yaml")
        rr = RRSet.of("www.example.test.", "A", 60, ["10.0.0.1"])
        hung = HungProvider("r53", "aws", config.zone, {rr.key: rr})
        mems = {"r53": hung, "bind": MemProvider("bind", "metal", config.zone, {rr.key: rr})}
        engine = Engine(config, clock=FakeClock(), provider_factory=lambda n, _c: mems[n])
        events: list[list[str]] = []
        engine.on_event = lambda kind, data: events.append(sorted(data["providers"]))
        reading = threading.Thread(target=engine.read_all)
        try:
            reading.start()
            engine.control_planes(["aws"])
            reading.join(30)
        finally:
            hung.release.set()
            engine.close()
    assert ["aws control plane", "r53"] in events, events
    assert all(set(e) <= {"aws control plane", "r53"} for e in events)
