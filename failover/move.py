"""Move: apply a reviewed plan to every live DNS provider, verify, journal; and roll back.

Every provider is written concurrently in its own thread, so one failing or
slow provider stops no other; the result says exactly which succeeded. The
plan and every before-image are committed to the journal before the first
write. Each provider is verified as soon as its own write returns: its
authoritative sources are asked directly until they serve the new answers or
the timeout passes, and how long each took is recorded. A write whose answer
never came (a timeout after sending) is "unknown", never "not written": it is
verified like a written one, and ``status`` re-reads it later.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Any

from failover.clock import Clock
from failover.coord.base import MoveStore, WriteLease
from failover.dns.base import Authority, Provider
from failover.dns.fence import Fence
from failover.errors import (
    EXIT_CRITICAL,
    EXIT_OK,
    EXIT_WARNING,
    FailoverError,
    ProviderOutcomeUnknown,
)
from failover.plan import Plan, ProviderPlan
from failover.records import RRKey, RRSet, json_array, rrsets_json

# on_event(kind, data): progress for whoever renders it; never required.
EventSink = Callable[[str, dict[str, Any]], None]


@dataclass
class Verification:
    provider: str
    authority: str
    ok: bool
    seconds: float
    detail: str

    def to_json(self) -> dict[str, Any]:
        return {"provider": self.provider, "authority": self.authority, "ok": self.ok,
                "seconds": round(self.seconds, 3), "detail": self.detail}


@dataclass
class StepResult:
    """One provider's part of a move."""

    provider: str
    vendor: str
    state: str            # applied | unchanged | failed | unreachable | unknown (no answer)
    changes: int
    tolerated: bool
    error: str | None = None
    apply_seconds: float = 0.0
    verifications: list[Verification] = field(default_factory=list)

    @property
    def written(self) -> bool:
        return self.state in ("applied", "unchanged")

    @property
    def verified(self) -> bool:
        return bool(self.verifications) and all(v.ok for v in self.verifications)

    def to_json(self) -> dict[str, Any]:
        return {"provider": self.provider, "vendor": self.vendor, "state": self.state,
                "changes": self.changes, "tolerated": self.tolerated, "error": self.error,
                "apply_seconds": round(self.apply_seconds, 3),
                "verified": self.verified,
                "verifications": [v.to_json() for v in self.verifications]}


@dataclass
class MoveResult:
    move_id: int
    kind: str
    state: str            # done | partial | unverified | failed
    checksum: str
    seconds: float
    steps: list[StepResult]
    summary: str
    # A person interrupted it (Ctrl-C): writes not yet started were skipped; a second
    # interrupt also left the writes under way unanswered (outcome unknown).
    interrupted: bool = False

    @property
    def exit_code(self) -> int:
        if self.state == "done":
            return EXIT_WARNING if any(s.state in ("failed", "unreachable")
                                       for s in self.steps) else EXIT_OK
        return EXIT_CRITICAL

    def to_json(self) -> dict[str, Any]:
        return {"move_id": self.move_id, "kind": self.kind, "state": self.state,
                "checksum": self.checksum, "seconds": round(self.seconds, 3),
                "summary": self.summary, "steps": [s.to_json() for s in self.steps]}


def execute(plan: Plan, providers: Mapping[str, Provider], journal: MoveStore, clock: Clock, *,
            kind: str = "move", reason: str, args: dict[str, Any],
            verify_timeout: float, verify_interval: float,
            rollback_of: int | None = None, on_event: EventSink | None = None,
            guard: Callable[[], WriteLease | None] | None = None,
            heartbeat: Callable[[], None] | None = None,
            cancel: threading.Event | None = None,
            abandon: threading.Event | None = None) -> MoveResult:
    """Apply ``plan`` and verify it; every edge is journaled as it happens.

    ``guard`` runs just before each provider write and raises (a FailoverError) when
    this process may no longer write: the coordinator's lock or leader lease was lost.
    That provider is then not written, and the result says why. Otherwise it gives the
    fencing token the write carries (:mod:`failover.dns.fence`): the provider refuses it
    when a newer leader's epoch holds the zone's fence, and starts no batch after the
    lease's deadline. ``heartbeat`` runs while verifying (a watcher renews its lease
    from its own loop, never from a free-running thread).

    ``cancel`` (a person's first Ctrl-C): no write starts after it is set; the writes
    under way finish and what was written is verified and journaled. ``abandon`` (the
    second): verification stops, and writes still under way are left behind, journaled
    as outcome unknown, so the caller can say at once which providers are split.
    """
    emit = on_event or (lambda _kind, _data: None)
    t0 = clock.monotonic()
    checksum = plan.checksum  # a hash over every change: made once
    # The before-images are made only for the journal's call, so they are freed
    # before the writes: a bulk move does not hold the zone in JSON form while it
    # reads it back to verify.
    move_id = journal.begin_move(kind=kind, at=clock.now(), reason=reason, args=args,
                                 checksum=checksum, steps=_steps(plan),
                                 rollback_of=rollback_of)
    emit("begin", {"move_id": move_id, "checksum": checksum})

    results: dict[str, StepResult] = {}
    lock = threading.Lock()
    writing = [len(plan.providers)]      # providers whose write has not returned yet
    in_flight: set[str] = set()          # providers whose write was sent, unanswered yet
    keys = plan.managed

    def write(pp: ProviderPlan) -> StepResult:
        step = StepResult(pp.provider, pp.vendor, "unchanged", len(pp.changes), pp.tolerated)
        if not pp.reachable:
            step.state, step.error = "unreachable", pp.error
            emit("apply-failed", {"provider": pp.provider, "error": pp.error,
                                  "tolerated": pp.tolerated})
        elif pp.changes and cancel is not None and cancel.is_set():
            step.state, step.error = "failed", NOT_STARTED
            journal.step_state(move_id, pp.provider, "failed", at=clock.now(), error=NOT_STARTED)
            emit("apply-failed", {"provider": pp.provider, "error": NOT_STARTED,
                                  "tolerated": pp.tolerated, "unknown": False})
        elif pp.changes:
            start = clock.monotonic()
            journal.step_state(move_id, pp.provider, "writing", at=clock.now())
            with lock:
                in_flight.add(pp.provider)
            emit("apply-start", {"provider": pp.provider, "changes": len(pp.changes)})
            try:
                lease = guard() if guard is not None else None
                fence = Fence(lease.epoch, lease.deadline) if lease is not None else None
                providers[pp.provider].apply(pp.changes, fence=fence)
            except ProviderOutcomeUnknown as exc:
                # Sent, but no answer: it may be applied now or later. Never "not written".
                step.state, step.error = "unknown", str(exc)
            except FailoverError as exc:
                step.state, step.error = "failed", str(exc)
            except Exception as exc:  # an SDK's own error: keep the move going elsewhere
                step.state, step.error = "failed", f"{pp.provider}: {type(exc).__name__}: {exc}"
            else:
                step.state = "applied"
            with lock:
                in_flight.discard(pp.provider)
            step.apply_seconds = clock.monotonic() - start
            journal.step_state(move_id, pp.provider, step.state, at=clock.now(),
                               error=step.error)
            emit("apply-done" if step.state == "applied" else "apply-failed",
                 {"provider": pp.provider, "seconds": step.apply_seconds, "error": step.error,
                  "tolerated": pp.tolerated, "unknown": step.state == "unknown"})
        else:
            journal.step_state(move_id, pp.provider, "unchanged", at=clock.now())
        return step

    def verify(pp: ProviderPlan, step: StepResult, since: float) -> None:
        try:
            authorities = providers[pp.provider].authorities()
        except FailoverError as exc:
            step.verifications.append(Verification(pp.provider, "(authorities)", False, 0.0,
                                                   str(exc)))
            return

        def check(authority: Authority) -> Verification:
            v = verify_one(pp.provider, authority, keys, pp.desired, clock, since=since,
                           timeout=verify_timeout, interval=verify_interval,
                           heartbeat=heartbeat, stop=abandon)
            journal.record_verification(move_id, pp.provider, authority.label, v.ok,
                                        v.seconds, v.detail, clock.now())
            emit("verified" if v.ok else "verify-failed", v.to_json())
            return v

        with ThreadPoolExecutor(max_workers=max(1, min(8, len(authorities)))) as pool:
            step.verifications.extend(pool.map(check, authorities))
        if step.state == "unknown" and step.verified:
            # Every authority serves the plan: the write took effect after all.
            step.state = "applied"
            step.error = f"{step.error}; yet every authority serves the new answers"
            journal.step_state(move_id, pp.provider, "applied", at=clock.now(),
                               error=step.error)

    def run(pp: ProviderPlan) -> StepResult:
        """One provider's write, then at once its own verification: a slow or hung
        provider delays no other's, nor inflates its convergence time."""
        try:
            step = write(pp)
        finally:
            with lock:
                writing[0] -= 1
                if not writing[0]:
                    journal.move_state(move_id, "verifying")
        if step.written or step.state == "unknown":
            verify(pp, step, since=clock.monotonic())
        with lock:
            results[pp.provider] = step
        return step

    pool = ThreadPoolExecutor(max_workers=max(1, len(plan.providers)))
    futures = [pool.submit(run, pp) for pp in plan.providers]
    left = _wait(futures, abandon, lambda: {pp.provider: pp for pp in plan.providers
                                             if pp.provider in in_flight})
    # Left behind: a write under way when the second interrupt came. Its thread may still
    # finish; the interpreter waits for it at exit, bounded by the provider's timeout.
    pool.shutdown(wait=not left, cancel_futures=True)
    for f in futures:
        if f.done():
            f.result()   # a bug in run() is raised here, as pool.map did
    with lock:
        ordered = [results.get(p.provider) or _left_behind(p, move_id, journal, clock)
                   for p in plan.providers]
    state = _outcome(ordered)
    seconds = clock.monotonic() - t0
    summary = _summary(kind, state, ordered, seconds)
    stopped = bool(cancel is not None and cancel.is_set())
    if stopped:
        summary += "; interrupted (Ctrl-C)"
    journal.move_state(move_id, state, at=clock.now(), summary=summary)
    emit("end", {"move_id": move_id, "state": state, "seconds": seconds})
    return MoveResult(move_id, kind, state, checksum, seconds, ordered, summary, stopped)


NOT_STARTED = "not written: interrupted (Ctrl-C) before its write started"
LEFT_BEHIND = ("outcome unknown: a second Ctrl-C left its write unanswered; 'failover "
               "status' re-reads it")


def _wait(futures: Sequence[Future[StepResult]], abandon: threading.Event | None,
          writing: Callable[[], dict[str, ProviderPlan]]) -> bool:
    """Wait for every provider's write and verification, or, once ``abandon`` is set, for
    all but the writes still under way (a verification stops at once then); whether some
    were left behind."""
    while True:
        _done, pending = wait(futures, timeout=None if abandon is None else 0.1)
        if not pending:
            return False
        if abandon is not None and abandon.is_set() and len(pending) <= len(writing()):
            return True


def _left_behind(pp: ProviderPlan, move_id: int, journal: MoveStore,
                 clock: Clock) -> StepResult:
    """A provider whose write was under way when the second interrupt came."""
    step = StepResult(pp.provider, pp.vendor, "unknown", len(pp.changes), pp.tolerated,
                      LEFT_BEHIND)
    journal.step_state(move_id, pp.provider, "unknown", at=clock.now(), error=LEFT_BEHIND)
    return step


def verify_one(provider: str, authority: Authority, keys: Sequence[tuple[str, str]],
               desired: Mapping[RRKey, RRSet], clock: Clock, *, since: float, timeout: float,
               interval: float, heartbeat: Callable[[], None] | None = None,
               stop: threading.Event | None = None) -> Verification:
    """Ask ``authority`` until it serves ``desired`` for ``keys``, or ``timeout`` passes
    (``heartbeat`` between asks: the lock holder's lease renewal), or ``stop`` is set."""
    deadline = clock.monotonic() + timeout
    last = "no answer yet"
    while True:
        try:
            got = authority.read(keys)
            wrong = mismatches(got, desired)
            if not wrong:
                return Verification(provider, authority.label, True,
                                    clock.monotonic() - since, "serves the new answers")
            last = "; ".join(wrong[:3])
        except FailoverError as exc:
            last = str(exc)
        if clock.monotonic() >= deadline:
            return Verification(provider, authority.label, False, clock.monotonic() - since,
                                f"still not serving the new answers after {timeout:g}s: {last}")
        if stop is not None and stop.is_set():
            return Verification(provider, authority.label, False, clock.monotonic() - since,
                                f"not verified: a second Ctrl-C stopped verifying: {last}")
        if heartbeat is not None:
            heartbeat()
        clock.sleep(interval)


def mismatches(got: Mapping[RRKey, RRSet], desired: Mapping[RRKey, RRSet]) -> list[str]:
    """What differs between served and desired, one phrase per RRset."""
    out = []
    for key in sorted(set(got) | set(desired)):
        g, d = got.get(key), desired.get(key)
        if g == d:
            continue
        if d is None:
            out.append(f"{key} still served: {','.join(g.values) if g else ''}")
        elif g is None:
            out.append(f"{key} missing, want {','.join(d.values)}")
        elif g.values != d.values:
            out.append(f"{key} serves {','.join(g.values)}, want {','.join(d.values)}")
        else:
            out.append(f"{key} ttl {g.ttl}, want {d.ttl}")
    return out


def _outcome(steps: Sequence[StepResult]) -> str:
    needed = [s for s in steps if not s.tolerated]
    if any(not s.written for s in needed):
        return "failed" if not any(s.state == "applied" for s in steps) else "partial"
    if any(s.written and not s.verified for s in steps):
        return "unverified"
    return "done"


def _summary(kind: str, state: str, steps: Sequence[StepResult], seconds: float) -> str:
    applied = [s.provider for s in steps if s.state == "applied"]
    same = [s.provider for s in steps if s.state == "unchanged"]
    failed = [f"{s.provider}{' (tolerated)' if s.tolerated else ''}" for s in steps
              if not s.written and s.state != "unknown"]
    unknown = [s.provider for s in steps if s.state == "unknown"]
    parts = [f"{kind} {state} in {seconds:.2f}s"]
    if applied:
        parts.append("written: " + ", ".join(applied))
    if same:
        parts.append("already right: " + ", ".join(same))
    if failed:
        parts.append("not written: " + ", ".join(failed))
    if unknown:
        parts.append("outcome unknown (no answer; 'failover status' re-reads it): "
                     + ", ".join(unknown))
    unverified = [s.provider for s in steps if s.written and not s.verified]
    if unverified:
        parts.append("not verified: " + ", ".join(unverified))
    return "; ".join(parts)


def _steps(plan: Plan) -> list[dict[str, Any]]:
    """Every provider's before-image, desired state and changes, as JSON text for the journal."""
    return [{"provider": p.provider, "vendor": p.vendor,
             "before": rrsets_json(p.current) if p.current is not None else "[]",
             "desired": rrsets_json(p.desired), "changes": json_array(p.changes),
             "state": "planned" if p.reachable else "unreachable", "tolerated": p.tolerated,
             "error": p.error}
            for p in plan.providers]
