"""The :class:`Engine`: one config, its journal, its DNS providers and coordinator, and
the verbs of the flow in DESIGN.md in the order they run: ``check`` (probe and judge),
``plan`` (decide and diff every provider), ``move`` (apply a reviewed plan); with
``rollback_plan`` and ``status`` beside them. The ideas each verb leans on live in
the modules next to this one (reading the providers, rollback, status, findings);
this one orchestrates them and emits the events (a vendor newly TERMINATED, a move
that ended) to the sinks it is given.

Tests and stand-in worlds choose what the engine sees through its seams, never by
subclassing it: ``provider_factory`` (the DNS providers), ``probe`` (the data-plane
probes) and ``pool`` (the thread pools it runs concurrent work on).
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any

from failover.clock import Clock, SystemClock
from failover.config import Config, StackEndpoints, StaticEndpoints
from failover.control.base import ControlResult
from failover.coord.base import Coordinator, MoveStore, WriteLease
from failover.dns.base import Provider
from failover.engine import fencing
from failover.engine.check import CheckReport, PoolFactory, Probe, real_probe
from failover.engine.findings import FullCheck, vendor_findings, with_write_proofs
from failover.engine.reading import Reads, Waiting, prove_writes, read_all
from failover.engine.rollback import rollback_plan, rollback_target
from failover.engine.status import StatusReport, status
from failover.errors import ConfigError, FailoverError
from failover.events import Moved, Served, Sinks, VendorTerminated
from failover.finding import Finding
from failover.health import TERMINATED, Control, Verdict, exit_code, judge_all
from failover.journal import Journal, MoveRow
from failover.move import EventSink, MoveResult, execute
from failover.plan import Plan, check_safety, provider_plan, require_readable
from failover.policy import Decision, decide, desired_rrsets
from failover.records import RRKey, RRSet, absolute_name
from failover.saas.probe import ProviderState
from failover.saas.report import findings as dependency_findings
from failover.saas.report import rows as dependency_rows

if TYPE_CHECKING:
    from failover.saas.switch import Choice

ProviderFactory = Callable[[str, Config], Provider]
# The reason of a plan that switches SaaS dependencies only (move --saas DEP --to P).
HOSTINGS_KEPT = "hostings kept as served"
SaasStates = dict[tuple[str, str], ProviderState]


class Engine:
    def __init__(self, config: Config, *, clock: Clock | None = None,
                 provider_factory: ProviderFactory | None = None,
                 sinks: Sinks | None = None, probe: Probe | None = None,
                 pool: PoolFactory | None = None) -> None:
        self.config = config
        self.clock: Clock = clock or SystemClock()
        self._factory = provider_factory
        self._probe: Probe = probe or real_probe
        self._pool: PoolFactory = pool or ThreadPoolExecutor
        # Who hears the engine's events (and the watcher's and the drill's on it): the
        # CLI adds the notices and the status page; none by default.
        self.sinks = sinks if sinks is not None else Sinks()
        self._providers: dict[str, Provider] = {}
        self._journal: Journal | None = None
        self._coord: Coordinator | None = None
        self._endpoints: dict[str, dict[str, list[str]]] | None = None
        self._last_read: Reads | None = None
        self._saas_states: SaasStates = {}
        self._saas_choices: list[Choice] = []
        # Progress for whoever renders it (the CLI's live line); never required.
        self.on_event: EventSink | None = None
        self._waiting_for = Waiting(self._emit)

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
        """An engine on the same config, clock, provider factory and seams with its own
        providers and journal connection: for background work beside this engine's next
        step."""
        return Engine(self.config, clock=self.clock, provider_factory=self._factory,
                      probe=self._probe, pool=self._pool)

    def read_apart(self) -> Reads:
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
        from failover.probes import targets_for

        cfg = self.config
        names = list(hostings) if hostings else list(cfg.hosting)
        endpoints = self.endpoints()
        targets = targets_for(cfg, {h: endpoints[h] for h in names})
        t0, at = self.clock.monotonic(), self.clock.now()
        vendors = sorted({cfg.hosting[h].vendor for h in names})
        with self._pool(max_workers=1) as pool:
            # Control planes are asked while the data-plane probes run.
            pending = pool.submit(self.control_planes, vendors)
            saas = self._probe_saas()
            results = self._probe(targets, concurrency=cfg.concurrency, clock=self.clock)
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

    def _probe_saas(self) -> Future[SaasStates] | None:
        """SaaS providers' accounts, probed on their own threads beside the hostings."""
        if not self.config.saas:
            return None
        from failover.saas.probe import probe_providers

        pool = self._pool(max_workers=1, thread_name_prefix="saas")
        future = pool.submit(probe_providers, self.config, clock=self.clock)
        pool.shutdown(wait=False)
        return future

    def _judge_saas(self, pending: Future[SaasStates] | None, at: float, known: set[str]
                    ) -> SaasStates:
        """A TERMINATED SaaS provider marks its vendor terminated, as a hosting does."""
        if pending is None:
            return {}
        states = pending.result()
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
        with self._pool(max_workers=6) as pool:
            backups = None
            if cfg.backups:
                from failover.backups import check_backups

                backups = pool.submit(check_backups, cfg, clock=self.clock)
            certs = None
            if cfg.certs is not None:
                from failover.certs.findings import check as check_certs

                # Served certificates, those on hand and CAA at every provider (issue 23).
                certs = pool.submit(check_certs, self, self.endpoints(), self.clock.now())
            registration = None
            if cfg.delegation is not None and cfg.delegation.registrars:
                registration = pool.submit(self.registration_findings)
            dns = pool.submit(check_dns, cfg, providers, clock=self.clock,
                              setup_errors=setup_errors)
            writes = pool.submit(self.prove_writes, list(providers))
            # What each provider serves: the exit code follows what users are sent to.
            current = pool.submit(self.read_all)
            report = self.check()
            findings = hosting_findings(report.verdicts) + self.vendor_findings(report)
            findings += self.saas_findings(report)
            findings += with_write_proofs(dns.result(), writes.result())
            if backups is not None:
                findings += backups.result()
            if certs is not None:
                findings += certs.result()
            if registration is not None:
                findings += registration.result()
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

    def registration_findings(self) -> list[Finding]:
        """Each registrar's word on the domain: transfer lock, expiry, auto-renew, auth
        code, privacy (issue 23)."""
        from failover.registration import findings, read_config

        return findings(read_config(self.config), self.clock.now())

    def saas_findings(self, report: CheckReport) -> list[Finding]:
        """One finding per SaaS dependency: provider in use, its account, the fallback."""
        if not self.config.saas:
            return []
        return dependency_findings(dependency_rows(self.config, self.saas_selected(),
                                                   report.saas, set(report.terminated)))

    def vendor_findings(self, report: CheckReport) -> list[Finding]:
        """One finding per vendor with a control plane or a termination mark."""
        return vendor_findings(report)

    def control_planes(self, vendors: Sequence[str]) -> dict[str, ControlResult]:
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
            raise ConfigError(f"no such vendor '{vendor}'; vendors: "
                              f"{', '.join(sorted(self.config.vendors))}")
        # It writes shared state: under the zone's lock, fenced on it in a cluster.
        with self.lock(f"failover reinstate {vendor}"):
            return self.coord.reinstate(vendor)

    # -- reading the DNS providers ----------------------------------------------------

    def prove_writes(self, names: Sequence[str]) -> dict[str, tuple[bool | None, str]]:
        """Per provider, whether it accepts our write credentials (see
        :func:`failover.engine.reading.prove_writes`)."""
        return prove_writes(self.provider, names, self._pool, until=self.coord.wait_until())

    def read_all(self) -> Reads:
        """Every provider's current RRsets for the managed records, read concurrently,
        each within its deadline (see :func:`failover.engine.reading.read_all`)."""
        self._last_read = read_all(self.config, self.provider, self.managed,
                                   self._waiting_for, until=self.coord.wait_until())
        return self._last_read

    @property
    def last_read(self) -> Served | None:
        """What :meth:`read_all` returned last (None before the first read): a new mapping
        at each read, so a caller can tell whether one happened since it last looked."""
        return self._last_read

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
            with self._pool(max_workers=1) as pool:
                reading_now = pool.submit(self.read_all)
                verdicts = {v.hosting: v for v in self.check().verdicts}
                current = reading_now.result()
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
        # --to a DOWN or TERMINATED hosting: refused without --force, as rollback is.
        refusals = list(decision.refusals)
        for pp in providers:
            ok, text = proofs.get(pp.provider, (True, ""))
            if ok is False:
                pp.write_error = text
                if not pp.tolerated:
                    refusals.append(f"{text}; the other providers would be written and DNS "
                                    "left split: fix the credentials, or pass --force to "
                                    "write the others")
        return Plan(self.config.zone, decision, providers, self.managed, tuple(refusals))

    def _saas_switches(self, decision: Decision, current: Served,
                       saas: Mapping[str, str] | None
                       ) -> tuple[Decision, dict[tuple[str, str], dict[RRKey, RRSet]]]:
        """SaaS dependencies whose provider is at an evacuated vendor (or that the operator
        names) switch with the move; their records join the plan, the reason says so."""
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

    def advance_fences(self, lease: WriteLease) -> dict[str, FailoverError]:
        """A new leader's first act: set the zone's fence record to its epoch at every DNS
        provider, at once, so that a stale leader's write fails at the server; journaled.
        The providers that could not be fenced, with why (a FenceLost there: a newer
        leader holds the fence)."""
        providers = {n: self.provider(n) for n in self.config.dns}
        failed = fencing.advance(providers, lease, until=lease.deadline)
        fenced = sorted(n for n in providers if n not in failed)
        self.journal.event(self.clock.now(), "fence",
                           f"fence at epoch {lease.epoch}: "
                           + (f"set at {', '.join(fenced)}" if fenced else "set nowhere")
                           + "".join(f"; {n}: {e}" for n, e in sorted(failed.items())),
                           {"epoch": lease.epoch, "fenced": fenced,
                            "failed": {n: str(e) for n, e in failed.items()}})
        return failed

    def fences(self) -> list[fencing.FenceReading]:
        """The DNS fence as every provider holds it now."""
        return fencing.read({n: self.provider(n) for n in self.config.dns})

    def clear_fences(self) -> dict[str, FailoverError | None]:
        """Delete the DNS fence at every provider (the caller holds :meth:`lock`);
        journaled. See :mod:`failover.engine.fencing` for when a person needs this."""
        result = fencing.clear({n: self.provider(n) for n in self.config.dns}, self.config.dns)
        failed = {n: str(e) for n, e in result.items() if e is not None}
        self.journal.event(self.clock.now(), "fence",
                           "fence cleared at " + ", ".join(sorted(n for n in result
                                                                  if n not in failed))
                           + "".join(f"; {n}: {e}" for n, e in sorted(failed.items())),
                           {"cleared": sorted(n for n in result if n not in failed),
                            "failed": failed})
        return result

    def check_safety(self, plan: Plan, *, force: bool) -> None:
        check_safety(plan, self.config.policy.max_change_fraction, force=force)

    def move(self, plan: Plan, *, reason: str, args: dict[str, Any], kind: str = "move",
             rollback_of: int | None = None, on_event: EventSink | None = None,
             cancel: threading.Event | None = None,
             abandon: threading.Event | None = None) -> MoveResult:
        """Apply a reviewed plan. The caller holds :meth:`lock` across plan and move.
        ``cancel``/``abandon``: a person's first and second Ctrl-C (see ``execute``)."""
        result = execute(plan, {n: self.provider(n) for n in self.config.dns}, self.store,
                         self.clock, kind=kind, reason=reason, args=args,
                         verify_timeout=self.config.verify.timeout,
                         verify_interval=self.config.verify.interval, rollback_of=rollback_of,
                         on_event=on_event, guard=self.coord.guard,
                         heartbeat=self.coord.heartbeat, cancel=cancel, abandon=abandon)
        self._saas_webhooks(result)
        # Journaled above: the subscribers tell it (in the background).
        self.sinks.emit(Moved(plan, result, self._served_after(plan, result)))
        return result

    def _served_after(self, plan: Plan, result: MoveResult) -> Reads:
        """What each DNS provider serves after ``result``, without reading it again: the
        desired RRsets where the move wrote, else what the plan read (providers a
        rollback's plan leaves out: the last read)."""
        planned = {pp.provider: pp for pp in plan.providers}
        written = {s.provider for s in result.steps if s.state == "applied"}
        last = self._last_read or {}
        served: Reads = {}
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

    # -- rollback and status --------------------------------------------------------------

    def rollback_target(self, move_id: int | None) -> MoveRow:
        """The move to undo: the one named, or the newest move not already rolled back."""
        return rollback_target(self.store, self.coord.where, move_id)

    def rollback_plan(self, target: MoveRow, *,
                      verdicts: Mapping[str, Verdict] | None = None) -> Plan:
        """The plan that brings every provider the move touched back to its before-image,
        with its refusals (see :func:`failover.engine.rollback.rollback_plan`)."""
        return rollback_plan(
            self.config, self.store, target, read=self.read_all, managed=self.managed,
            endpoints=self.endpoints,
            judge=lambda hostings: {v.hosting: v for v in self.check(hostings).verdicts},
            terminated=self.coord.terminated_vendors, verdicts=verdicts)

    def status(self) -> StatusReport:
        """What every provider serves now, and what the last move left unfinished."""
        current = self.read_all()
        return status(self.config, self.store, self.coord.where, current, self.managed,
                      self.clock)
