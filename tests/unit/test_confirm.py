"""Fast confirmation (HAProxy's fastinter): once a hosting starts failing, the watcher
looks again at confirm_interval, so fall 3 costs one interval and two confirmations; a
single flap (one failed check, then a good one) still moves nothing (issue 13).

The loop under test is the real ``watch`` with the real ``judge`` and ``changing``; only the
clock is fake, so no test sleeps and none depends on the machine's speed."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from failover.clock import FakeClock
from failover.config import parse_config
from failover.health import DOWN, judge
from failover.journal import HostingState
from failover.probes.base import ProbeResult
from failover.watch import CycleResult, changing, watch
from tests.hypo import cases


def probe(ok: bool) -> list[ProbeResult]:
    return [ProbeResult("a", "tcp", "127.0.0.21:80", ok, 0.001, "" if ok else "refused")]


class ClockStop:
    """The stop event: waiting advances the fake clock; set() ends the loop."""

    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self.waits: list[float] = []
        self.done = False

    def is_set(self) -> bool:
        return self.done

    def set(self) -> None:
        self.done = True

    def wait(self, seconds: float) -> bool:
        self.waits.append(seconds)
        self.clock.advance(seconds)
        return self.done


@dataclass
class OneHosting:
    """A reconciler of one hosting whose checks pass or fail as ``ok_at(t)`` says; it
    'moves' (and stops the loop) when the verdict reaches DOWN."""

    ok_at: Any
    fall: int
    rise: int
    stop: ClockStop
    engine: Any = None
    number: int = 0
    started: int = 0
    state: HostingState | None = None
    moved_at: float | None = None
    verdicts: list[str] = field(default_factory=list)

    def pause(self, stop: ClockStop, seconds: float) -> None:
        stop.wait(max(0.0, seconds))

    def period(self, interval: float) -> float:
        return interval   # one node: no lease to renew

    def cycle(self) -> CycleResult:
        self.number += 1
        t = self.engine.clock.monotonic()
        v, self.state = judge("a", "aws", probe(self.ok_at(t)), self.state, rise=self.rise,
                              fall=self.fall, now=t)
        self.verdicts.append(v.verdict)
        if v.verdict == DOWN and self.moved_at is None:
            self.moved_at = t
            self.stop.set()
        return CycleResult(self.number, t, "", 0, "none", confirming=changing(v))


def run(ok_at: Any, *, interval: float, confirm: float | None, fall: int, rise: int = 2,
        cycles: int = 200) -> OneHosting:
    clock = FakeClock()
    stop = ClockStop(clock)
    r = OneHosting(ok_at, fall, rise, stop)
    r.engine = type("E", (), {"clock": clock})()
    watch(r, interval=interval, stop=stop,  # type: ignore[arg-type]
          confirm_interval=confirm, max_cycles=cycles)
    return r


@cases(150)
@given(death=st.floats(0.0, 50.0), fall=st.integers(2, 5),
       interval=st.sampled_from([1.0, 2.0, 10.0]), fifth=st.booleans())
def test_detection_costs_one_interval_and_fall_minus_one_confirmations(
        death: float, fall: int, interval: float, fifth: bool) -> None:
    confirm = interval / 5 if fifth else interval / 10
    r = run(lambda t: t < death, interval=interval, confirm=confirm, fall=fall)
    assert r.moved_at is not None
    took = r.moved_at - death
    # The first failed look comes within one interval; then fall - 1 quick ones.
    assert took <= interval + (fall - 1) * confirm + 1e-9
    assert took >= (fall - 1) * confirm - 1e-9
    # Without confirmation it is fall - 1 whole intervals more: what issue 13 measured.
    slow = run(lambda t: t < death, interval=interval, confirm=None, fall=fall)
    assert slow.moved_at is not None and slow.moved_at - death >= (fall - 1) * interval - 1e-9


@cases(150)
@given(flaps=st.lists(st.integers(1, 60), max_size=8, unique=True), fall=st.integers(2, 4),
       interval=st.sampled_from([1.0, 10.0]))
def test_a_single_flap_moves_nothing(flaps: list[int], fall: int, interval: float) -> None:
    """Checks fail at single looks only (the Nth look of the loop); never DOWN."""
    looks = {"n": 0}

    def ok_at(_t: float) -> bool:
        looks["n"] += 1
        return looks["n"] not in flaps or (looks["n"] - 1) in flaps  # no two failures in a row

    r = run(ok_at, interval=interval, confirm=interval / 5, fall=fall, cycles=80)
    assert r.moved_at is None and DOWN not in r.verdicts


def test_confirm_interval_comes_from_the_config() -> None:
    base = """
service: s
zone: example.test.
records: [{name: www, type: A}]
vendors: {aws: {}}
hosting: {a: {vendor: aws, endpoints: {A: [127.0.0.21]}}}
dns: {bind: {vendor: aws, kind: rfc2136, server: 127.0.0.1}}
"""
    assert parse_config(base).confirm_every() == 2.0            # interval 10 s / 5
    assert parse_config(base + "interval: 1s\n").confirm_every() == 0.2
    assert parse_config(base + "confirm_interval: 300ms\n").confirm_every() == 0.3
    # Never slower than the interval itself, also when watch --interval overrides it.
    assert parse_config(base + "confirm_interval: 30s\n").confirm_every() == 10.0
    assert parse_config(base + "confirm_interval: 3s\n").confirm_every(1.0) == 1.0
