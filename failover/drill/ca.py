"""A CA drill: one ACME CA refuses; is the service still able to prove who it is?

``failover drill --ca NAME --refuse`` makes CA NAME refuse through an
:class:`~failover.drill.runner.Injector` (in a lab its Pebble is really stopped; a
simulated injector touches nothing and the CA is only treated as refusing), then
measures, phase by phase:

- **refuse**: the fault, and (when real) that the CA's directory now fails;
- **standby TARGET**: at each target, a certificate from another CA that names every
  certified name and has at least ``certs.min_days`` left (valid, on hand);
- **served HOSTING**: with ``certs.tls_port``, whether each hosting serves a valid
  certificate from a CA other than NAME (a standby hosting can prove who it is);
- **restore**: the CA given back (in a lab, its Pebble started again: a new root).

It passes when the refusal took effect, every target holds a valid standby from another
CA, and (with ``tls_port``) some hosting serves one. Each phase is journaled (events of
kind ``drill-ca``); the report is :class:`CaDrillReport` (report.json's shape).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from failover.certs import store
from failover.certs.client import Account
from failover.certs.findings import addresses
from failover.certs.issue import settings
from failover.certs.names import certified_names
from failover.certs.served import covers, fetch
from failover.certs.writer import DnsWriter
from failover.drill.report import Phase
from failover.drill.runner import Injector
from failover.errors import EXIT_CRITICAL, EXIT_OK, ConfigError, FailoverError


@dataclass
class CaDrillReport:
    """What a CA drill measured."""

    ca: str
    real: bool
    started: float
    names: list[str]
    phases: list[Phase] = field(default_factory=list)
    standby: list[dict[str, Any]] = field(default_factory=list)   # per certificate used
    served: list[dict[str, Any]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        # A hosting that still serves the refused CA's certificate is shown, not failed:
        # the drill needs one hosting that can prove who it is without that CA.
        return (bool(self.phases) and not self.errors
                and all(p.ok for p in self.phases if p.name != "served"))

    @property
    def exit_code(self) -> int:
        return EXIT_OK if self.passed else EXIT_CRITICAL

    @property
    def outcome(self) -> str:
        return "passed" if self.passed else "failed"

    def to_json(self) -> dict[str, Any]:
        return {"kind": "ca", "ca": self.ca, "real": self.real, "started": self.started,
                "outcome": self.outcome, "names": self.names,
                "phases": [p.to_json() for p in self.phases], "standby": self.standby,
                "served": self.served, "errors": self.errors}


class CaDrill:
    """One CA drill on one engine (see the module's docstring)."""

    def __init__(self, engine: DnsWriter, ca: str, injector: Injector,
                 endpoints: Callable[[], Mapping[str, Mapping[str, Sequence[str]]]]) -> None:
        certs = settings(engine.config)
        if ca not in certs.cas:
            raise ConfigError(f"--ca {ca}: no such CA; certs.cas has {', '.join(certs.cas)}")
        if len(certs.cas) < 2:
            raise ConfigError(f"--ca {ca}: certs.cas has no other CA to stand in; add a "
                              "second CA")
        self.engine = engine
        self.ca = ca
        self.injector = injector
        self.endpoints = endpoints
        self.clock = engine.clock
        self.refused_issuers: set[str] = set()

    def run(self) -> CaDrillReport:
        config = self.engine.config
        report = CaDrillReport(self.ca, self.injector.real, self.clock.now(),
                               certified_names(config))
        t0 = self.clock.monotonic()

        def phase(name: str, start: float, ok: bool, detail: str, where: str | None = None
                  ) -> None:
            p = Phase(name, start - t0, self.clock.monotonic() - start, ok, detail,
                      provider=where)
            report.phases.append(p)
            self.engine.journal.event(self.clock.now(), "drill-ca",
                                      f"drill --ca {self.ca}: {p.label} "
                                      f"{'ok' if ok else 'FAILED'}: {detail}", p.to_json())

        try:
            self._refuse(phase)
            self._standby(report, phase)
            self._served(report, phase)
        except FailoverError as exc:
            report.errors.append(str(exc))
        finally:
            start = self.clock.monotonic()
            try:
                self.injector.restore(self.ca)
            except FailoverError as exc:
                report.errors.append(f"restore: {exc}")
                phase("restore", start, False, str(exc))
            else:
                phase("restore", start, True, "the CA answers again" if self.injector.real
                      else "nothing was touched (simulated)")
        self.engine.journal.event(self.clock.now(), "drill-ca",
                                  f"drill --ca {self.ca} {report.outcome}",
                                  {"outcome": report.outcome, "ca": self.ca})
        return report

    def _refuse(self, phase: Any) -> None:
        start = self.clock.monotonic()
        self.injector.stop(self.ca)
        if not self.injector.real:
            phase("refuse", start, True, f"CA {self.ca} treated as refusing (simulated: "
                  "not contacted)")
            return
        account = Account(self.engine.config, self.ca)
        try:
            account.connect()
        except FailoverError as exc:
            phase("refuse", start, True, f"CA {self.ca} refuses: {exc}")
        else:
            phase("refuse", start, False, f"CA {self.ca} still answers its directory: the "
                  "fault did not take")
        finally:
            account.close()

    def _standby(self, report: CaDrillReport, phase: Any) -> None:
        config = self.engine.config
        certs = settings(config)
        start = self.clock.monotonic()
        found = store.on_hand(config)
        now = self.clock.now()
        self.refused_issuers = {c.issuer for c in found.certs if c.ca == self.ca and not c.error}
        for target in certs.targets:
            place = store.where(target)
            if place in found.unreadable:
                phase("standby", start, False, found.unreadable[place], place)
                continue
            usable = [c for c in found.certs if c.target == place and c.ca != self.ca
                      and not c.error and c.days_left(now) >= certs.min_days
                      and all(covers(c.names, n) for n in report.names)]
            if not usable:
                others = [c for c in found.certs if c.target == place and c.ca != self.ca]
                why = ("none from another CA" if not others else "; ".join(
                    f"{c.ca}/{c.lineage}: " + (c.error or f"{c.days_left(now):.0f} days "
                                               f"left, names {', '.join(c.names)}")
                    for c in others))
                phase("standby", start, False, f"no valid standby certificate for "
                      f"{', '.join(report.names)} from a CA other than {self.ca}: {why}; "
                      f"run 'failover certs issue --ca OTHER'", place)
                continue
            best = max(usable, key=lambda c: c.not_after)
            report.standby.append(best.to_json(now))
            phase("standby", start, True, f"{best.ca}/{best.lineage} from {best.issuer}, "
                  f"{best.days_left(now):.0f} days left, names every certified name", place)

    def _served(self, report: CaDrillReport, phase: Any) -> None:
        config = self.engine.config
        certs = settings(config)
        if certs.tls_port is None:
            report.errors.append("served certificates not checked: set certs.tls_port")
            return
        endpoints = self.endpoints()
        refused = self.refused_issuers
        now = self.clock.now()
        any_good = False
        for hosting in config.hosting:
            start = self.clock.monotonic()
            trust = str(config.resolve_path(certs.trust)) if certs.trust else None
            rows = [fetch(hosting, a, certs.tls_port, n, certs.timeout, trust)
                    for a in addresses(endpoints.get(hosting, {})) for n in report.names]
            good = [s for s in rows if not s.error and s.covers() and s.issuer not in refused
                    and s.trusted is not False
                    and (s.not_after - now) / 86400 >= certs.min_days]
            report.served += [s.to_json() for s in rows]
            ok = bool(rows) and len(good) == len(rows)
            any_good = any_good or ok
            issuers = sorted({s.issuer for s in rows if not s.error})
            if ok:
                said = f"serves a valid certificate from {', '.join(issuers)} for every name"
            elif issuers and set(issuers) <= refused:
                said = (f"serves CA {self.ca}'s certificate: valid until it expires, not "
                        "renewable while that CA refuses")
            else:
                said = ("does not serve a valid certificate from another CA for every name: "
                        + "; ".join(s.error or (f"{s.name}: not trusted: {s.trust_error}"
                                                if s.trusted is False else
                                                f"{s.name}: {s.issuer}") for s in rows
                                    if s not in good)[:300])
            phase("served", start, ok, said, hosting)
        if not any_good:
            report.errors.append(f"no hosting serves a valid certificate from a CA other "
                                 f"than {self.ca}")
