"""The engine, the watcher and the drill tell by events; the page reuses the reads they carry."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest

from failover.clock import FakeClock
from failover.config import parse_config
from failover.dns.base import RecordKey
from failover.drill import Drill, SimulatedInjector
from failover.engine import Engine
from failover.events import CycleEnded, DrillEnded, Event, Moved, NullSink, Sinks
from failover.notify.outbox import Outbox
from failover.notify.sink import NoticeSink
from failover.records import RRKey, RRSet
from failover.reports.drillreport import journaled_timeline
from failover.reports.publish import PageSink
from failover.watch import Reconciler
from tests.unit.memprovider import MemProvider

CONFIG = """
service: s
zone: example.test.
records: [{{name: www, type: A}}]
vendors: {{aws: {{}}, gcp: {{}}}}
hosting:
  a: {{vendor: aws, priority: 1, endpoints: {{A: [10.0.0.1]}}}}
  g: {{vendor: gcp, priority: 2, endpoints: {{A: [10.0.1.1]}}}}
dns:
  r53: {{vendor: aws, kind: route53, hosted_zone_id: Z1}}
  bind: {{vendor: gcp, kind: rfc2136, server: 127.0.0.1}}
checks: [{{kind: tcp, port: 9, timeout: 100ms}}]
verify: {{timeout: 1s, interval: 50ms}}
journal: {tmp}/j.sqlite
page: {{targets: [{{kind: dir, path: {tmp}/page, audience: internal}}]}}
"""


class Counting(MemProvider):
    """Counts the reads, so a test sees who read a provider again."""

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.reads = 0

    def read(self, keys: Sequence[RecordKey]) -> dict[RRKey, RRSet]:
        self.reads += 1
        return super().read(keys)


class Heard:
    def __init__(self) -> None:
        self.events: list[Event] = []

    def emit(self, event: Event) -> None:
        self.events.append(event)


class AtOnce(Outbox):
    """Does the background work on the caller's thread: the test sees it done."""

    def run(self, name: str, work: Callable[[], Any]) -> None:
        work()


@pytest.fixture
def events_world(tmp_path: Path) -> Any:
    config = parse_config(CONFIG.format(tmp=tmp_path), str(tmp_path / "failover.yaml"))
    start = RRSet.of("www.example.test.", "A", 60, ["10.0.0.1"])
    mems = {n: Counting(n, config.dns[n].vendor, config.zone, {start.key: start})
            for n in config.dns}
    heard = Heard()
    engine = Engine(config, clock=FakeClock(), provider_factory=lambda n, _c: mems[n],
                    sinks=Sinks(heard))
    yield engine, mems, heard, tmp_path
    engine.close()


def test_a_move_is_told_with_what_each_provider_serves_after_it(events_world: Any) -> None:
    engine, _mems, heard, _tmp = events_world
    with engine.lock():
        plan = engine.plan_for(engine.decide({}, off=["aws"], to="g"))
        result = engine.move(plan, reason="test", args={})
    (moved,) = [e for e in heard.events if isinstance(e, Moved)]
    assert moved.result is result and moved.plan is plan
    assert {n: [rr.values for rr in (cur or {}).values()] for n, (cur, _e) in
            moved.served.items()} == {"r53": [("10.0.1.1",)], "bind": [("10.0.1.1",)]}


def test_the_page_reuses_the_moves_reads(events_world: Any) -> None:
    engine, mems, _heard, tmp = events_world
    engine.sinks.add(PageSink(engine, AtOnce(engine.config), picture=journaled_timeline))
    with engine.lock():
        plan = engine.plan_for(engine.decide({}, off=["aws"], to="g"))
        reads = {n: m.reads for n, m in mems.items()}
        result = engine.move(plan, reason="test", args={})
    # The move's verification reads the authorities; the page read no provider again.
    assert {n: m.reads - reads[n] for n, m in mems.items()} == {"r53": 1, "bind": 1}
    html = (tmp / "page" / f"move-{result.move_id}.html").read_text()
    assert 'id="provider-r53" data-serving="g"' in html
    assert 'id="provider-bind" data-serving="g"' in html


def test_a_cycle_carries_the_reads_it_made(events_world: Any) -> None:
    engine, _mems, heard, _tmp = events_world
    Reconciler(engine, auto_move=False).cycle()
    (cycle,) = [e for e in heard.events if isinstance(e, CycleEnded)]
    assert cycle.action == "none" and not cycle.clustered
    assert cycle.served is engine.last_read and set(cycle.served) == {"r53", "bind"}


def test_a_drill_is_told_once_it_ended(events_world: Any) -> None:
    engine, _mems, heard, _tmp = events_world
    report = Drill(engine, "aws", SimulatedInjector(), apply=False).run()
    (ended,) = [e for e in heard.events if isinstance(e, DrillEnded)]
    assert (ended.vendor, ended.outcome, ended.sentence) == ("aws", report.outcome,
                                                            report.sentence)
    assert ended.failed == tuple(p.label for p in report.phases if not p.ok)


def test_no_notice_is_sent_without_notify(events_world: Any) -> None:
    engine, _mems, _heard, _tmp = events_world
    outbox = AtOnce(engine.config)
    sink = NoticeSink(engine, outbox)
    sink.emit(DrillEnded("aws", "failed", "drill of vendor aws failed", ("detect",), (),
                         None))
    assert engine.journal.events(kind="notice") == []


def test_sinks_fan_out_in_order_and_drain_the_background() -> None:
    heard: list[str] = []

    class Slow:
        def __init__(self) -> None:
            self.done = threading.Event()

        def emit(self, event: Event) -> None:
            heard.append("slow")

        def drain(self, timeout: float | None = None) -> None:
            self.done.set()

    class Fast:
        def emit(self, event: Event) -> None:
            heard.append("fast")

    slow = Slow()
    sinks = Sinks(slow, NullSink(), Fast())
    sinks.emit(CycleEnded(0.0, "cycle 1", "none", None, False, None))
    sinks.drain()
    assert heard == ["slow", "fast"] and slow.done.is_set()
