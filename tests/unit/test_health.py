"""Verdicts: rise/fall hysteresis across runs, as the journal carries it."""

from __future__ import annotations

from failover.health import DEGRADED, DOWN, UNKNOWN, UP, exit_code, judge, judge_all
from failover.journal import HostingState
from failover.probes.base import ProbeResult


def res(ok: bool, n: int = 1) -> list[ProbeResult]:
    return [ProbeResult("h", "http /", f"127.0.0.{i}:80", ok, 0.01, "" if ok else "refused")
            for i in range(n)]


def run(seq: list[list[ProbeResult]], rise: int = 2, fall: int = 3) -> list[str]:
    state: HostingState | None = None
    out = []
    for t, results in enumerate(seq):
        v, state = judge("h", "aws", results, state, rise=rise, fall=fall, now=float(t))
        out.append(v.verdict)
    return out


def test_fall_needs_consecutive_failures() -> None:
    assert run([res(True), res(False), res(False), res(False)]) == [UP, DEGRADED, DEGRADED, DOWN]


def test_a_success_resets_the_fall_count() -> None:
    seq = [res(True), res(False), res(False), res(True), res(False), res(False)]
    assert run(seq) == [UP, DEGRADED, DEGRADED, UP, DEGRADED, DEGRADED]


def test_rise_needs_consecutive_successes_after_down() -> None:
    seq = [res(False)] * 3 + [res(True), res(False), res(True), res(True)]
    assert run(seq) == [DEGRADED, DEGRADED, DOWN, DOWN, DOWN, DOWN, UP]


def test_partial_failure_is_degraded_with_reason() -> None:
    mixed = res(True) + res(False)
    v, _ = judge("h", "aws", mixed, None, rise=2, fall=3, now=0)
    assert v.verdict == DEGRADED and "1/2 probes failed" in v.reason


def test_no_probes_is_unknown() -> None:
    v, _ = judge("h", "aws", [], None, rise=2, fall=3, now=0)
    assert v.verdict == UNKNOWN


def test_since_kept_while_verdict_holds() -> None:
    _, s1 = judge("h", "aws", res(True), None, rise=1, fall=1, now=10)
    _, s2 = judge("h", "aws", res(True), s1, rise=1, fall=1, now=20)
    _, s3 = judge("h", "aws", res(False), s2, rise=1, fall=1, now=30)
    assert (s1.since, s2.since, s3.since) == (10, 10, 30)


def test_exit_codes() -> None:
    def verdicts(*kinds: list[ProbeResult]) -> list:
        results = []
        for i, r in enumerate(kinds):
            results += [ProbeResult(f"h{i}", p.probe, p.target, p.ok, p.latency, p.reason)
                        for p in r]
        vs, _ = judge_all({f"h{i}": "v" for i in range(len(kinds))}, results, {}, rise=1,
                          fall=1, now=0)
        return vs

    assert exit_code(verdicts(res(True), res(True)), 1) == 0
    assert exit_code(verdicts(res(True), res(True) + res(False)), 1) == 1
    assert exit_code(verdicts(res(True), res(False)), 1) == 2
    assert exit_code(verdicts(res(True), res(True)), 3) == 2
    assert exit_code(verdicts([], []), 1) == 3
