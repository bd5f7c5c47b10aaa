"""Verdicts: from probe results and the journal's counters to UP/DEGRADED/DOWN/UNKNOWN.

A hosting whose data plane is DOWN while its vendor's control plane refuses
our account is TERMINATED: an outage calls for patience and failback, a
termination for evacuating now and not coming back. A control plane that
refuses while the data plane still serves leaves the data verdict alone but
flags it ("termination in progress?"), which is worth a page, not a move.

Each run of the checks is one observation per hosting: ``ok`` (every probe
passed), ``partial`` (some failed), ``fail`` (all failed) or ``none`` (no
probes). Hysteresis works like HAProxy's rise/fall: a serving hosting is
DOWN only after ``fall`` failed observations in a row (DEGRADED while
counting), and a DOWN one comes back only after ``rise`` good ones. The
counters live in the journal, so a check run from cron every minute
accumulates exactly like a daemon would.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from failover.journal import HostingState
from failover.probes.base import ProbeResult
from failover.verdict import (  # the model; this module reaches verdicts
    DEGRADED,
    DOWN,
    HEALTHY,
    TERMINATED,
    UNKNOWN,
    UP,
    VERDICTS,
    Control,
    Verdict,
)

__all__ = ["DEGRADED", "DOWN", "HEALTHY", "TERMINATED", "UNKNOWN", "UP", "VERDICTS", "Control",
           "Verdict", "exit_code", "judge", "judge_all", "observe"]


def observe(results: Iterable[ProbeResult]) -> str:
    results = list(results)
    if not results:
        return "none"
    passed = sum(r.ok for r in results)
    if passed == len(results):
        return "ok"
    return "fail" if passed == 0 else "partial"


def judge(hosting: str, vendor: str, results: list[ProbeResult], previous: HostingState | None,
          *, rise: int, fall: int, now: float,
          control: Control | None = None) -> tuple[Verdict, HostingState]:
    """Fold one observation into the hosting's counters; return the verdict and new state."""
    seen = observe(results)
    prev_verdict = previous.verdict if previous else UNKNOWN
    ok_streak = previous.ok_streak if previous else 0
    fail_streak = previous.fail_streak if previous else 0
    failing = [r for r in results if not r.ok]
    why = "; ".join(f"{r.probe} {r.target}: {r.reason}" for r in failing[:3])
    if len(failing) > 3:
        why += f"; and {len(failing) - 3} more"

    if seen == "none":
        verdict, reason = UNKNOWN, "no checks configured"
        ok_streak = fail_streak = 0
    elif seen in ("ok", "partial"):
        ok_streak, fail_streak = ok_streak + 1, 0
        was_down = prev_verdict in (DOWN, TERMINATED)
        if was_down and ok_streak < rise:
            verdict = prev_verdict
            reason = f"recovering: {ok_streak}/{rise} good checks"
        elif seen == "ok":
            verdict, reason = UP, f"{len(results)}/{len(results)} probes passed"
        else:
            verdict = DEGRADED
            reason = f"{len(failing)}/{len(results)} probes failed: {why}"
    else:  # fail
        ok_streak, fail_streak = 0, fail_streak + 1
        if fail_streak >= fall or prev_verdict in (DOWN, TERMINATED):
            verdict = prev_verdict if prev_verdict == TERMINATED else DOWN
            reason = f"all {len(results)} probes failed ({fail_streak} in a row): {why}"
        else:
            verdict = DEGRADED
            reason = f"failing {fail_streak}/{fall} before DOWN: {why}"

    refusal = control.reason if control is not None and control.state == "refused" else None
    if verdict in (DOWN, TERMINATED) and seen == "fail" and refusal is not None:
        verdict = TERMINATED
        reason = (f"data plane down and the control plane refuses our account: {refusal} "
                  f"(data: {why})")
    elif verdict == TERMINATED and seen == "fail":
        verdict = DOWN   # the control plane no longer refuses: an outage after all
    elif verdict in HEALTHY and refusal is not None:
        reason += f"; control plane refuses our account: termination in progress? ({refusal})"

    since = previous.since if previous and previous.verdict == verdict else now
    state = HostingState(hosting, verdict, ok_streak, fail_streak, since, now)
    return Verdict(hosting, vendor, verdict, seen, reason, ok_streak, fail_streak,
                   list(results), control), state


def judge_all(hostings: Mapping[str, str], results: Iterable[ProbeResult],
              previous: Mapping[str, HostingState], *, rise: int, fall: int,
              now: float, controls: Mapping[str, Control] | None = None,
              ) -> tuple[list[Verdict], list[HostingState]]:
    """Judge every hosting (name -> vendor) from one run of results and, per vendor,
    what its control plane said."""
    controls = controls or {}
    by_hosting: dict[str, list[ProbeResult]] = {name: [] for name in hostings}
    for r in results:
        by_hosting.setdefault(r.hosting, []).append(r)
    verdicts, states = [], []
    for name, vendor in hostings.items():
        v, s = judge(name, vendor, by_hosting[name], previous.get(name), rise=rise, fall=fall,
                     now=now, control=controls.get(vendor))
        verdicts.append(v)
        states.append(s)
    return verdicts, states


def exit_code(verdicts: Iterable[Verdict], min_healthy: int) -> int:
    """0 all UP; 1 something DEGRADED; 2 a hosting DOWN/TERMINATED or too few healthy;
    3 nothing could be judged."""
    verdicts = list(verdicts)
    if not verdicts or all(v.verdict == UNKNOWN for v in verdicts):
        return 3
    healthy = sum(v.healthy for v in verdicts)
    if healthy < min_healthy or any(v.verdict in (DOWN, TERMINATED) for v in verdicts):
        return 2
    if any(v.verdict != UP or v.termination_suspected for v in verdicts):
        return 1
    return 0
