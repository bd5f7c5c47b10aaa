"""The engine's front door: what the CLI (and the watcher, drills, tests) call.

An :class:`Engine` holds one config, its journal and its DNS providers, and
offers the verbs of the flow in DESIGN.md: ``check`` (probe and judge),
``plan`` (decide and diff every provider), ``move`` (apply a reviewed plan),
``rollback_plan`` (the plan that restores a move's before-images),
``status`` (what every provider serves now, and what an interrupted move
did and did not write). Rendering is the caller's business, and so is telling:
the engine emits events (:mod:`failover.events`: a vendor newly TERMINATED, a move
that ended) to the sinks it is given, and sends nothing itself.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any

from failover.clock import Clock, SystemClock
from failover.config import Config, StackEndpoints, StaticEndpoints, read_deadline
from failover.coord.base import Coordinator, MoveStore
from failover.dns.base import Provider
from failover.errors import (
    FailoverError,
    JournalError,
    ProviderAuthError,
    ProviderUnreachable,
)
from failover.events import Moved, Served, Sinks, VendorTerminated
from failover.health import TERMINATED, Control, Verdict, exit_code, judge_all
from failover.journal import Journal, MoveRow, StepRow
from failover.move import EventSink, MoveResult, execute
from failover.plan import (
    Plan,
    ProviderPlan,
    check_safety,
    provider_plan,
    require_readable,
    rollback_provider_plan,
)
from failover.policy import Decision, decide, desired_rrsets, judge_target
from failover.probes.base import ProbeResult
from failover.records import RRKey, RRSet, Snapshot, absolute_name, by_record
from failover.saas.report import findings as dependency_findings
from failover.saas.report import rows as dependency_rows

ProviderFactory = Callable[[str, Config], Provider]
# The reason of a plan that switches SaaS dependencies only (move --saas DEP --to P).
HOSTINGS_KEPT = "hostings kept as served"


@dataclass
class CheckReport:
    at: float
    verdicts: list[Verdict]
    results: list[ProbeResult]
    exit_code: int
    seconds: float
    controls: dict[str, Any] = field(default_factory=dict)       # vendor -> ControlResult
    terminated: dict[str, tuple[float, str]] = field(default_factory=dict)
    # (dependency, provider) -> failover.saas.probe.ProviderState, when saas: is configured
    saas: dict[tuple[str, str], Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"at": self.at, "exit_code": self.exit_code, "seconds": round(self.seconds, 3),
                "hostings": [v.to_json() for v in self.verdicts],
                "vendors": {name: c.to_json() for name, c in sorted(self.controls.items())},
                "terminated": {v: {"since": since, "reason": why}
                               for v, (since, why) in sorted(self.terminated.items())}}


@dataclass
class FullCheck:
    """A check of everything a move depends on: hostings, vendors' control planes, backups."""

    report: CheckReport
    findings: list[Any]          # failover.report.Finding, hostings first
    exit_code: int
    seconds: float = 0.0         # the whole check, DNS providers and backups included
    moves: dict[str, int] = field(default_factory=dict)     # kind -> how many journaled
    last_move: float | None = None                          # when the newest one started

    def to_json(self, service: str) -> dict[str, Any]:
        from failover.report import to_json

        return to_json(service, self.report.at, self.exit_code, self.findings,
                       extra=self.report.to_json())


@dataclass
class ProviderStatus:
    provider: str
    vendor: str
    rrsets: dict[RRKey, RRSet] | None
    error: str | None = None


@dataclass
class StepStatus:
    """What an unfinished move's step wrote, judged against what the provider serves now."""

    step: StepRow
    now: str        # written | not written | partly written | changed since | unknown


@dataclass
class StatusReport:
    journal: str
    managed: list[tuple[str, str]]
    providers: list[ProviderStatus]
    agree: dict[tuple[str, str], bool | None]     # None: unknown (a provider is unreadable)
    last_move: MoveRow | None
    unfinished: list[StepStatus] = field(default_factory=list)
    # The last move's writes that had no answer ("unknown"), read again now.
    unknown: list[StepStatus] = field(default_factory=list)

    @property
    def all_agree(self) -> bool:
        return all(a is True for a in self.agree.values())

    @property
    def readable(self) -> int:
        return sum(p.rrsets is not None for p in self.providers)


class Engine:
    def __init__(self, config: Config, *, clock: Clock | None = None,
                 provider_factory: ProviderFactory | None = None,
                 sinks: Sinks | None = None) -> None:
        self.config = config
        self.clock: Clock = clock or SystemClock()
        self._factory = provider_factory
        # Who hears the engine's events (and the watcher's and the drill's on it): the
        # CLI adds the notices and the status page; none by default.
        self.sinks = sinks if sinks is not None else Sinks()
        self._providers: dict[str, Provider] = {}
        self._journal: Journal | None = None
        self._coord: Coordinator | None = None
        self._endpoints: dict[str, dict[str, list[str]]] | None = None
        self._last_read: dict[str, tuple[dict[RRKey, RRSet] | None, str | None]] | None = None
        self._saas_states: dict[tuple[str, str], Any] = {}
        self._saas_choices: list[Any] = []
        # Progress for whoever renders it (the CLI's live line); never required.
        self.on_event: EventSink | None = None
        # What concurrent waits (provider reads, control planes) are still waiting on.
        self._waiting: dict[str, list[str]] = {}
        self._waiting_lock = threading.Lock()

    # -- plumbing --------------------------------------------------------------

    @property
    def journal(self) -> Journal:
        if self._journal is None:
            self._journal = Journal(self.config.journal_path())
        return self._journal

    @property
    def coord(self) -> Coordinator:
        """The zone's coordination: local (flock, journal) or etcd when ``cluster:`` is set."""
        if self._coord is None:
            from failover.coord import make_coordinator

            self._coord = make_coordinator(self.config, self.journal, self.clock)
        return self._coord

    @property
    def store(self) -> MoveStore:
        """Where moves are recorded and read: the journal, or etcd's shared history."""
        return self.coord.store

    def close(self) -> None:
        self.sinks.drain()           # notices and the page under way, bounded
        for p in self._providers.values():
            p.close()
        if self._coord is not None:
            self._coord.close()
        if self._journal is not None:
            self._journal.close()

    def fork(self) -> Engine:
        """An engine on the same config, clock and provider factory with its own providers
        and journal connection: for background work beside this engine's next step."""
        return Engine(self.config, clock=self.clock, provider_factory=self._factory)

    def read_apart(self) -> dict[str, tuple[dict[RRKey, RRSet] | None, str | None]]:
        """:meth:`read_all` on a fork: safe beside this engine's next step."""
        reader = self.fork()
        try:
            return reader.read_all()
        finally:
            reader.close()

    def provider(self, name: str) -> Provider:
        if name not in self._providers:
            if self._factory is not None:
                self._providers[name] = self._factory(name, self.config)
            else:
                from failover.dns import make_provider

                self._providers[name] = make_provider(name, self.config)
        return self._providers[name]

    def lock(self, command: str | None = None, *, auto: bool = False,
             break_glass: bool = False) -> AbstractContextManager[Any]:
        """The zone's move lock (see :meth:`Coordinator.lock`)."""
        return self.coord.lock(command, auto=auto, break_glass=break_glass)

    def endpoints(self) -> dict[str, dict[str, list[str]]]:
        """Each hosting's endpoints by type: from the file, or (``from_stack``) the inventory."""
        if self._endpoints is None:
            if any(isinstance(h.endpoints, StackEndpoints) for h in self.config.hosting.values()):
                from failover.inventory import resolve_endpoints

                self._endpoints = resolve_endpoints(self.config)
            else:
                self._endpoints = {
                    name: {t: h.endpoints.values(t) for t in ("A", "AAAA", "CNAME")}
                    for name, h in self.config.hosting.items()
                    if isinstance(h.endpoints, StaticEndpoints)}
        return self._endpoints

    @property
    def managed(self) -> list[tuple[str, str]]:
        """The records failover owns: the hosting records, then the SaaS dns switches."""
        records: list[tuple[str, str]] = [(absolute_name(r.name, self.config.zone), r.type)
                                          for r in self.config.records]
        if self.config.saas:
            from failover.saas.switch import switch_keys

            records += switch_keys(self.config)
        return records

    def saas_selected(self, current: Mapping[str, tuple[dict[RRKey, RRSet] | None, str | None]]
                      | None = None) -> dict[str, str | None]:
        """Each SaaS dependency's provider in use now (from DNS, or the journal)."""
        from failover.saas.switch import selected

        return selected(self.config, self.read_all() if current is None else current,
                        self.journal.events(limit=500, kind="saas-switch"))

    # -- check -----------------------------------------------------------------

    def check(self, hostings: Sequence[str] | None = None) -> CheckReport:
        """Probe every hosting (or those named), judge with hysteresis, journal it all."""
        from failover.probes import probe_all, targets_for

        cfg = self.config
        names = list(hostings) if hostings else list(cfg.hosting)
        endpoints = self.endpoints()
        targets = targets_for(cfg, {h: endpoints[h] for h in names})
        t0, at = self.clock.monotonic(), self.clock.now()
        vendors = sorted({cfg.hosting[h].vendor for h in names})
        with ThreadPoolExecutor(max_workers=1) as pool:
            # Control planes are asked while the data-plane probes run.
            pending = pool.submit(self.control_planes, vendors)
            saas = self._probe_saas()
            results = probe_all(targets, concurrency=cfg.concurrency, clock=self.clock)
            controls = pending.result()
        previous = self.journal.hosting_states()
        verdicts, states = judge_all(
            {h: cfg.hosting[h].vendor for h in names}, results, previous, rise=cfg.rise,
            fall=cfg.fall, now=at,
            controls={v: Control(c.state, c.reason) for v, c in controls.items()})
        self.journal.record_checks([(r.at, r.hosting, r.probe, r.target, r.ok, r.latency,
                                     r.reason) for r in results])
        self.journal.save_verdicts(at, states, [(v.hosting, v.verdict, v.reason,
                                                 [e.to_json() for e in v.evidence])
                                                for v in verdicts])
        known = set(self.journal.terminated_vendors())
        for v in verdicts:
            if v.verdict == TERMINATED:
                self.journal.mark_terminated(v.vendor, at, v.reason)
        self._tell_terminated(verdicts, known)
        saas_states = self._judge_saas(saas, at, known)
        return CheckReport(at, verdicts, results, exit_code(verdicts, cfg.policy.min_healthy),
                           self.clock.monotonic() - t0, controls,
                           self.journal.terminated_vendors(), saas_states)

    def _probe_saas(self) -> Any:
        """SaaS providers' accounts, probed on their own threads beside the hostings."""
        if not self.config.saas:
            return None
        from failover.saas.probe import probe_providers

        pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="saas")
        future = pool.submit(probe_providers, self.config, clock=self.clock)
        pool.shutdown(wait=False)
        return future

    def _judge_saas(self, pending: Any, at: float, known: set[str]
                    ) -> dict[tuple[str, str], Any]:
        """A TERMINATED SaaS provider marks its vendor terminated, as a hosting does."""
        if pending is None:
            return {}
        states: dict[tuple[str, str], Any] = pending.result()
        gone = sorted({s.vendor for s in states.values() if s.verdict == TERMINATED}
                      - set(self.journal.terminated_vendors()))
        for vendor in gone:
            why = next(s for s in states.values() if s.vendor == vendor
                       and s.verdict == TERMINATED)
            self.journal.mark_terminated(vendor, at, f"saas {why.dependency}/{why.provider}: "
                                                     f"account {why.account}: "
                                                     f"{why.account_reason}")
        for vendor in gone:
            if vendor not in known:
                self.sinks.emit(VendorTerminated(
                    vendor, tuple(self.config.hostings_of(vendor)),
                    self.journal.terminated_vendors()[vendor][1]))
        self._saas_states = states
        return states

    def _tell_terminated(self, verdicts: list[Verdict], known: set[str]) -> None:
        """One event per vendor newly marked TERMINATED."""
        for vendor in sorted({v.vendor for v in verdicts if v.verdict == TERMINATED} - known):
            mine = [v for v in verdicts if v.vendor == vendor and v.verdict == TERMINATED]
            self.sinks.emit(VendorTerminated(vendor, tuple(v.hosting for v in mine),
                                             mine[0].reason))

    def check_all(self) -> FullCheck:
        """``check`` plus every other thing a move depends on, as findings: each vendor's
        control plane, each DNS provider (its servers answer, serials agree, providers
        agree, TTLs, the delegation) and each backup."""
        from failover.dnscheck import check_dns
        from failover.report import hosting_findings, overall_exit_code

        cfg = self.config
        providers = {}
        setup_errors: dict[str, str] = {}
        for name in cfg.dns:
            try:
                providers[name] = self.provider(name)
            except FailoverError as exc:
                setup_errors[name] = str(exc)   # check_dns reports it as UNKNOWN, with why
        from failover.serving import (
            exposure_exit_code,
            relax_vendor_findings,
            serving_findings,
        )

        t0 = self.clock.monotonic()
        with ThreadPoolExecutor(max_workers=4) as pool:
            backups = None
            if cfg.backups:
                from failover.backups import check_backups

                backups = pool.submit(check_backups, cfg, clock=self.clock)
            dns = pool.submit(check_dns, cfg, providers, clock=self.clock,
                              setup_errors=setup_errors)
            writes = pool.submit(self.prove_writes, list(providers))
            # What each provider serves: the exit code follows what users are sent to.
            current = pool.submit(self.read_all)
            report = self.check()
            findings = hosting_findings(report.verdicts) + self.vendor_findings(report)
            findings += self.saas_findings(report)
            findings += _with_write_proofs(dns.result(), writes.result())
            if backups is not None:
                findings += backups.result()
            serving = serving_findings(cfg, {v.hosting: v for v in report.verdicts},
                                       report.terminated, current.result(), self.endpoints())
        findings = relax_vendor_findings(findings, serving, cfg) + serving
        from failover.coord.findings import coord_findings

        findings += coord_findings(self.coord, cfg)
        hostings = exposure_exit_code(report.verdicts, serving, cfg.policy.min_healthy,
                                      report.exit_code)
        history = self.store.moves(limit=100_000)
        moves = {kind: sum(m.kind == kind for m in history) for kind in ("move", "rollback")}
        return FullCheck(report, findings, overall_exit_code(hostings, findings),
                         self.clock.monotonic() - t0, moves,
                         max((m.started for m in history), default=None))

    def saas_findings(self, report: CheckReport) -> list[Any]:
        """One finding per SaaS dependency: provider in use, its account, the fallback."""
        if not self.config.saas:
            return []
        return dependency_findings(dependency_rows(self.config, self.saas_selected(),
                                                   report.saas, set(report.terminated)))

    def vendor_findings(self, report: CheckReport) -> list[Any]:
        """One finding per vendor with a control plane or a termination mark."""
        from failover.report import Finding

        down = {v.vendor for v in report.verdicts if v.verdict in (TERMINATED, "DOWN")}
        out = []
        for vendor in sorted(set(report.controls) | set(report.terminated)):
            c = report.controls.get(vendor)
            evidence = list(c.evidence) if c is not None else []
            metrics: dict[str, float] = {"up": 1.0 if c is not None and c.state == "alive"
                                         else 0.0}
            if c is not None and c.instances_expected is not None:
                metrics["instances_running"] = float(c.instances_running or 0)
                metrics["instances_expected"] = float(c.instances_expected)
            seconds = c.latency if c is not None else 0.0
            if vendor in report.terminated:
                since, _why = report.terminated[vendor]
                status, sev = "CRITICAL", 2
                reason = (f"marked TERMINATED since {_stamp(since)}: never served again until "
                          f"'failover reinstate {vendor}'")
                if c is not None:
                    reason += f"; control plane now: {c.state}: {c.reason}"
            elif c is None:
                continue
            elif c.state == "refused":
                status, sev = "CRITICAL", 2
                reason = f"control plane refuses our account: {c.reason}"
                if vendor not in down:
                    status, sev = "WARNING", 1
                    reason += " while its hostings still serve: termination in progress?"
            elif c.state == "unknown":
                status, sev = "WARNING", 1
                reason = f"control plane did not say (not termination evidence): {c.reason}"
            elif (c.instances_expected is not None
                  and (c.instances_running or 0) < c.instances_expected):
                status, sev = "WARNING", 1
                reason = f"account alive; {c.reason}"
            else:
                status, sev, reason = "OK", 0, f"account alive: {c.reason}"
            out.append(Finding("vendor", vendor, status, sev, reason, vendor=vendor,
                               seconds=seconds, evidence=evidence, metrics=metrics))
        return out

    def control_planes(self, vendors: Sequence[str]) -> dict[str, Any]:
        """Ask each vendor's control plane (those configured) whether our account is alive."""
        wanted = [v for v in vendors if self.config.vendors[v].control is not None]
        if not wanted:
            return {}
        from failover.control import probe_vendors

        def waiting(pending: list[str], seconds: float) -> None:
            self._waiting_for("asking", [f"{v} control plane" for v in pending], seconds)

        try:
            return probe_vendors(self.config, clock=self.clock, vendors=wanted,
                                 on_waiting=waiting)
        finally:
            self._waiting_for("asking", [], 0.0)

    def reinstate(self, vendor: str) -> bool:
        """An operator says a terminated vendor may be served again."""
        if vendor not in self.config.vendors:
            from failover.errors import ConfigError

            raise ConfigError(f"no such vendor '{vendor}'; vendors: "
                              f"{', '.join(sorted(self.config.vendors))}")
        # It writes shared state: under the zone's lock, fenced on it in a cluster.
        with self.lock(f"failover reinstate {vendor}"):
            return self.coord.reinstate(vendor)

    # -- proving write credentials -------------------------------------------------

    def prove_writes(self, names: Sequence[str]) -> dict[str, tuple[bool | None, str]]:
        """Per provider, whether it accepts our write credentials, proved without
        changing the zone (see :meth:`Provider.check_write`): (True, how it was proved),
        (False, why it refused) or (None, why it could not be told)."""
        def prove(name: str) -> tuple[str, tuple[bool | None, str]]:
            try:
                how = self.provider(name).check_write()
            except ProviderAuthError as exc:
                return name, (False, str(exc))
            except FailoverError as exc:
                return name, (None, str(exc))
            except Exception as exc:  # an SDK error we did not map: still one line
                return name, (None, f"{name}: {type(exc).__name__}: {exc}")
            if how is None:
                return name, (None, f"{name}: cannot prove write credentials without writing")
            return name, (True, how)

        if not names:
            return {}
        with ThreadPoolExecutor(max_workers=len(names)) as pool:
            return dict(pool.map(prove, names))

    # -- reading providers -------------------------------------------------------

    def read_all(self) -> dict[str, tuple[dict[RRKey, RRSet] | None, str | None]]:
        """Every provider's current RRsets for the managed records, read concurrently.

        Each read has its provider's deadline (``deadline``, else ``timeout``): a provider
        past it is reported as not answering, so it counts as serving nothing known, and
        holds up nothing else. While reads are pending, ``on_event("waiting", ...)`` names
        them about once a second, so a person sees which provider is slow.
        """
        keys = self.managed
        names = list(self.config.dns)
        answers: dict[str, tuple[dict[RRKey, RRSet] | None, str | None]] = {}
        arrived = threading.Condition()

        def read(name: str) -> None:
            answer: tuple[dict[RRKey, RRSet] | None, str | None]
            try:
                answer = self.provider(name).read(keys), None
            except FailoverError as exc:
                answer = None, str(exc)
            except Exception as exc:  # an SDK error we did not map: still one line
                answer = None, f"{name}: {type(exc).__name__}: {exc}"
            with arrived:
                answers[name] = answer
                arrived.notify_all()

        # Daemon threads: a hung provider's read must not hold the process at exit.
        for name in names:
            threading.Thread(target=read, args=(name,), name=f"read-{name}", daemon=True).start()
        # Real time, not self.clock: the threads wait in real time whatever the clock.
        start = time.monotonic()
        limits = {n: read_deadline(self.config.dns[n]) for n in names}
        out: dict[str, tuple[dict[RRKey, RRSet] | None, str | None]] = {}
        with arrived:
            while True:
                now = time.monotonic()
                for n in names:
                    if n in out:
                        continue
                    if n in answers:
                        out[n] = answers[n]
                    elif now - start >= limits[n]:
                        out[n] = None, str(ProviderUnreachable(
                            n, f"did not answer within {limits[n]:g} s (its deadline; "
                               f"dns.{n}.deadline sets it)"))
                pending = [n for n in names if n not in out]
                if not pending:
                    break
                if now - start >= 1.0:
                    self._waiting_for("reading", pending, now - start)
                arrived.wait(min(1.0, min(limits[n] for n in pending) - (now - start)))
        self._waiting_for("reading", [], 0.0)
        self._last_read = {n: out[n] for n in names}
        return self._last_read

    @property
    def last_read(self) -> Served | None:
        """What :meth:`read_all` returned last (None before the first read): a new mapping
        at each read, so a caller can tell whether one happened since it last looked."""
        return self._last_read

    def _waiting_for(self, doing: str, names: list[str], seconds: float) -> None:
        """Tell the live line what ``doing`` still waits on; the event names everything
        pending in every concurrent wait, so a slow control plane is not hidden by the
        DNS reads going on beside it (``names`` empty: that wait is over, said silently)."""
        with self._waiting_lock:
            if not names:
                self._waiting.pop(doing, None)
                return
            self._waiting[doing] = names
            pending = [n for group in self._waiting.values() for n in group]
        self._emit("waiting", {"doing": doing, "providers": pending, "seconds": seconds})

    def _emit(self, kind: str, data: dict[str, Any]) -> None:
        if self.on_event is not None:
            self.on_event(kind, data)

    # -- plan and move -------------------------------------------------------------

    def plan(self, *, off: Sequence[str] = (), to: str | None = None,
             verdicts: Mapping[str, Verdict] | None = None,
             saas: Mapping[str, str] | None = None) -> Plan:
        """Decide from fresh verdicts (or the given ones) and diff every provider.

        ``saas`` (dependency -> provider) switches those dependencies; given alone (no
        ``off``/``to``), the hostings are kept as they are served.
        """
        if saas and not off and to is None:
            return self.plan_for(Decision((), HOSTINGS_KEPT), saas=saas)
        current = None
        if verdicts is None:
            # The checks and the reads overlap: a hung vendor (its control plane and its
            # DNS provider) costs one deadline, not two in a row.
            with ThreadPoolExecutor(max_workers=1) as pool:
                reading = pool.submit(self.read_all)
                verdicts = {v.hosting: v for v in self.check().verdicts}
                current = reading.result()
        return self.plan_for(self.decide(verdicts, off=off, to=to), saas=saas, current=current)

    def decide(self, verdicts: Mapping[str, Verdict], *, off: Sequence[str] = (),
               to: str | None = None) -> Decision:
        """The policy's decision, with vendors remembered as terminated evacuated."""
        terminated = sorted(self.coord.terminated_vendors())
        return decide(self.config, verdicts, off=off, to=to, terminated=terminated)

    def plan_for(self, decision: Decision, *, saas: Mapping[str, str] | None = None,
                 current: Mapping[str, tuple[dict[RRKey, RRSet] | None, str | None]]
                 | None = None) -> Plan:
        """``current``: what ``read_all`` returned, when the caller read already."""
        endpoints = self.endpoints() if not decision.keep else {}
        if current is None:
            current = self.read_all()
        switches: dict[tuple[str, str], dict[RRKey, RRSet]] = {}
        if self.config.saas:
            decision, switches = self._saas_switches(decision, current, saas)
        providers = []
        for name, spec in self.config.dns.items():
            desired = desired_rrsets(self.config, decision, endpoints,
                                     weighted=type(self.provider(name)).supports_weights)
            desired = {**desired, **switches}
            cur, err = current[name]
            providers.append(provider_plan(name, spec.vendor, cur, desired, self.managed,
                                           error=err, tolerated=spec.vendor in decision.off))
        require_readable(providers)
        # A provider that refuses our key fails mid-move and leaves DNS split: say so now.
        proofs = self.prove_writes([p.provider for p in providers if p.changes])
        refusals = []
        for pp in providers:
            ok, text = proofs.get(pp.provider, (True, ""))
            if ok is False:
                pp.write_error = text
                if not pp.tolerated:
                    refusals.append(f"{text}; the other providers would be written and DNS "
                                    "left split: fix the credentials, or pass --force to "
                                    "write the others")
        return Plan(self.config.zone, decision, providers, self.managed, tuple(refusals))

    def _saas_switches(self, decision: Decision, current: Any, saas: Mapping[str, str] | None
                       ) -> tuple[Decision, dict[tuple[str, str], dict[RRKey, RRSet]]]:
        """SaaS dependencies whose provider is at an evacuated vendor (or that the operator
        names) switch with the move; their records join the plan, the reason says so."""
        import dataclasses

        from failover.saas.switch import choose, desired

        verdicts = {k: s.verdict for k, s in self._saas_states.items()}
        choices = choose(self.config, self.saas_selected(current), off=decision.off,
                         requested=saas, verdicts=verdicts)
        if not choices:
            return decision, {}
        self._saas_choices = [c for c in choices if c.kind == "webhook"]
        said = "; ".join(c.sentence() for c in choices)
        reason = f"{decision.reason}; saas {said}" if decision.reason else f"saas {said}"
        return dataclasses.replace(decision, reason=reason), desired(self.config, choices)

    def check_safety(self, plan: Plan, *, force: bool) -> None:
        check_safety(plan, self.config.policy.max_change_fraction, force=force)

    def move(self, plan: Plan, *, reason: str, args: dict[str, Any], kind: str = "move",
             rollback_of: int | None = None, on_event: EventSink | None = None) -> MoveResult:
        """Apply a reviewed plan. The caller holds :meth:`lock` across plan and move."""
        result = execute(plan, {n: self.provider(n) for n in self.config.dns}, self.store,
                         self.clock, kind=kind, reason=reason, args=args,
                         verify_timeout=self.config.verify.timeout,
                         verify_interval=self.config.verify.interval, rollback_of=rollback_of,
                         on_event=on_event, guard=self.coord.guard)
        self._saas_webhooks(result)
        # Journaled above: the subscribers tell it (in the background).
        self.sinks.emit(Moved(plan, result, self._served_after(plan, result)))
        return result

    def _served_after(self, plan: Plan, result: MoveResult
                      ) -> dict[str, tuple[dict[RRKey, RRSet] | None, str | None]]:
        """What each DNS provider serves after ``result``, without reading it again: the
        desired RRsets where the move wrote, else what the plan read (providers a
        rollback's plan leaves out: the last read)."""
        planned = {pp.provider: pp for pp in plan.providers}
        written = {s.provider for s in result.steps if s.state == "applied"}
        last = self._last_read or {}
        served: dict[str, tuple[dict[RRKey, RRSet] | None, str | None]] = {}
        for name in self.config.dns:
            pp = planned.get(name)
            if pp is None:
                served[name] = last.get(name, (None, f"{name}: not read"))
            elif name in written:
                served[name] = dict(pp.desired), None
            else:
                served[name] = pp.current, pp.error
        return served

    @property
    def saas_webhooks_pending(self) -> bool:
        """Whether the last plan chose webhook switches (a plan with no DNS change still
        moves then: the switch is the change)."""
        return bool(self._saas_choices)

    def _saas_webhooks(self, result: MoveResult) -> None:
        """Webhook switches chosen with this plan: called once the DNS part is done,
        each journaled (events of kind saas-switch) with its answer."""
        choices, self._saas_choices = self._saas_choices, []
        if not choices or result.state == "failed":
            return
        from failover.saas.switch import call_webhook

        for c in choices:
            ok, said = call_webhook(self.config, c)
            self.journal.event(self.clock.now(), "saas-switch",
                               f"saas {c.sentence()}: {'switched' if ok else 'NOT switched'}: "
                               f"{said}", {**c.to_json(), "ok": ok, "answer": said,
                                           "move_id": result.move_id})

    # -- rollback ----------------------------------------------------------------------

    def rollback_target(self, move_id: int | None) -> MoveRow:
        """The move to undo: the one named, or the newest move not already rolled back."""
        store, where = self.store, self.coord.where
        if move_id is not None:
            row = store.move(move_id)
            if row is None:
                raise JournalError(f"no move {move_id} in {where}; see 'failover history'")
            return row
        for row in store.moves(limit=1000):
            if row.kind == "move" and not store.rolled_back(row.id):
                return row
        raise JournalError(f"nothing to roll back in {where}; see 'failover history'")

    def rollback_plan(self, target: MoveRow, *,
                      verdicts: Mapping[str, Verdict] | None = None) -> Plan:
        """The plan that brings every provider the move touched back to its before-image.

        It carries refusals (applied only with --force) when the before-images no longer
        match the managed records, or when it would send traffic to a hosting that is
        DOWN or TERMINATED, judged from fresh checks (or ``verdicts``) as ``move --to``
        judges its target.
        """
        steps = {s.provider: s for s in self.store.steps(target.id)}
        current = self.read_all()
        providers: list[ProviderPlan] = []
        warnings: list[str] = []
        for name, step in steps.items():
            if step.state in ("unreachable", "planned") or name not in self.config.dns:
                continue
            before = Snapshot.from_json(name, step.before).rrsets
            cur, err = current[name]
            providers.append(rollback_provider_plan(name, step.vendor, before, cur,
                                                    self.managed, error=err,
                                                    tolerated=step.tolerated))
            if cur is None:
                continue
            had, has = by_record(before), by_record(cur)
            for record in self.managed:
                if record not in had and has.get(record) and _wrote(step, record):
                    warnings.append(f"{name}: {record[0]} {record[1]} had no answer before "
                                    f"move {target.id}; it keeps what it serves (no plan "
                                    "takes away a record's last answer)")
        require_readable(providers)
        refusals = self._mismatched_records(target, list(steps.values()))
        dead, unsure = self._rollback_targets(providers, verdicts)
        warnings += unsure
        refusals += [f"rolling back move {target.id} would serve {hosting} again, but "
                     f"{problem}; run 'failover move' to serve the best healthy hosting, or "
                     "'failover move --to HOSTING'; --force rolls back anyway"
                     for hosting, problem in dead]
        decision = Decision((), f"roll back move {target.id} ({target.reason})",
                            warnings=tuple(warnings))
        return Plan(self.config.zone, decision, providers, self.managed, tuple(refusals))

    def _mismatched_records(self, target: MoveRow, steps: list[StepRow]) -> list[str]:
        """Why the move's before-images do not fit the managed records of today's config."""
        moved = {(rr["name"], rr["type"]) for s in steps for rr in s.before + s.desired}
        if not moved:
            return []
        added = [f"{n} {t}" for n, t in self.managed if (n, t) not in moved]
        dropped = [f"{n} {t}" for n, t in sorted(moved - set(self.managed))]
        parts = []
        if added:
            parts.append(f"the config now manages {', '.join(added)}, which move {target.id} "
                         "did not (no before-image: kept as served)")
        if dropped:
            parts.append(f"move {target.id} wrote {', '.join(dropped)}, which the config no "
                         "longer manages (not restored)")
        if not parts:
            return []
        return [f"the before-images of move {target.id} do not match the managed records: "
                + "; ".join(parts) + f"; roll back with the config move {target.id} ran with, "
                "or pass --force"]

    def _rollback_targets(self, providers: list[ProviderPlan],
                          verdicts: Mapping[str, Verdict] | None
                          ) -> tuple[list[tuple[str, str]], list[str]]:
        """The hostings a rollback would start serving, judged: the fatal problems (with
        their hosting), and the other problems."""
        owners: dict[str, set[str]] = {}
        for hosting, by_type in self.endpoints().items():
            for values in by_type.values():
                for value in values:
                    owners.setdefault(value.lower().rstrip("."), set()).add(hosting)
        targets: set[str] = set()
        strangers: set[str] = set()
        for pp in providers:
            if pp.current is None:
                continue
            served = {v for rr in pp.current.values() for v in rr.values}
            for rr in pp.desired.values():
                for value in set(rr.values) - served:
                    found = owners.get(value.lower().rstrip("."))
                    if found:
                        targets |= found
                    else:
                        strangers.add(value)
        unsure = [f"the rollback serves {v}, which is no configured hosting's endpoint"
                  for v in sorted(strangers)]
        if not targets:
            return [], unsure
        if verdicts is None:
            verdicts = {v.hosting: v for v in self.check(sorted(targets)).verdicts}
        terminated = sorted(self.coord.terminated_vendors())
        dead: list[tuple[str, str]] = []
        for hosting in sorted(targets):
            problems = judge_target(self.config, hosting, verdicts, terminated)
            if any(fatal for _problem, fatal in problems):
                dead.append((hosting, " and ".join(problem for problem, _ in problems)))
            elif problems:
                unsure.append(f"the rollback serves {hosting} again, but "
                              + " and ".join(problem for problem, _ in problems))
        return dead, unsure

    # -- status ------------------------------------------------------------------------

    def status(self) -> StatusReport:
        current = self.read_all()
        providers = [ProviderStatus(n, self.config.dns[n].vendor, cur, err)
                     for n, (cur, err) in current.items()]
        agree: dict[tuple[str, str], bool | None] = {}
        grouped = [by_record(p.rrsets) for p in providers if p.rrsets is not None]
        unread = len(grouped) < len(providers)
        for record in self.managed:
            seen = {tuple(sorted(v for rr in g.get(record, {}).values() for v in rr.values))
                    for g in grouped}
            # An unreadable provider may serve anything: agreement is unknown, not yes.
            agree[record] = False if len(seen) > 1 else None if unread else True
        moves = self.store.moves(limit=1)
        last = moves[0] if moves else None
        unfinished: list[StepStatus] = []
        if last is not None and last.shown_state in ("interrupted", "applying", "verifying"):
            for step in self.store.steps(last.id):
                cur = current.get(step.provider, (None, None))[0]
                unfinished.append(StepStatus(step, _written(step, cur, self.managed)))
        elif last is not None:
            unknown = self._settle(last, current)
            return StatusReport(self.coord.where, self.managed, providers, agree, last,
                                unfinished, unknown)
        return StatusReport(self.coord.where, self.managed, providers, agree, last,
                            unfinished)

    def _settle(self, move: MoveRow,
                current: Mapping[str, tuple[dict[RRKey, RRSet] | None, str | None]]
                ) -> list[StepStatus]:
        """The move's writes whose answer never came, judged by what is served now. One
        found written is settled in the journal as applied; any other reading is only
        shown, since the server may still apply it."""
        out = []
        for step in self.store.steps(move.id):
            if step.state != "unknown":
                continue
            now = _written(step, current.get(step.provider, (None, None))[0], self.managed)
            if now == "written":
                stamp = time.strftime("%H:%M:%S", time.localtime(self.clock.now()))
                self.store.step_state(move.id, step.provider, "applied", at=self.clock.now(),
                                      error=f"{step.error}; 'failover status' found it "
                                            f"written at {stamp}")
                now = "written (settled: the journal now says applied)"
            out.append(StepStatus(step, now))
        return out


def _with_write_proofs(findings: list[Any], proofs: Mapping[str, tuple[bool | None, str]]
                       ) -> list[Any]:
    """Each provider's ``dns`` finding with what its write credentials proved: a refusal
    is CRITICAL (a move would fail there), an unproven key is said, not judged."""
    from dataclasses import replace

    from failover.errors import EXIT_CRITICAL

    out = []
    for f in findings:
        ok, text = proofs.get(f.name, (None, "")) if f.kind == "dns" else (None, "")
        if ok is False:
            f = replace(f, status="CRITICAL", severity=EXIT_CRITICAL,
                        reason=f"write credentials refused: {text}; {f.reason}")
        elif ok is True:
            f = replace(f, reason=f"{f.reason}; write credentials accepted ({text})")
        out.append(f)
    return out


def _wrote(step: StepRow, record: tuple[str, str]) -> bool:
    """Whether the step's plan gave ``record`` an answer."""
    return any((rr["name"], rr["type"]) == record for rr in step.desired)


def _written(step: StepRow, live: dict[RRKey, RRSet] | None,
             managed: list[tuple[str, str]]) -> str:
    if live is None:
        return "unknown (provider unreachable now)"
    before = Snapshot.from_json(step.provider, step.before).rrsets
    desired = Snapshot.from_json(step.provider, step.desired).rrsets
    if not step.changes:
        return "nothing to write"
    if live == desired:
        return "written"
    if live == before:
        return "not written"
    partly = [k for k in live if live.get(k) == desired.get(k) and live.get(k) != before.get(k)]
    return "partly written" if partly else "changed since"


def _stamp(ts: float) -> str:
    import time

    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(ts))
