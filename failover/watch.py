"""Reconcile: one look-decide-act cycle that returns one sentence; and the watch loop.

Patroni's ``run_cycle`` is the model: each cycle checks every hosting (and
each vendor's control plane), asks the policy what should be served, plans
every DNS provider, and moves only when ``policy.auto_move`` allows it. It
returns one sentence saying what it saw, decided and did; that sentence goes
to the journal (events) and the log, and ends the cycle as a
:class:`~failover.events.CycleEnded` event to the engine's sinks (the heartbeat, a
notice, the status page are theirs to send). Safe from cron or a CI schedule every
minute: hysteresis lives in the journal.

The loop stops between cycles, never inside one, so a stop signal can never
leave a half-applied move.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from failover.coord.base import Pin, WriteLease
from failover.coord.quorum import cluster_verdicts, fresh, view_expiry
from failover.engine import Engine
from failover.errors import (
    EXIT_CRITICAL,
    EXIT_OK,
    EXIT_WARNING,
    CoordinationError,
    CoordinationUnavailable,
    FailoverError,
    FenceLost,
    LockHeld,
)
from failover.events import CycleEnded
from failover.health import DEGRADED, DOWN, HEALTHY, TERMINATED, Verdict
from failover.move import MoveResult
from failover.plan import Plan
from failover.serving import owners, served

log = logging.getLogger("failover.watch")


@dataclass
class CycleResult:
    number: int
    at: float
    sentence: str
    exit_code: int
    # none | keep | would-move | pinned | stranded | moved | refused | busy | follower |
    # fail-static
    action: str
    move: MoveResult | None = None
    checksum: str | None = None
    # A hosting is on its way to another verdict (failing toward fall, recovering
    # toward rise): the watcher confirms at the faster confirm interval.
    confirming: bool = False

    def to_json(self) -> dict[str, Any]:
        return {"cycle": self.number, "at": self.at, "sentence": self.sentence,
                "exit_code": self.exit_code, "action": self.action, "checksum": self.checksum,
                "move": self.move.to_json() if self.move else None}


class Reconciler:
    """Runs cycles against one engine. ``auto_move`` overrides the config's policy."""

    def __init__(self, engine: Engine, *, auto_move: bool | None = None) -> None:
        self.engine = engine
        self.auto_move = engine.config.policy.auto_move if auto_move is None else auto_move
        # Numbered across runs, so that cycles from cron read as one sequence.
        self.number = engine.journal.count_events("cycle")
        self.started = self.number
        self.confirming = False
        self.fenced: int | None = None   # the lead epoch this node last set the DNS fence to

    def period(self, interval: float) -> float:
        """Seconds from one cycle's start to the next: the watch interval, and with a
        cluster at most ``loop_wait``, as the loop renews the lease (Patroni's rule,
        ``loop_wait + 2 * retry_timeout <= ttl``, then leaves room for a failed renewal)."""
        cluster = self.engine.config.cluster
        if self.engine.coord.clustered and cluster is not None:
            return min(interval, float(cluster.loop_wait))
        return interval

    def pause(self, stop: threading.Event, seconds: float) -> None:
        """Between cycles: until ``stop``, ``seconds``, or (a clustered follower) the
        leader's going, whichever comes first."""
        self.engine.coord.wait(stop, seconds)

    def _saw(self, verdicts: list[Verdict]) -> None:
        """Note whether this vantage point saw a hosting changing verdict."""
        self.confirming = any(changing(v) for v in verdicts)

    def cycle(self) -> CycleResult:
        self.number += 1
        self.confirming = False
        engine = self.engine
        at = engine.clock.now()
        seen = engine.last_read
        try:
            result = self._cycle(at)
        except FailoverError as exc:
            result = CycleResult(self.number, at, f"cycle {self.number}: error: {exc}",
                                 exc.exit_code, "error")
        result.confirming = self.confirming
        engine.journal.event(at, "cycle", result.sentence, result.to_json())
        with contextlib.suppress(CoordinationError):   # fail-static cycles say so locally
            engine.coord.publish_sentence(result.sentence, at)
        log.info(result.sentence)
        # What the cycle read, if it read (a kept or follower cycle reads no provider).
        served = engine.last_read if engine.last_read is not seen else None
        engine.sinks.emit(CycleEnded(at, result.sentence, result.action, result.checksum,
                                     engine.coord.clustered, served))
        return result

    def _cycle(self, at: float) -> CycleResult:
        engine = self.engine
        if engine.coord.clustered:
            return self._cluster_cycle(at)
        report = engine.check()
        self._saw(report.verdicts)
        verdicts = {v.hosting: v for v in report.verdicts}
        saw = ", ".join(f"{v.hosting} {v.verdict}" for v in report.verdicts)
        suspected = [v.vendor for v in report.verdicts if v.termination_suspected]
        if suspected:
            saw += f"; control plane of {', '.join(sorted(set(suspected)))} refuses us " \
                   "while serving (termination in progress?)"
        head = f"cycle {self.number}: saw {saw}"
        from failover.delegation import advice

        snap = engine.coord.snapshot()
        moved_off = advice(engine.config, sorted(snap.terminated))
        if moved_off:
            head += f"; {moved_off}"
        pin = snap.pin
        if pin is not None:
            head += f"; {pin.sentence()}"
        return self._act(at, head, verdicts, report.exit_code, bool(suspected), pin)

    def _cluster_cycle(self, at: float) -> CycleResult:
        """Publish this vantage point's view; the leader decides on the quorum of live views."""
        engine = self.engine
        coord = engine.coord
        cluster = engine.config.cluster
        assert cluster is not None
        with contextlib.suppress(CoordinationError):   # the try below says if it fails
            coord.renew()   # before the probes too: they may wait out their timeouts
        report = engine.check()
        self._saw(report.verdicts)
        mine = ", ".join(f"{v.hosting} {v.verdict}" for v in report.verdicts)
        head = f"cycle {self.number}: {coord.node} saw {mine}"
        try:
            coord.renew()   # the loop renews the lease: a stuck loop loses the lead
            coord.publish_view(report.verdicts, at)
            leader = coord.campaign()
            snap = coord.snapshot()
            pin = snap.pin
            views, dropped = fresh(snap.views, cluster.watchers, at=engine.clock.now(),
                                   max_age=view_expiry(engine.config))
            verdicts, state = cluster_verdicts(
                views, {h: c.vendor for h, c in engine.config.hosting.items()}, cluster.quorum,
                snap.cluster_state, rise=engine.config.rise, at=at,
                configured=len(cluster.watchers))
            counted = sum(not v.cut_off for v in views)
            cut = sorted(v.node for v in views if v.cut_off)
            head += (f"; cluster ({counted} of {len(cluster.watchers)} configured vantage "
                     "points counted"
                     + (f"; not counted, they see nothing up: {', '.join(cut)}" if cut else "")
                     + "".join(f"; not counted: {n}, {why}" for n, why in dropped.items())
                     + ") says " + ", ".join(f"{h} {v.verdict}" for h, v in verdicts.items()))
            if pin is not None:
                head += f"; {pin.sentence()}"
            if leader != coord.node:
                code = EXIT_OK if all(v.healthy for v in verdicts.values()) else EXIT_WARNING
                return CycleResult(self.number, at, f"{head}; {leader} leads, so this node "
                                   "moves nothing", code, "follower")
            fenced = self._fence(coord.lead_lease())
            if fenced:
                head += f"; {fenced}"
            coord.save_cluster_state(state)
            for v in verdicts.values():
                if v.verdict == TERMINATED:
                    coord.mark_terminated(v.vendor, at, v.reason)
            found = coord.adopt_unfinished(at)
            if found:
                head += "; found " + ", ".join(
                    f"move {m.id} left half done by a node that lost the lock (recorded as "
                    "interrupted; planning again from what every provider serves)"
                    for m in found)
            if snap.took_over_from is not None:
                head += f"; this node leads (took over from {snap.took_over_from})"
            else:
                head += "; this node leads"
            return self._act(at, head, verdicts, report.exit_code, False, pin, auto=True)
        except CoordinationUnavailable as exc:
            return CycleResult(self.number, at,
                               f"{head}; etcd cannot be asked ({exc}): fail-static, no "
                               "automatic move; a person may 'failover move --break-glass'",
                               EXIT_CRITICAL, "fail-static")

    def _fence(self, lease: WriteLease | None) -> str:
        """As a leader with a new epoch: first set the DNS fence to it at every provider
        (again each cycle until every provider took it); what was done, for the sentence.

        A provider whose fence already holds a higher epoch is fenced: only a move under
        the cluster lock writes one while this node leads (its own, or a person's), and
        whether this node still leads is etcd's to say, at the lock, never the fence's.
        """
        if lease is None or lease.epoch == self.fenced:
            return ""
        failed = self.engine.advance_fences(lease)
        higher = sorted(n for n, e in failed.items() if isinstance(e, FenceLost))
        others = sorted(n for n in failed if n not in higher)
        if others:
            return (f"set the DNS fence to epoch {lease.epoch} except at "
                    f"{', '.join(others)} (tried again next cycle)")
        self.fenced = lease.epoch
        return (f"set the DNS fence to epoch {lease.epoch} at every provider"
                + (f" ({', '.join(higher)} already held a higher one, from a move under the "
                   "lock)" if higher else ""))

    def _act(self, at: float, head: str, verdicts: dict[str, Verdict], check_code: int,
             suspected: bool, pin: Pin | None, *, auto: bool = False) -> CycleResult:
        """Decide from ``verdicts`` and, when allowed, move: shared by both backends."""
        engine = self.engine
        if pin is not None and pin.expired(at):
            head += f"; {self._expire(pin, at)}"
            pin = None
        decision = engine.decide(verdicts)
        if decision.keep:
            return CycleResult(self.number, at, f"{head}; decided: {decision.reason}; did nothing",
                               EXIT_CRITICAL, "keep")
        plan = engine.plan_for(decision)
        serving = ", ".join(decision.serve)
        standby = any(verdicts[h].verdict not in HEALTHY for h in engine.config.hosting
                      if h in verdicts)
        if plan.empty:
            unread = [p.provider for p in plan.providers if not p.reachable]
            code = (EXIT_WARNING if standby or suspected or check_code or unread
                    else EXIT_OK)
            # A provider that cannot be read is never counted as serving anything.
            which = (f"every readable DNS provider serves {serving} (unreadable: "
                     f"{', '.join(unread)})" if unread
                     else f"every DNS provider serves {serving}")
            return CycleResult(self.number, at, f"{head}; no action: {which} "
                               f"({decision.reason})", code, "none", checksum=plan.checksum)
        yielded = ""
        if pin is not None:
            dead = stranded(engine, plan, verdicts)
            if not dead:
                return CycleResult(self.number, at,
                                   f"{head}; would move to {serving}: {plan.change_count} "
                                   f"changes ({decision.reason}); the operator's pin holds, so "
                                   "did nothing", EXIT_WARNING, "pinned", checksum=plan.checksum)
            what = ", ".join(f"{h} {verdicts[h].verdict}" for h in dead)
            if engine.config.pins.strict:
                # A strict pin holds, but never silently: CRITICAL, notified once (the
                # notice sink remembers the situation by action and checksum).
                return CycleResult(self.number, at,
                                   f"{head}; the pin serves {what}: users are stranded; would "
                                   f"move to {serving}: {plan.change_count} changes "
                                   f"({decision.reason}); pins.strict holds the pin, so did "
                                   "nothing: run 'failover resume', or 'failover move'",
                                   EXIT_CRITICAL, "stranded", checksum=plan.checksum)
            yielded = f"the operator's pin yielded: it served {what} ({pin.reason})"
            # The person's intent outlives the pin: vendors their move evacuated stay
            # evacuated while any other hosting is healthy.
            off = self._pinned_off(pin)
            if off:
                kept = engine.decide(verdicts, off=off)
                if not kept.keep and kept.serve != decision.serve:
                    decision = kept
                    plan = engine.plan_for(decision)
                    serving = ", ".join(decision.serve)
        if not self.auto_move:
            return CycleResult(self.number, at,
                               f"{head}; would move to {serving}: {plan.change_count} changes "
                               f"({decision.reason}); "
                               + (f"{yielded}, but " if yielded else "")
                               + "policy.auto_move is off, so did nothing: run 'failover "
                               f"move{_intent(decision.off)}'", EXIT_CRITICAL, "would-move",
                               checksum=plan.checksum)
        try:
            with engine.lock("failover reconcile", auto=auto):
                # A person may have moved and pinned while we waited: look again under the lock.
                now_pin = engine.coord.pin()
                if now_pin is not None and not now_pin.expired(at) \
                        and not (yielded and pin is not None and pin.same(now_pin)):
                    return CycleResult(self.number, at,
                                       f"{head}; {now_pin.sentence(at)}; did nothing",
                                       EXIT_WARNING, "pinned")
                plan = engine.plan_for(decision)   # re-read under the lock
                if plan.empty:
                    return CycleResult(self.number, at, f"{head}; no action: another move "
                                       f"already serves {serving}", EXIT_OK, "none")
                try:
                    engine.check_safety(plan, force=False)
                except FailoverError as exc:
                    return CycleResult(self.number, at, f"{head}; refused to move to {serving}: "
                                       f"{exc}", EXIT_CRITICAL, "refused", checksum=plan.checksum)
                reason = f"{decision.reason}; {yielded}" if yielded else decision.reason
                moved = engine.move(plan, reason=reason,
                                    args={"auto": True, "off": list(decision.off)})
                if yielded and moved.state != "failed":
                    # Cleared only once users left the dead target: a failed move keeps the
                    # pin, and the next cycle yields it again.
                    engine.coord.clear_pin()
                    engine.journal.event(at, "pin", f"{yielded}; moved to {serving} (move "
                                         f"{moved.move_id}); pin cleared",
                                         {"pin": now_pin.to_json() if now_pin else None,
                                          "yielded": True, "move_id": moved.move_id})
        except LockHeld as exc:
            return CycleResult(self.number, at, f"{head}; did nothing: {exc}", EXIT_WARNING,
                               "busy")
        return CycleResult(self.number, at, f"{head}; "
                           + (f"{yielded}; " if yielded else "")
                           + f"moved to {serving} ({decision.reason}): "
                           f"{moved.summary}", moved.exit_code, "moved", moved, plan.checksum)

    def _pinned_off(self, pin: Pin) -> list[str]:
        """The vendors the pinned move evacuated (its --off), as journaled."""
        if pin.move_id is None:
            return []
        with contextlib.suppress(FailoverError):
            row = self.engine.store.move(pin.move_id)
            if row is not None:
                return [str(v) for v in row.args.get("off") or []
                        if v in self.engine.config.vendors]
        return []

    def _expire(self, pin: Pin, at: float) -> str:
        """Clear an expired pin (if it is still the one read), journal it; what to say."""
        engine = self.engine
        said = f"the operator's pin expired ({pin.expiry(at)}; {pin.reason})"
        try:
            with engine.lock("failover reconcile (expired pin)"):
                if pin.same(engine.coord.pin()):
                    engine.coord.clear_pin()
                    engine.journal.event(at, "pin", f"{said}: cleared",
                                         {"pin": pin.to_json(), "expired": True})
                    return f"{said}: cleared, watchers act again"
        except (LockHeld, CoordinationError):
            pass   # ignored meanwhile; the next cycle clears it
        return f"{said}: ignored, watchers act again"


def stranded(engine: Engine, plan: Plan, verdicts: dict[str, Verdict]) -> list[str]:
    """The hostings some DNS provider serves now (as the plan read it) that are DOWN or
    TERMINATED: users a pin would strand there."""
    owned = owners(engine.endpoints())
    dead = set()
    for pp in plan.providers:
        if pp.current is None:
            continue
        hostings, _strangers = served(pp.current, owned)
        dead |= {h for h in hostings if h in verdicts and verdicts[h].verdict in (DOWN,
                                                                                TERMINATED)}
    return sorted(dead)


def _intent(off: tuple[str, ...] | list[str]) -> str:
    """' --off aws --off gcp': the command that does what the decision did."""
    return "".join(f" --off {v}" for v in off)


def changing(v: Verdict) -> bool:
    """A hosting counting toward DOWN (failed checks, fewer than fall) or back toward UP
    (good checks after DOWN, fewer than rise): one more look settles it."""
    if v.verdict == DEGRADED and v.fail_streak > 0:
        return True
    return v.verdict in (DOWN, TERMINATED) and v.ok_streak > 0


def watch(reconciler: Reconciler, *, interval: float, stop: threading.Event,
          on_cycle: Callable[[CycleResult], None] | None = None,
          max_cycles: int | None = None, confirm_interval: float | None = None) -> int:
    """Run cycles every ``interval`` seconds until ``stop`` is set (checked between cycles);
    after a cycle that saw a hosting changing verdict, the next starts ``confirm_interval``
    seconds after it instead (HAProxy's fastinter). Returns the exit code of the last cycle.
    """
    code = EXIT_OK
    clock = reconciler.engine.clock
    while not stop.is_set():
        started = clock.monotonic()
        result = reconciler.cycle()
        code = result.exit_code
        if on_cycle is not None:
            on_cycle(result)
        if max_cycles is not None and reconciler.number - reconciler.started >= max_cycles:
            break
        every = reconciler.period(interval)
        if result.confirming and confirm_interval is not None:
            every = min(confirm_interval, interval)
        reconciler.pause(stop, every - (clock.monotonic() - started))
    return code
