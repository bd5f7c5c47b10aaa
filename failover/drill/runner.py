"""The drill runner: a game day for one vendor, measured phase by phase, journaled.

A :class:`Drill` takes one vendor away through an :class:`Injector` and measures what
failover does about it at the config's own pace (detect, decide, plan, write, verify,
then the failback: restore, recover, rollback-write, rollback-verify), into a
:class:`~failover.drill.report.DrillReport`. Whatever fails, the failback runs
(``try/finally``), so the drill leaves what it found.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Protocol

from failover.drill.report import CheckRow, DrillReport, Phase, seconds_text
from failover.engine import CheckReport, Engine
from failover.errors import ConfigError, DrillRefused, FailoverError
from failover.events import DrillEnded
from failover.health import DOWN, TERMINATED, UP, Verdict
from failover.move import MoveResult
from failover.plan import Plan
from failover.policy import Decision
from failover.records import RRKey, RRSet
from failover.suggest import did_you_mean

EXTRA_CHECKS = 3     # checks allowed beyond fall (or rise) before a phase is declared failed

Progress = Callable[[str], None]
Confirm = Callable[[Plan], bool]


class Injector(Protocol):
    """Takes a vendor away and gives it back. ``real`` is False when nothing is touched."""

    real: bool

    def stop(self, vendor: str) -> None:
        """The vendor stops serving (its origins stop answering)."""

    def restore(self, vendor: str) -> None:
        """The vendor serves again; returns once it does."""


class SimulatedInjector:
    """Touches nothing: the drill treats the vendor as terminated (``--off``)."""

    real = False

    def stop(self, vendor: str) -> None:
        """Nothing to stop: the decision evacuates the vendor instead."""

    def restore(self, vendor: str) -> None:
        """Nothing was stopped."""


class _PhaseFailed(Exception):
    """A phase failed and was recorded; the drill goes straight to the failback."""


class _Declined(Exception):
    """The operator said no at the prompt; nothing was written."""


class Drill:
    """One drill of one vendor against one engine. ``run`` returns the report."""

    def __init__(self, engine: Engine, vendor: str, injector: Injector, *, apply: bool = True,
                 confirm: Confirm | None = None, on_progress: Progress | None = None,
                 extra_checks: int = EXTRA_CHECKS) -> None:
        self.engine = engine
        self.vendor = vendor
        self.injector = injector
        self.apply = apply or injector.real
        self.confirm = confirm
        self.say = on_progress or (lambda _text: None)
        self.extra_checks = extra_checks
        self.clock = engine.clock
        self.origin = self.clock.monotonic()
        config = engine.config
        if vendor not in config.vendors:
            raise ConfigError(f"--vendor {vendor}: no such vendor"
                              f"{did_you_mean(vendor, config.vendors, '--vendor {}')}; vendors: "
                              f"{', '.join(sorted(config.vendors))}")
        self.hostings = config.hostings_of(vendor)
        if not self.hostings:
            raise ConfigError(f"--vendor {vendor}: it has no hosting, so there is nothing to "
                              "drill; its DNS providers are written on every move anyway")
        self.report = DrillReport(
            service=config.service, zone=config.zone, vendor=vendor,
            mode="lab" if injector.real else "simulate", applied=False,
            config_path=str(Path(config.source).resolve()) if config.source != "<memory>"
            else config.source,
            interval=config.interval, fall=config.fall, rise=config.rise,
            verify_timeout=config.verify.timeout, hostings=list(self.hostings),
            started=self.clock.now(),
            ttl=max(config.record_ttl(r) for r in config.records))

    # -- the whole drill ---------------------------------------------------------------

    def run(self) -> DrillReport:
        """Run the drill; the failback runs whatever happens. Raises only before touching
        anything (a bad vendor, the move lock held, the vendor not serving to begin with)."""
        r = self.report
        seen = self.engine.last_read
        how = ("its origins really stopped" if self.injector.real else
               "simulated: nothing touched, the vendor treated as terminated")
        # Held from the first read to the rollback's verification, as a move holds it.
        lock = (self.engine.lock(f"failover drill --vendor {self.vendor}")
                if self.injector.real or self.apply else contextlib.nullcontext())
        try:
            with lock:
                self._event(f"drill of vendor {self.vendor} started ({how})", "start")
                self._run()
        except DrillRefused as exc:
            self._event(f"drill of vendor {self.vendor} refused: {exc}", "refused")
            raise
        r.finished = self.clock.now()
        self._name_servers()
        failed = [p for p in r.phases if not p.ok]
        if r.outcome != "declined":
            if failed or r.errors or r.restored.get("answers") is False:
                r.outcome = "failed"
            elif not r.applied:
                r.outcome = "planned"
            else:
                r.outcome = "passed"
        r.sentence = self._sentence()
        self._event(r.sentence, "end", r.summary_json())
        # What the providers served at the end, if the drill read them.
        served = self.engine.last_read if self.engine.last_read is not seen else None
        self.engine.sinks.emit(DrillEnded(self.vendor, r.outcome, r.sentence,
                                          tuple(p.label for p in r.phases if not p.ok),
                                          tuple(r.errors), served))
        return r

    def _name_servers(self) -> None:
        """Each DNS server verified at gets the software that says it answers there
        ("bind 127.0.0.1:5300 (Knot)": a secondary is not the primary), asked after the
        drill so that no timing holds the question."""
        from concurrent.futures import ThreadPoolExecutor

        from failover.dns.query import DnsAuthority
        from failover.dns.software import server_software

        seen = {(p.provider, p.authority) for p in self.report.phases
                if p.provider and p.authority}
        servers: dict[tuple[str, str], DnsAuthority] = {}
        for provider in sorted({prov for prov, _ in seen}):
            try:
                authorities = self.engine.provider(provider).authorities()
            except FailoverError:
                continue
            for a in authorities:
                if isinstance(a, DnsAuthority) and (provider, a.label) in seen:
                    servers[(provider, a.label)] = a
        if not servers:
            return
        with ThreadPoolExecutor(max_workers=min(8, len(servers))) as pool:
            names = dict(zip(servers, pool.map(lambda a: server_software(a.host, a.port),
                                               servers.values()), strict=True))
        for p in self.report.phases:
            name = names.get((p.provider or "", p.authority or ""))
            if name is not None:
                p.authority = f"{p.authority} ({name})"

    def _run(self) -> None:
        if self.injector.real:
            self._run_real()
        else:
            self._run_simulated()

    def _run_real(self) -> None:
        engine, r = self.engine, self.report
        before = self._snapshot()
        baseline = self._check("baseline", 0)
        sick = [v for v in baseline.verdicts if v.hosting in self.hostings and not v.healthy]
        if sick:
            v = sick[0]
            raise DrillRefused(f"{v.hosting} (vendor {self.vendor}) is already {v.verdict} "
                               f"before the drill ({v.reason}); a drill needs the vendor "
                               "serving: fix it first, or use --simulate")
        marked_before = set(engine.journal.terminated_vendors())
        stopped = False
        move: MoveResult | None = None
        try:
            shift, self.origin = self.clock.monotonic() - self.origin, self.clock.monotonic()
            for c in r.checks:         # the baseline happened before time zero
                c.at -= shift
            self._timed("stop", self.injector.stop, self.vendor,
                        detail=f"stopped vendor {self.vendor} ({', '.join(self.hostings)})")
            stopped = True
            verdicts = self._detect()
            decision, plan = self._decide(verdicts, off=())
            move = self._move(plan, decision)
        except (_PhaseFailed, _Declined):
            pass
        except Exception as exc:  # a bug or an unexpected error: recorded, then fail back
            r.errors.append(_describe(exc))
        finally:
            self._failback(stopped, move, marked_before, before)

    def _run_simulated(self) -> None:
        r = self.report
        before = self._snapshot() if self.apply else None
        move: MoveResult | None = None
        try:
            self.origin = self.clock.monotonic()
            report = self._check("baseline", 0)
            verdicts = {v.hosting: v for v in report.verdicts}
            decision, plan = self._decide(verdicts, off=(self.vendor,))
            if self.apply:
                move = self._move(plan, decision)
        except (_PhaseFailed, _Declined):
            pass
        except Exception as exc:
            r.errors.append(_describe(exc))
        finally:
            if self.apply:
                self._failback(False, move, set(), before)

    # -- phases -------------------------------------------------------------------------

    def _detect(self) -> dict[str, Verdict]:
        cfg = self.engine.config
        limit = cfg.fall + self.extra_checks
        for n in range(1, limit + 1):
            self._sleep_until(n * cfg.interval)
            report = self._check("detect", n)
            verdicts = {v.hosting: v for v in report.verdicts}
            if all(verdicts[h].verdict in (DOWN, TERMINATED) for h in self.hostings):
                said = ", ".join(f"{h} {verdicts[h].verdict}" for h in self.hostings)
                self._add(Phase("detect", 0.0, self._now(), True,
                                f"{said} after {n} checks (every {cfg.interval:g}s, "
                                f"fall {cfg.fall})"))
                return verdicts
        said = ", ".join(f"{h} {verdicts[h].verdict} ({verdicts[h].reason})"
                         for h in self.hostings)
        self._add(Phase("detect", 0.0, self._now(), False,
                        f"not DOWN after {limit} checks (fall {cfg.fall}): {said}"))
        raise _PhaseFailed

    def _decide(self, verdicts: Mapping[str, Verdict],
                off: tuple[str, ...]) -> tuple[Decision, Plan]:
        engine, cfg, r = self.engine, self.engine.config, self.report
        start = self._now()
        decision = engine.decide(verdicts, off=off)
        stay = [h for h in decision.serve if cfg.hosting[h].vendor == self.vendor]
        ok = not decision.keep and not stay
        detail = decision.reason
        if stay:
            detail = f"still serves {', '.join(stay)} at {self.vendor}: {decision.reason}"
        self._add(Phase("decide", start, self._now() - start, ok, detail))
        if not ok:
            raise _PhaseFailed
        start = self._now()
        try:
            plan = engine.plan_for(decision)
            engine.check_safety(plan, force=False)
        except FailoverError as exc:
            self._add(Phase("plan", start, self._now() - start, False, str(exc)))
            raise _PhaseFailed from None
        r.plan = plan
        unread = [p for p in plan.providers if not p.reachable and not p.tolerated]
        detail = (f"{plan.change_count} changes at {len(plan.providers)} DNS providers, "
                  f"checksum {plan.checksum}")
        if unread:
            detail += "; unreadable: " + "; ".join(str(p.error) for p in unread)
        self._add(Phase("plan", start, self._now() - start, not unread, detail))
        return decision, plan

    def _move(self, plan: Plan, decision: Decision) -> MoveResult | None:
        r = self.report
        if plan.empty:
            self.say(f"nothing to write: every DNS provider already serves "
                     f"{', '.join(decision.serve)}")
            return None
        if self.confirm is not None and not self.confirm(plan):
            r.outcome = "declined"
            raise _Declined
        r.applied = True
        timings = _Timings(self, "")
        result = self.engine.move(
            plan, reason=f"drill of vendor {self.vendor}: {decision.reason}",
            args={"drill": self.vendor, "mode": r.mode, "off": list(decision.off)},
            on_event=timings)
        timings.finish(result)
        r.move = result
        if result.state != "done":
            r.errors.append(f"move {result.move_id} {result.state}: {result.summary}")
        return result

    def _failback(self, stopped: bool, move: MoveResult | None, marked_before: set[str],
                  before: dict[str, dict[RRKey, RRSet] | None] | None) -> None:
        """Give the vendor back, wait for it, undo the drill's move; record what is left."""
        r, engine = self.report, self.engine
        if stopped:
            try:
                self._timed("restore", self.injector.restore, self.vendor,
                            detail=f"vendor {self.vendor} serving again")
            except _PhaseFailed:
                pass
            else:
                self._recover()
        if move is not None and any(s.state == "applied" for s in move.steps):
            try:
                self._roll_back(move)
            except Exception as exc:
                r.errors.append(f"rollback of move {move.move_id}: {_describe(exc)}")
        for vendor in sorted(set(engine.journal.terminated_vendors()) - marked_before):
            engine.journal.reinstate(vendor)
            self._event(f"drill: reinstated vendor {vendor}, marked TERMINATED by the drill",
                        "phase")
        if before is not None:
            r.restored = self._compare(before)

    def _recover(self) -> None:
        cfg = self.engine.config
        start = self._now()
        limit = cfg.rise + self.extra_checks
        verdicts: dict[str, Verdict] = {}
        for n in range(1, limit + 1):
            self._sleep_until(start + n * cfg.interval)
            verdicts = {v.hosting: v for v in self._check("recover", n).verdicts}
            if all(verdicts[h].verdict == UP for h in self.hostings):
                self._add(Phase("recover", start, self._now() - start, True,
                                f"{', '.join(self.hostings)} UP after {n} good checks "
                                f"(rise {cfg.rise})"))
                self.report.restored["vendor_up"] = True
                return
        said = ", ".join(f"{h} {verdicts[h].verdict}" for h in self.hostings)
        self._add(Phase("recover", start, self._now() - start, False,
                        f"not UP after {limit} checks (rise {cfg.rise}): {said}"))
        self.report.restored["vendor_up"] = False

    def _roll_back(self, move: MoveResult) -> None:
        engine, r = self.engine, self.report
        # By the id the move was recorded under: in a cluster, the shared history's number
        # (this node's journal numbers its own copy differently).
        target = engine.store.move(move.move_id)
        if target is None:
            raise FailoverError(f"move {move.move_id} is not in {engine.coord.where}")
        plan = engine.rollback_plan(target)
        if plan.empty:
            return
        timings = _Timings(self, "rollback-")
        result = engine.move(plan, kind="rollback", rollback_of=move.move_id,
                             reason=f"drill of vendor {self.vendor}: roll back move "
                                    f"{move.move_id}",
                             args={"drill": self.vendor, "move": move.move_id},
                             on_event=timings)
        timings.finish(result)
        r.rollback = result
        if result.state != "done":
            r.errors.append(f"rollback {result.move_id} {result.state}: {result.summary}")

    # -- plumbing -----------------------------------------------------------------------

    def _now(self) -> float:
        return self.clock.monotonic() - self.origin

    def _sleep_until(self, at: float) -> None:
        wait = at - self._now()
        if wait > 0:
            self.clock.sleep(wait)

    def _check(self, phase: str, number: int) -> CheckReport:
        start = self._now()
        report = self.engine.check()
        mine = [v for v in report.verdicts if v.hosting in self.hostings]
        row = CheckRow(phase, number, self._now(), self._now() - start,
                       {v.hosting: v.verdict for v in mine}, {v.hosting: v.reason for v in mine})
        self.report.checks.append(row)
        if phase != "baseline":
            self.say(f"{phase} check {number} at {row.at:.2f}s: "
                     + ", ".join(f"{h} {v}" for h, v in row.verdicts.items()))
        return report

    def _timed(self, name: str, fn: Callable[[str], None], vendor: str, *, detail: str) -> None:
        start = self._now()
        try:
            fn(vendor)
        except Exception as exc:
            self._add(Phase(name, start, self._now() - start, False, _describe(exc)))
            raise _PhaseFailed from None
        self._add(Phase(name, start, self._now() - start, True, detail))

    def _add(self, phase: Phase) -> None:
        self.report.phases.append(phase)
        state = "" if phase.ok else " FAILED"
        text = (f"{phase.label}{state}: {seconds_text(phase.seconds)} "
                f"(at {phase.start:.2f}s){': ' + phase.detail if phase.detail else ''}")
        self.say(text)
        self._event(f"drill {self.vendor}: {text}", "phase", {"phase": phase.to_json()})

    def _event(self, sentence: str, stage: str, data: dict[str, Any] | None = None) -> None:
        self.engine.journal.event(self.clock.now(), "drill", sentence,
                                  {"stage": stage, "vendor": self.vendor,
                                   "mode": self.report.mode, **(data or {})})

    def _snapshot(self) -> dict[str, dict[RRKey, RRSet] | None]:
        return {name: cur for name, (cur, _err) in self.engine.read_all().items()}

    def _compare(self, before: dict[str, dict[RRKey, RRSet] | None]) -> dict[str, Any]:
        after = self._snapshot()
        differ = []
        for name, was in before.items():
            if was is None:
                continue
            now = after.get(name)
            if now != was:
                differ.append(name if now is not None else f"{name} (unreadable now)")
        out = dict(self.report.restored)
        out.update({"checked": True, "answers": not differ,
                    "detail": ("every DNS provider serves what it served before the drill"
                               if not differ else
                               "not as before the drill: " + ", ".join(differ))})
        if differ:
            self.report.errors.append(out["detail"])
        return out

    def _sentence(self) -> str:
        r = self.report
        t = r.totals
        head = f"drill of vendor {self.vendor} {r.outcome}"
        parts = []
        if t["detect"] is not None:
            n = len([c for c in r.checks if c.phase == "detect"])
            parts.append(f"detected in {seconds_text(t['detect'])} ({n} checks every "
                         f"{r.interval:g}s, fall {r.fall})")
        if t["decide"] is not None:
            parts.append(f"decided and planned in {seconds_text(t['decide'])}")
        writes = [p for p in r.phase("write") if p.seconds > 0]
        if writes:
            parts.append("wrote " + ", ".join(f"{p.provider} in {seconds_text(p.seconds)}"
                                              for p in writes))
        since = "the fault" if r.mode == "lab" else "the start"
        if t["evacuate"] is not None and r.moved_cleanly:
            parts.append(f"every authority verified {seconds_text(t['evacuate'])} after {since}")
        elif t["evacuate"] is not None:
            parts.append(f"the move ended {seconds_text(t['evacuate'])} after {since}, "
                         "not written or not verified everywhere")
        if t["failback"] is not None:
            parts.append(f"failed back in {seconds_text(t['failback'])}"
                         + (f" (rise {r.rise})" if r.phase("recover") else ""))
        if r.outcome == "planned" and r.plan is not None:
            parts.append(f"stopped at the plan ({r.plan.change_count} changes, checksum "
                         f"{r.plan.checksum}); --apply moves, verifies and rolls back")
        if r.outcome == "declined":
            parts.append("declined at the prompt; nothing written")
        bad = [f"{p.label} failed: {p.detail}" for p in r.phases if not p.ok] + r.errors
        if bad:
            parts.append("problems: " + "; ".join(bad[:4]))
        return head + (": " + "; ".join(parts) if parts else "")


class _Timings:
    """The move's on_event sink: turns its events into phases (thread-safe)."""

    def __init__(self, drill: Drill, prefix: str) -> None:
        self.drill = drill
        self.prefix = prefix
        self.lock = threading.Lock()
        self.begin = drill._now()
        self.seen: set[str] = set()

    def __call__(self, kind: str, data: dict[str, Any]) -> None:
        now = self.drill._now()
        with self.lock:
            if kind == "begin":
                self.begin = now
            elif kind in ("apply-done", "apply-failed"):
                seconds = float(data.get("seconds") or 0.0)
                # The drill leaves the vendor's DNS providers alone, so a failed write is a
                # finding even where a real evacuation would tolerate it.
                ok = kind == "apply-done"
                detail = "written" if ok else f"not written: {data.get('error')}"
                if not ok and data.get("tolerated"):
                    detail += " (a real evacuation would tolerate it: its vendor is evacuated)"
                self.seen.add(data["provider"])
                self.drill._add(Phase(self.prefix + "write", now - seconds, seconds, ok, detail,
                                      provider=data["provider"]))
            elif kind in ("verified", "verify-failed"):
                seconds = float(data.get("seconds") or 0.0)
                self.drill._add(Phase(self.prefix + "verify", now - seconds, seconds,
                                      kind == "verified", str(data.get("detail", "")),
                                      provider=data["provider"], authority=data["authority"]))

    def finish(self, result: MoveResult) -> None:
        """Providers with nothing to change send no write event: note them at 0 s."""
        for step in result.steps:
            if step.provider not in self.seen and step.state == "unchanged":
                self.drill._add(Phase(self.prefix + "write", self.begin, 0.0, True,
                                      "already right: nothing to write",
                                      provider=step.provider))


def _describe(exc: BaseException) -> str:
    if isinstance(exc, FailoverError):
        return str(exc)
    return f"{type(exc).__name__}: {exc}"
