"""Verdicts: rise/fall hysteresis across runs, as the journal carries it."""

from __future__ import annotations

from failover.health import (
    DEGRADED,
    DOWN,
    TERMINATED,
    UNKNOWN,
    UP,
    Control,
    exit_code,
    judge,
    judge_all,
)
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


def test_down_with_refusing_control_plane_is_terminated() -> None:
    refused = Control("refused", "STS: AccountSuspended")
    state = None
    verdicts = []
    for _ in range(3):
        v, state = judge("h", "aws", res(False), state, rise=2, fall=2, now=0, control=refused)
        verdicts.append(v.verdict)
    assert verdicts == [DEGRADED, TERMINATED, TERMINATED]
    assert "AccountSuspended" in v.reason


def test_down_with_live_or_unknown_control_plane_is_an_outage() -> None:
    for control in (Control("alive", "STS ok"), Control("unknown", "throttled"), None):
        state = None
        for _ in range(2):
            v, state = judge("h", "aws", res(False), state, rise=2, fall=2, now=0,
                             control=control)
        assert v.verdict == DOWN


def test_refusing_control_plane_while_serving_is_a_warning_not_a_move() -> None:
    v, _ = judge("h", "aws", res(True), None, rise=2, fall=2, now=0,
                 control=Control("refused", "InvalidClientTokenId"))
    assert v.verdict == UP and v.healthy and v.termination_suspected
    assert "termination in progress?" in v.reason
    assert exit_code([v], 1) == 1
