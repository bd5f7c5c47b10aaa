"""Drills: a game day for one vendor, measured phase by phase, journaled, reported.

A :class:`Drill` takes one vendor away through an :class:`Injector` and
measures what failover does about it, at the config's own pace:

- **detect**: checks every ``interval``, the first one interval after the
  fault (a watcher's worst case), until every hosting of the vendor is DOWN
  (or TERMINATED): about ``fall x interval``;
- **decide**: the policy's decision from those verdicts; **plan**: every DNS
  provider read and diffed;
- **write** each DNS provider and **verify** each authoritative server (from
  the move's own events: when each write ended, how long each authority took
  to serve the new answers);
- **failback**: the vendor restored, checks until ``rise`` good ones make it UP
  again (**recover**), and the drill's move rolled back (**rollback-write**,
  **rollback-verify**).

Whatever fails, the failback runs (``try/finally``): the vendor is restored
and the drill's move rolled back, so the drill leaves what it found. A vendor
the drill got marked TERMINATED is reinstated. The answers every provider
serves at the end are compared with those at the start.

With an injector that is not ``real`` (``SimulatedInjector``) nothing is
touched: the vendor is treated as terminated (``--off``), the drill stops at
the plan, or with ``apply`` moves, verifies and rolls back at once.

Every phase is a sentence in the journal (``events``, kind ``drill``); the
last one carries the timings the runbook quotes, and the drill's end is told as a
:class:`~failover.events.DrillEnded` event to the engine's sinks (a notice if it
failed, the status page). :func:`write_report` writes
``report.md``, ``report.json`` (shape in :meth:`DrillReport.to_json`) and
``timeline.svg``.

failover never imports the lab: the CLI passes the injector in.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from failover.config import Config
from failover.engine import CheckReport, Engine
from failover.errors import EXIT_CRITICAL, EXIT_OK, EXIT_UNKNOWN, ConfigError, FailoverError
from failover.events import DrillEnded
from failover.health import DOWN, TERMINATED, UP

if TYPE_CHECKING:
    from failover.health import Verdict
    from failover.move import MoveResult
    from failover.plan import Plan
    from failover.policy import Decision
    from failover.records import RRKey, RRSet

REPORT_VERSION = 1
EXTRA_CHECKS = 3     # checks allowed beyond fall (or rise) before a phase is declared failed

Progress = Callable[[str], None]
Confirm = Callable[["Plan"], bool]


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


class DrillRefused(FailoverError):
    """The drill cannot start: its precondition does not hold. Nothing was touched."""


@dataclass
class Phase:
    """One measured span; ``start`` in seconds from the drill's time zero (the fault)."""

    name: str              # stop detect decide plan write verify restore recover
                           # rollback-write rollback-verify
    start: float
    seconds: float
    ok: bool
    detail: str = ""
    provider: str | None = None
    authority: str | None = None

    @property
    def end(self) -> float:
        return self.start + self.seconds

    @property
    def label(self) -> str:
        who = self.authority or self.provider
        return f"{self.name} {who}" if who else self.name

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "label": self.label, "provider": self.provider,
                "authority": self.authority, "start": round(self.start, 4),
                "seconds": round(self.seconds, 4), "end": round(self.end, 4), "ok": self.ok,
                "detail": self.detail}


@dataclass
class CheckRow:
    """One run of the checks during the drill, and what it said of the vendor's hostings."""

    phase: str             # baseline | detect | recover
    number: int
    at: float              # seconds from time zero when the check ended
    seconds: float
    verdicts: dict[str, str]
    reasons: dict[str, str]

    def to_json(self) -> dict[str, Any]:
        return {"phase": self.phase, "number": self.number, "at": round(self.at, 4),
                "seconds": round(self.seconds, 4), "verdicts": self.verdicts,
                "reasons": self.reasons}


@dataclass
class DrillReport:
    """Everything a drill measured and did; rendered by :func:`write_report`."""

    service: str
    zone: str
    vendor: str
    mode: str                    # lab (a real injector) | simulate
    applied: bool                # whether DNS was written
    config_path: str
    interval: float
    fall: int
    rise: int
    verify_timeout: float
    hostings: list[str]
    started: float
    # The highest TTL of the managed records: how long a resolver may still hand out the
    # dead vendor's answer after every authority serves the new one.
    ttl: int = 0
    finished: float = 0.0
    phases: list[Phase] = field(default_factory=list)
    checks: list[CheckRow] = field(default_factory=list)
    plan: Plan | None = None
    move: MoveResult | None = None
    rollback: MoveResult | None = None
    restored: dict[str, Any] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    outcome: str = "failed"      # passed | failed | planned | declined
    sentence: str = ""

    @property
    def exit_code(self) -> int:
        """0 passed (or planned cleanly), 2 a phase failed, 3 declined at the prompt."""
        return {"passed": EXIT_OK, "planned": EXIT_OK,
                "declined": EXIT_UNKNOWN}.get(self.outcome, EXIT_CRITICAL)

    @property
    def moved_cleanly(self) -> bool:
        """Every provider written and every authority verified (false if nothing moved)."""
        ps = [p for p in self.phases if p.name in ("write", "verify")]
        return bool(ps) and all(p.ok for p in ps)

    def phase(self, name: str) -> list[Phase]:
        return [p for p in self.phases if p.name == name]

    @property
    def totals(self) -> dict[str, float | None]:
        """Seconds: detect, decide (+plan), write and verify (the slowest of each, as they
        run concurrently), evacuate (time zero to the last authority verified), failback
        (restore to the last rollback verification), total. None where not measured."""
        def span(names: tuple[str, ...]) -> float | None:
            ps = [p for p in self.phases if p.name in names]
            return max(p.end for p in ps) - min(p.start for p in ps) if ps else None

        def slowest(name: str) -> float | None:
            ps = self.phase(name)
            return max(p.seconds for p in ps) if ps else None

        move_phases = [p for p in self.phases if p.name in ("write", "verify")]
        evacuate = max(p.end for p in move_phases) if move_phases else None
        failback = span(("restore", "recover", "rollback-write", "rollback-verify"))
        return {"detect": slowest("detect"), "decide": span(("decide", "plan")),
                "write": slowest("write"), "verify": slowest("verify"),
                "evacuate": evacuate,
                # What users see at worst: resolvers keep the old answer up to its TTL.
                "users_off": evacuate + self.ttl if evacuate is not None else None,
                "failback": failback,
                "total": span(tuple({p.name for p in self.phases}))}

    def summary_json(self) -> dict[str, Any]:
        """The compact form the journal keeps (and the runbook quotes)."""
        return {"vendor": self.vendor, "mode": self.mode, "applied": self.applied,
                "outcome": self.outcome, "exit_code": self.exit_code,
                "started": self.started, "finished": self.finished,
                "config": {"interval": self.interval, "fall": self.fall, "rise": self.rise},
                "totals": _rounded(self.totals), "phases": [p.to_json() for p in self.phases],
                "sentence": self.sentence}

    def to_json(self) -> dict[str, Any]:
        """The documented shape of report.json (version 1; keys may be added, never removed):

        ``{"version", "service", "zone", "vendor", "mode" ("lab"|"simulate"), "applied",
        "outcome" ("passed"|"failed"|"planned"|"declined"), "exit_code", "sentence",
        "started", "finished" (epoch seconds),
        "config": {"path", "interval", "fall", "rise", "verify_timeout", "ttl"},
        "hostings": [the vendor's hostings],
        "totals": {"detect", "decide", "write", "verify", "evacuate", "users_off",
        "failback", "total"} (seconds or null; users_off is evacuate plus the records' TTL,
        when the last resolver cache lets go of the vendor at worst),
        "phases": [{"name", "label", "provider", "authority", "start", "seconds", "end",
        "ok", "detail"}] (start/end in seconds from the fault),
        "providers": [{"provider", "vendor", "changes", "write", "write_ok", "rollback_write"}],
        "authorities": [{"provider", "authority", "verify", "rollback_verify", "ok"}],
        "checks": [{"phase", "number", "at", "seconds", "verdicts", "reasons"}],
        "plan": <plan as in 'plan --format json'> | null,
        "move": <result as in 'move --format json'> | null, "rollback": same | null,
        "restored": {"checked", "answers", "vendor_up", "detail"}, "errors": [...]}``
        """
        return {
            "version": REPORT_VERSION, "service": self.service, "zone": self.zone,
            "vendor": self.vendor, "mode": self.mode, "applied": self.applied,
            "outcome": self.outcome, "exit_code": self.exit_code, "sentence": self.sentence,
            "started": self.started, "finished": self.finished,
            "config": {"path": self.config_path, "interval": self.interval, "fall": self.fall,
                       "rise": self.rise, "verify_timeout": self.verify_timeout,
                       "ttl": self.ttl},
            "hostings": list(self.hostings),
            "totals": _rounded(self.totals),
            "phases": [p.to_json() for p in self.phases],
            "providers": self.providers(),
            "authorities": self.authorities(),
            "checks": [c.to_json() for c in self.checks],
            "plan": self.plan.to_json() if self.plan is not None else None,
            "move": self.move.to_json() if self.move is not None else None,
            "rollback": self.rollback.to_json() if self.rollback is not None else None,
            "restored": self.restored, "errors": list(self.errors)}

    def providers(self) -> list[dict[str, Any]]:
        """Per DNS provider: seconds to write, and to write the rollback."""
        out = []
        for pp in self.plan.providers if self.plan is not None else []:
            w = [p for p in self.phase("write") if p.provider == pp.provider]
            rw = [p for p in self.phase("rollback-write") if p.provider == pp.provider]
            out.append({"provider": pp.provider, "vendor": pp.vendor,
                        "write": round(w[0].seconds, 4) if w else None,
                        "write_ok": w[0].ok if w else None,
                        "rollback_write": round(rw[0].seconds, 4) if rw else None,
                        "changes": len(pp.changes)})
        return out

    def authorities(self) -> list[dict[str, Any]]:
        """Per authoritative server: seconds from its provider's write to the new answers."""
        rows: dict[tuple[str, str], dict[str, Any]] = {}
        for p in self.phases:
            if p.name not in ("verify", "rollback-verify") or p.authority is None:
                continue
            row = rows.setdefault((p.provider or "", p.authority),
                                  {"provider": p.provider, "authority": p.authority,
                                   "verify": None, "rollback_verify": None, "ok": True})
            row["verify" if p.name == "verify" else "rollback_verify"] = round(p.seconds, 4)
            row["ok"] = row["ok"] and p.ok
        return list(rows.values())


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
            raise ConfigError(f"--vendor {vendor}: no such vendor; vendors: "
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
        target = engine.journal.move(move.move_id)
        if target is None:
            raise FailoverError(f"move {move.move_id} is not in the journal")
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
        text = (f"{phase.label}{state}: {_seconds(phase.seconds)} "
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
            parts.append(f"detected in {_seconds(t['detect'])} ({n} checks every "
                         f"{r.interval:g}s, fall {r.fall})")
        if t["decide"] is not None:
            parts.append(f"decided and planned in {_seconds(t['decide'])}")
        writes = [p for p in r.phase("write") if p.seconds > 0]
        if writes:
            parts.append("wrote " + ", ".join(f"{p.provider} in {_seconds(p.seconds)}"
                                              for p in writes))
        since = "the fault" if r.mode == "lab" else "the start"
        if t["evacuate"] is not None and r.moved_cleanly:
            parts.append(f"every authority verified {_seconds(t['evacuate'])} after {since}")
        elif t["evacuate"] is not None:
            parts.append(f"the move ended {_seconds(t['evacuate'])} after {since}, "
                         "not written or not verified everywhere")
        if t["failback"] is not None:
            parts.append(f"failed back in {_seconds(t['failback'])}"
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


# -- the report ------------------------------------------------------------------------------

def default_report_dir(vendor: str, at: float) -> Path:
    """``./drill-<vendor>-<YYYYmmdd-HHMMSS>``."""
    return Path(f"drill-{vendor}-{time.strftime('%Y%m%d-%H%M%S', time.localtime(at))}")


def write_report(report: DrillReport, directory: Path) -> list[Path]:
    """Write report.md, report.json and timeline.svg into ``directory``; their paths."""
    directory.mkdir(parents=True, exist_ok=True)
    paths = [directory / "report.md", directory / "report.json", directory / "timeline.svg"]
    paths[0].write_text(markdown(report), encoding="utf-8")
    paths[1].write_text(json.dumps(report.to_json(), indent=2, sort_keys=True) + "\n",
                        encoding="utf-8")
    paths[2].write_text(timeline_svg(report), encoding="utf-8")
    return paths


def journaled_timeline(config: Config, at: float, sentence: str, data: Mapping[str, Any]
                       ) -> str | None:
    """The timeline picture of a drill from its journaled end (the data of its ``end``
    event, see :meth:`DrillReport.summary_json`); None when it has no phases, or when an
    old or odd record draws none."""
    report = DrillReport(
        service=config.service, zone=config.zone, vendor=data.get("vendor", "?"),
        mode=data.get("mode", "?"), applied=bool(data.get("applied")),
        config_path=config.source, interval=config.interval, fall=config.fall,
        rise=config.rise, verify_timeout=config.verify.timeout,
        hostings=config.hostings_of(data.get("vendor", "")),
        started=float(data.get("started") or at), finished=float(data.get("finished") or at),
        outcome=data.get("outcome", "?"), sentence=sentence)
    for p in data.get("phases", []):
        report.phases.append(Phase(p["name"], float(p["start"]), float(p["seconds"]),
                                   bool(p["ok"]), p.get("detail", ""), p.get("provider"),
                                   p.get("authority")))
    if not report.phases:
        return None
    try:
        return timeline_svg(report)
    except Exception:  # an old or odd record draws no picture; the page's line still shows
        return None


def timeline_rows(report: DrillReport) -> list[str]:
    """The timeline's rows: detect, decide, plan, then per DNS provider its write row and
    one row per authority it was verified at, then the failback."""
    rows: list[str] = []
    names = {p.name for p in report.phases}
    if "stop" in names or "detect" in names:
        rows.append(_row_name(report, "detect"))
    rows += [n for n in ("decide", "plan") if n in names]
    providers = [pp.provider for pp in report.plan.providers] if report.plan else []
    for p in report.phases:
        if p.provider and p.provider not in providers:
            providers.append(p.provider)
    for prov in providers:
        mine = [p for p in report.phases if p.provider == prov]
        if not mine:
            continue
        rows.append(f"{prov}: write")
        auths: list[str] = []
        for p in mine:
            if p.authority and p.authority not in auths:
                auths.append(p.authority)
        rows.extend(f"{prov}: verify at {a}" for a in auths)
    if report.moved_cleanly and report.ttl and report.totals["evacuate"] is not None:
        rows.append(_TTL_ROW)
    if names & {"restore", "recover"}:
        rows += [_row_name(report, "restore"), _row_name(report, "recover")]
    return rows


_TTL_ROW = "resolver caches (TTL)"


def _row_name(report: DrillReport, name: str, p: Phase | None = None) -> str:
    if name in ("stop", "detect"):
        return f"detect ({report.vendor} stopped)"
    if name in ("write", "rollback-write") and p is not None:
        return f"{p.provider}: write"
    if name in ("verify", "rollback-verify") and p is not None:
        return f"{p.provider}: verify at {p.authority}"
    if name == "restore":
        return f"failback: restore {report.vendor}"
    if name == "recover":
        return f"failback: rise {report.rise} checks"
    return name


def timeline_svg(report: DrillReport) -> str:
    """The timeline picture of the drill's phases per DNS provider (SVG); when the move is a
    sliver beside detection, a second panel magnifies it."""
    from failover.timeline import Bar, Dot, Mark, Zoom, render

    # The fault itself is the "stopped" mark, not a bar.
    bars = [Bar(_row_name(report, p.name, p), p.start, p.seconds, p.name, p.ok,
                text=_bar_text(p), title=f"{p.label}: {_seconds(p.seconds)}; {p.detail}")
            for p in report.phases if p.name != "stop"]
    dots = []
    for c in report.checks:
        if c.phase == "baseline":
            continue
        healthy = all(v == UP for v in c.verdicts.values())
        dots.append(Dot(_row_name(report, c.phase), c.at, healthy,
                        f"{c.phase} check {c.number} at {c.at:.2f}s: "
                        + ", ".join(f"{h} {v}" for h, v in c.verdicts.items())))
    marks = []
    t = report.totals
    if report.phase("stop"):
        marks.append(Mark(0.0, f"{report.vendor} stopped"))
    if t["evacuate"] is not None:
        marks.append(Mark(t["evacuate"], f"authorities off {report.vendor}: "
                          f"{_seconds(t['evacuate'])}"
                          if report.moved_cleanly else "move ended (not everywhere)"))
    if t["users_off"] is not None and report.moved_cleanly and report.ttl:
        # The outage users see ends here at worst, not at the authorities' mark.
        bars.append(Bar(_TTL_ROW, t["evacuate"] or 0.0, float(report.ttl), "ttl",
                        text=f"TTL {report.ttl}s: users off {report.vendor} by "
                             f"{_seconds(t['users_off'])}",
                        title=f"resolvers may answer {report.vendor}'s address from cache for "
                              f"up to {report.ttl}s after every authority serves the standby"))
    restore = report.phase("restore")
    if restore:
        # The drill ends the fault itself, to fail back; the vendor did not recover.
        marks.append(Mark(restore[0].start, f"drill restores {report.vendor}"))
    title = (f"failover drill: vendor {report.vendor} ({report.mode}) {report.outcome}"
             + (f", off {report.vendor} in {_seconds(t['evacuate'])}"
                if t["evacuate"] is not None and report.moved_cleanly else ""))
    subtitle = (f"{report.service} ({report.zone})   interval {report.interval:g}s, "
                f"fall {report.fall}, rise {report.rise}   "
                f"{_stamp(report.started)}")
    rows = timeline_rows(report)
    zoom = None
    moving = [p for p in report.phases if p.name in ("decide", "plan", "write", "verify")]
    if moving and t["total"]:
        lo = min(p.start for p in moving)
        hi = max(p.end for p in moving)
        if hi - lo < 0.25 * t["total"]:
            pad = max(0.002, 0.04 * (hi - lo))
            zrows = tuple(r for r in rows
                          if not r.startswith(("detect", "failback")) and r != _TTL_ROW)
            zoom = Zoom(lo - pad, hi + pad, zrows,
                        f"The move, magnified: {lo:.2f} s to {hi:.2f} s after "
                        f"{'the fault' if report.mode == 'lab' else 'the start'}")
    return render(title, subtitle, rows, bars, dots, marks, zoom)


def _bar_text(p: Phase) -> str:
    prefix = "rollback " if p.name.startswith("rollback-") else ""
    if p.name in ("decide", "plan"):
        prefix = f"{p.name} "
    return prefix + _seconds(p.seconds)


def markdown(report: DrillReport) -> str:
    """report.md: the outcome first, then phases, providers, authorities, checks, the plan."""
    r = report
    t = r.totals
    lines = [f"# Drill of vendor {r.vendor}: {r.outcome.upper()}", "",
             f"{r.sentence}.", ""]
    how = ("lab: the vendor's origins were really stopped, then restored"
           if r.mode == "lab" else
           "simulated: nothing was stopped; the vendor was treated as terminated (--off)"
           + ("; DNS was written and rolled back" if r.applied else "; stopped at the plan"))
    lines += [f"- Service **{r.service}**, zone `{r.zone}`, config `{r.config_path}`",
              f"- Mode: {how}",
              f"- Started {_stamp(r.started)}, finished {_stamp(r.finished)}; "
              f"exit code {r.exit_code}",
              f"- Hostings at {r.vendor}: {', '.join(r.hostings)}", ""]
    lines += ["## Why detection took what it took", "",
              f"The config checks every **{r.interval:g}s** (`interval`), calls a hosting DOWN "
              f"after **{r.fall}** failed checks in a row (`fall`) and UP again after "
              f"**{r.rise}** good ones (`rise`). The drill's first check comes one interval "
              f"after the fault (a watcher's worst case), so detection takes about fall x "
              f"interval = {r.fall * r.interval:g}s, and the failback waits about rise x "
              f"interval = {r.rise * r.interval:g}s before rolling back. To detect faster, "
              f"lower `interval` or `fall`; each costs more probes or more false alarms.", ""]
    lines += ["## Totals", "", "| what | seconds |", "| --- | ---: |"]
    names = {"detect": "detect (fault to DOWN)", "decide": "decide and plan",
             "write": "write (slowest DNS provider)", "verify": "verify (slowest authority)",
             "evacuate": "evacuate (fault to every authority verified)",
             "users_off": f"users off {r.vendor} at worst (evacuate + TTL {r.ttl}s: "
                          "resolver caches)",
             "failback": "failback (restore to rollback verified)", "total": "total"}
    for key, text in names.items():
        if t[key] is not None:
            lines.append(f"| {text} | {t[key]:.3f} |")
    if r.mode != "lab":
        lines.append(f"| detect (not measured: simulated; expect up to fall x interval) | "
                     f"{r.fall * r.interval:.3f} |")
    lines += ["", "## Phases", "",
              "Times in seconds from the fault (lab) or the start (simulated).", "",
              "| phase | start | seconds | result | detail |",
              "| --- | ---: | ---: | --- | --- |"]
    for p in sorted(r.phases, key=lambda p: (round(p.start, 3), p.end)):
        lines.append(f"| {p.label} | {p.start:.3f} | {p.seconds:.3f} | "
                     f"{'ok' if p.ok else '**FAILED**'} | {_cell(p.detail)} |")
    providers = r.providers()
    if providers:
        lines += ["", "## Per DNS provider", "",
                  "| provider | vendor | changes | write (s) | rollback write (s) |",
                  "| --- | --- | ---: | ---: | ---: |"]
        for row in providers:
            lines.append(f"| {row['provider']} | {row['vendor']} | {row['changes']} | "
                         f"{_num(row['write'])} | {_num(row['rollback_write'])} |")
    auths = r.authorities()
    if auths:
        lines += ["", "## Per authoritative server", "",
                  "verify: seconds from the provider's write until this server served the "
                  "move's answers; rollback verify: until it served the answers from before "
                  "the move again.",
                  "", "| provider | authority | verify (s) | rollback verify (s) | result |",
                  "| --- | --- | ---: | ---: | --- |"]
        for row in auths:
            lines.append(f"| {row['provider']} | {row['authority']} | {_num(row['verify'])} | "
                         f"{_num(row['rollback_verify'])} | "
                         f"{'ok' if row['ok'] else '**FAILED**'} |")
    if r.checks:
        lines += ["", "## Checks", "", "| phase | # | at (s) | took (s) | verdicts |",
                  "| --- | ---: | ---: | ---: | --- |"]
        for c in r.checks:
            said = "; ".join(f"{h} {v} ({c.reasons.get(h, '')})" for h, v in c.verdicts.items())
            at = "before" if c.phase == "baseline" and r.mode == "lab" else f"{c.at:.3f}"
            lines.append(f"| {c.phase} | {c.number} | {at} | {c.seconds:.3f} | "
                         f"{_cell(said)} |")
    lines += ["", "## The plan", ""]
    if r.plan is None:
        lines.append("No plan was made (the drill stopped before deciding).")
    else:
        lines += [f"Decision: {r.plan.decision.reason}. Checksum `{r.plan.checksum}`.", "",
                  "```", *_plan_text(r.plan), "```"]
    lines += ["", "## Outcome", ""]
    if r.move is not None:
        lines.append(f"- Move {r.move.move_id}: {r.move.summary}")
    if r.rollback is not None:
        lines.append(f"- Rollback {r.rollback.move_id}: {r.rollback.summary}")
    if r.restored:
        lines.append(f"- Left as found: {r.restored.get('detail', '-')}"
                     + ("" if "vendor_up" not in r.restored else
                        f"; vendor {r.vendor} UP again: "
                        f"{'yes' if r.restored['vendor_up'] else 'NO'}"))
    for e in r.errors:
        lines.append(f"- Problem: {e}")
    if not (r.move or r.rollback or r.restored or r.errors):
        lines.append("- Nothing was written.")
    lines += ["", "## Timeline", "", "![timeline of the drill](timeline.svg)", ""]
    return "\n".join(lines)


def _plan_text(plan: Plan) -> list[str]:
    """The plan as plain text: per provider its changes (``+ ~ -``), then the totals.

    The report gives the decision and the checksum above it, so no warnings, TTLs,
    checksum line or notes on unreachable providers here.
    """
    from failover.plan import plan_lines

    out = []
    for line in plan_lines(plan):
        head = f"{line.provider} ({line.vendor})"
        match line.kind:
            case "header":
                out.append(f"Plan for {line.zone}: {line.text}")
            case "provider":
                out.append(head)
            case "unreachable":
                out.append(f"{head}  unreachable: {line.text}")
            case "no-changes":
                out.append(f"{head}  no changes")
            case "change":
                out.append(f"  {line.mark} {line.key:<{line.width}}  {line.values}")
            case "totals":
                out.append(f"Totals: {line.text}")
    return out


def last_drill(events: list[dict[str, Any]], vendor: str) -> dict[str, Any] | None:
    """The newest finished drill of ``vendor`` in journal events (newest first), with
    ``at`` and ``sentence`` added to its data; None if there is none."""
    for e in events:
        if e.get("kind") != "drill":
            continue
        data = e.get("data")
        if isinstance(data, str):
            try:
                data = json.loads(data)
            except ValueError:
                continue
        if isinstance(data, dict) and data.get("stage") == "end" and data.get("vendor") == vendor:
            return {**data, "at": e.get("at"), "sentence": e.get("sentence", "")}
    return None


def _describe(exc: BaseException) -> str:
    if isinstance(exc, FailoverError):
        return str(exc)
    return f"{type(exc).__name__}: {exc}"


def _seconds(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    return f"{seconds * 1000:.0f} ms" if seconds < 1 else f"{seconds:.2f} s"


def _num(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _stamp(at: float) -> str:
    """Local time with its UTC offset, so a postmortem can line it up with other logs."""
    if not at:
        return "-"
    from datetime import datetime

    return datetime.fromtimestamp(at).astimezone().isoformat(sep=" ", timespec="seconds")


def _rounded(values: Mapping[str, float | None]) -> dict[str, float | None]:
    return {k: (round(v, 4) if v is not None else None) for k, v in values.items()}
