"""Moving the delegation: the NS set each registrar holds, without a vendor's name servers.

When a DNS vendor is gone, its name servers may still answer (stale records that
send users to dead hosting) or answer REFUSED; either way the parent keeps
sending resolvers to them until the registrar's NS set drops them. This module
plans that change, applies it with the same safety as a record move, and undoes
it:

- :func:`plan` reads each registrar's NS set, tells each name's vendor (from the
  DNS providers: Route 53's delegation set, every other kind's ``ns_names``), and
  proposes the set without the vendor's names. It refuses (without ``force``) a
  set of fewer than two names or of one vendor only, and always refuses an empty
  one. It reads the parent's NS TTL: resolvers keep the old set that long.
- :func:`apply` journals the plan and every before-image first (kind
  ``delegation``), writes each registrar with its precondition (the NS set must
  still be the planned ``before``), verifies each by reading it back, and checks
  the parent's servers against the registrar that is the parent itself (RFC 2136).
- :func:`rollback_plan` turns a journaled delegation move back into a plan.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from failover.clock import Clock
from failover.config import Config, Rfc2136Registrar, Route53Provider
from failover.coord.base import MoveStore, newest_not_rolled_back
from failover.dns.base import Provider
from failover.dns.query import parse_server
from failover.errors import (
    EXIT_CRITICAL,
    EXIT_OK,
    EXIT_WARNING,
    FailoverError,
    JournalError,
    UnsafePlanError,
)
from failover.journal import MoveRow
from failover.move import NOT_STARTED
from failover.registrars.base import Registrar, ns_name

KIND = "delegation"
UNKNOWN = "?"  # the vendor of a name no DNS provider claims


@dataclass
class RegistrarPlan:
    registrar: str
    label: str
    before: list[str] | None          # None: could not be read
    after: list[str] | None
    error: str | None = None

    @property
    def changed(self) -> bool:
        return self.before is not None and self.after is not None and self.before != self.after

    def to_json(self) -> dict[str, Any]:
        return {"registrar": self.registrar, "label": self.label, "before": self.before,
                "after": self.after, "changed": self.changed, "error": self.error}


@dataclass
class DelegationPlan:
    zone: str
    reason: str
    owners: dict[str, str]            # NS name -> vendor
    registrars: list[RegistrarPlan]
    parent_ttl: int | None
    warnings: list[str] = field(default_factory=list)
    refusals: list[str] = field(default_factory=list)   # lifted by --force
    blockers: list[str] = field(default_factory=list)   # never lifted

    @property
    def checksum(self) -> str:
        body = json.dumps([(r.registrar, r.before, r.after) for r in self.registrars],
                          sort_keys=True)
        return hashlib.sha256(f"{self.zone}|{body}".encode()).hexdigest()[:16]

    @property
    def empty(self) -> bool:
        return not any(r.changed for r in self.registrars)

    def to_json(self) -> dict[str, Any]:
        return {"zone": self.zone, "reason": self.reason, "checksum": self.checksum,
                "owners": self.owners, "parent_ttl": self.parent_ttl,
                "warnings": self.warnings, "refusals": self.refusals,
                "blockers": self.blockers,
                "registrars": [r.to_json() for r in self.registrars]}


@dataclass
class RegistrarResult:
    registrar: str
    state: str                         # applied | unchanged | failed | unreachable
    error: str | None = None
    verified: bool = False
    detail: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"registrar": self.registrar, "state": self.state, "error": self.error,
                "verified": self.verified, "detail": self.detail}


@dataclass
class DelegationResult:
    move_id: int
    kind: str
    state: str                         # done | partial | unverified | failed
    steps: list[RegistrarResult]
    parent: list[tuple[str, bool, str]]  # (server, lists the new set, detail)
    summary: str
    interrupted: bool = False            # a person's Ctrl-C: writes not started skipped

    @property
    def exit_code(self) -> int:
        if self.state == "done":
            return EXIT_OK
        return EXIT_WARNING if self.state == "unverified" else EXIT_CRITICAL

    def to_json(self) -> dict[str, Any]:
        return {"move_id": self.move_id, "kind": self.kind, "state": self.state,
                "summary": self.summary, "steps": [s.to_json() for s in self.steps],
                "parent": [{"server": s, "ok": ok, "detail": d} for s, ok, d in self.parent]}


# -- whose name server is which -----------------------------------------------------------

def owners(config: Config, providers: Mapping[str, Provider]) -> tuple[dict[str, str],
                                                                      list[str]]:
    """NS name -> vendor, from every DNS provider that can say; and what could not be told."""
    from failover.dnscheck import _claimed_names

    found: dict[str, str] = {}
    notes = []
    for name, settings in config.dns.items():
        provider = providers.get(name)
        names: list[str] | None = None
        error: str | None = None
        if not isinstance(settings, Route53Provider):
            names = [ns_name(n) for n in getattr(settings, "ns_names", [])]
        elif provider is not None:
            names, error = _claimed_names(settings, provider)
        else:
            error = "its provider could not be built"
        if not names and provider is not None and hasattr(provider, "name_servers"):
            # Cloudflare and Cloud DNS say which name servers they gave the zone.
            try:
                names, error = provider.name_servers(), None
            except FailoverError as exc:
                error = str(exc)
        if error:
            notes.append(f"cannot tell {name}'s name servers: {error}")
        for n in names or []:
            found[ns_name(n)] = settings.vendor
    return found, notes


def advice(config: Config, terminated: Sequence[str]) -> str | None:
    """What ``reconcile`` says when a terminated vendor also serves the zone's DNS: its name
    servers are still in the parent's delegation until the registrar drops them."""
    gone = sorted({p.vendor for p in config.dns.values()} & set(terminated))
    if not gone:
        return None
    flags = " ".join(f"--off {v}" for v in gone)
    how = (f"run 'failover delegation move {flags}'"
           if config.delegation is not None and config.delegation.registrars
           else "ask the registrar to remove them (or add delegation.registrars and run "
                f"'failover delegation move {flags}')")
    return (f"DNS vendor {', '.join(gone)} is TERMINATED and its name servers may still be "
            f"delegated to: {how}")


# -- planning -----------------------------------------------------------------------------

def plan(config: Config, providers: Mapping[str, Provider],
         registrars: Mapping[str, Registrar], off: Sequence[str]) -> DelegationPlan:
    """The NS set each registrar should hold without ``off``'s name servers."""
    known, notes = owners(config, providers)
    gone = set(off)
    plans = []
    for name, registrar in registrars.items():
        try:
            before = registrar.read()
        except FailoverError as exc:
            plans.append(RegistrarPlan(name, registrar.label, None, None, str(exc)))
            continue
        after = [n for n in before if known.get(n) not in gone]
        plans.append(RegistrarPlan(name, registrar.label, before, after))
    reason = f"delegation off {', '.join(sorted(gone))}"
    result = DelegationPlan(config.zone, reason, known, plans, parent_ttl(config),
                            warnings=notes)
    _judge(result)
    return result


def _judge(p: DelegationPlan) -> None:
    """Fill the plan's warnings, refusals (lifted by --force) and blockers."""
    for r in p.registrars:
        if r.error:
            p.warnings.append(f"{r.registrar}: not planned: {r.error}")
            continue
        assert r.before is not None and r.after is not None
        unknown = [n for n in r.before if p.owners.get(n, UNKNOWN) == UNKNOWN]
        if unknown:
            p.warnings.append(f"{r.registrar}: no DNS provider claims {', '.join(unknown)}; "
                              f"kept (add them to a provider's ns_names)")
        if not r.changed:
            continue
        vendors = {p.owners.get(n, UNKNOWN) for n in r.after} - {UNKNOWN}
        if not r.after:
            p.blockers.append(f"{r.registrar}: the new NS set would be empty; the zone would "
                              f"stop resolving")
        elif len(r.after) < 2:
            p.refusals.append(f"{r.registrar}: only {len(r.after)} name server would be left "
                              f"({', '.join(r.after)})")
        elif len(vendors) < 2:
            p.refusals.append(f"{r.registrar}: every name server left is at one vendor "
                              f"({', '.join(sorted(vendors)) or 'unknown'})")
    if p.parent_ttl is not None and not p.empty:
        p.warnings.append(f"the parent's NS TTL is {p.parent_ttl} s ({_span(p.parent_ttl)}): "
                          f"resolvers that cached the old delegation keep asking the removed "
                          f"name servers that long (.com: 2 days)")


def check_safety(p: DelegationPlan, *, force: bool) -> None:
    if p.blockers:
        raise UnsafePlanError("; ".join(p.blockers) + " (not even with --force)")
    if p.refusals and not force:
        raise UnsafePlanError("; ".join(p.refusals) + "; pass --force to apply anyway")


def parent_ttl(config: Config) -> int | None:
    """The NS TTL the first parent server that answers gives for the zone's delegation."""
    if config.delegation is None:
        return None
    import dns.rdatatype

    from failover.dnscheck import DnsCheckError, ask

    for server in config.delegation.parent_servers:
        host, port = parse_server(server)
        try:
            answer = ask(host, port, config.zone, "NS", config.delegation.timeout)
        except DnsCheckError:  # a dead parent server is told by verification, not here
            continue
        for section in (answer.answer, answer.authority):
            for rrset in section:
                if rrset.rdtype == dns.rdatatype.NS and rrset.name.to_text().lower() == config.zone:
                    return int(rrset.ttl)
    return None


# -- applying -----------------------------------------------------------------------------

def apply(p: DelegationPlan, registrars: Mapping[str, Registrar], store: MoveStore,
          clock: Clock, config: Config, *, kind: str = KIND, args: dict[str, Any],
          rollback_of: int | None = None, verify_timeout: float = 30.0,
          verify_interval: float = 0.5,
          on_event: Callable[[str, dict[str, Any]], None] | None = None,
          cancel: threading.Event | None = None,
          abandon: threading.Event | None = None) -> DelegationResult:
    """Journal, write each registrar, verify; every edge is journaled as it happens.

    ``cancel`` (a person's first Ctrl-C): no registrar write starts after it; the one
    under way finishes and what was written is verified. ``abandon`` (the second): no
    more verifying; the outcome is journaled and returned at once."""
    emit = on_event or (lambda _k, _d: None)
    t0 = clock.monotonic()
    steps = [{"provider": r.registrar, "vendor": "registrar",
              "before": _ns_json(p.zone, r.before), "desired": _ns_json(p.zone, r.after),
              "changes": [], "state": "planned" if r.before is not None else "unreachable",
              "tolerated": False} for r in p.registrars]
    move_id = store.begin_move(kind=kind, at=clock.now(), reason=p.reason, args=args,
                               checksum=p.checksum, steps=steps, rollback_of=rollback_of)
    results = []
    for r in p.registrars:
        result = RegistrarResult(r.registrar, "unchanged")
        if r.before is None or r.after is None:
            result.state, result.error = "unreachable", r.error
        elif r.changed and cancel is not None and cancel.is_set():
            result.state, result.error = "failed", NOT_STARTED
            store.step_state(move_id, r.registrar, "failed", at=clock.now(), error=NOT_STARTED)
            emit("registrar", result.to_json())
        elif r.changed:
            store.step_state(move_id, r.registrar, "writing", at=clock.now())
            try:
                registrars[r.registrar].write(r.before, r.after)
            except FailoverError as exc:
                result.state, result.error = "failed", str(exc)
            else:
                result.state = "applied"
            store.step_state(move_id, r.registrar, result.state, at=clock.now(),
                             error=result.error)
            emit("registrar", result.to_json())
        else:
            store.step_state(move_id, r.registrar, "unchanged", at=clock.now())
        if result.state in ("applied", "unchanged") and r.after is not None:
            result.verified, result.detail = _verify(registrars[r.registrar], r.after, clock,
                                                     verify_timeout, verify_interval, abandon)
            store.record_verification(move_id, r.registrar, registrars[r.registrar].label,
                                      result.verified, clock.monotonic() - t0, result.detail,
                                      clock.now())
        results.append(result)
    parent = [] if abandon is not None and abandon.is_set() else \
        _verify_parent(p, config, registrars, results, clock, verify_timeout, verify_interval)
    for server, ok, detail in parent:
        store.record_verification(move_id, "parent", server, ok, clock.monotonic() - t0,
                                  detail, clock.now())
    state = _outcome(results, parent)
    summary = _summary(kind, state, results, clock.monotonic() - t0)
    stopped = bool(cancel is not None and cancel.is_set())
    if stopped:
        summary += "; interrupted (Ctrl-C)"
    store.move_state(move_id, state, at=clock.now(), summary=summary)
    return DelegationResult(move_id, kind, state, results, parent, summary, stopped)


def _verify(registrar: Registrar, want: list[str], clock: Clock, timeout: float,
            interval: float, stop: threading.Event | None = None) -> tuple[bool, str]:
    deadline = clock.monotonic() + timeout
    last = ""
    while True:
        if stop is not None and stop.is_set():
            return False, f"not verified: a second Ctrl-C stopped verifying {last}".strip()
        try:
            got = registrar.read()
            if got == sorted(want):
                return True, f"holds {', '.join(got)}"
            last = f"holds {', '.join(got)}"
        except FailoverError as exc:
            last = str(exc)
        if clock.monotonic() >= deadline:
            return False, f"after {timeout:g}s still: {last}"
        clock.sleep(interval)


def _verify_parent(p: DelegationPlan, config: Config, registrars: Mapping[str, Registrar],
                   results: Sequence[RegistrarResult], clock: Clock, timeout: float,
                   interval: float) -> list[tuple[str, bool, str]]:
    """The parent's servers against the registrar that is the parent zone's primary."""
    if config.delegation is None:
        return []
    written = {r.registrar for r in results if r.state == "applied"}
    target = next((r for r in p.registrars if r.registrar in written and isinstance(
        config.delegation.registrars.get(r.registrar), Rfc2136Registrar)), None)
    if target is None or target.after is None:
        return []
    from failover.dnscheck import DnsCheckError, parent_names

    out = []
    for server in config.delegation.parent_servers:
        host, port = parse_server(server)
        deadline = clock.monotonic() + timeout
        while True:
            try:
                names = sorted(ns_name(n) for n in parent_names(host, port, p.zone,
                                                                 config.delegation.timeout))
                ok, detail = names == sorted(target.after), f"lists {', '.join(names)}"
            except DnsCheckError as exc:
                ok, detail = False, str(exc)
            if ok or clock.monotonic() >= deadline:
                out.append((server, ok, detail))
                break
            clock.sleep(interval)
    return out


def _outcome(results: Sequence[RegistrarResult], parent: Sequence[tuple[str, bool, str]]
             ) -> str:
    if any(r.state in ("failed", "unreachable") for r in results):
        return "partial" if any(r.state == "applied" for r in results) else "failed"
    if not all(r.verified for r in results) or not all(ok for _, ok, _ in parent):
        return "unverified"
    return "done"


def _summary(kind: str, state: str, results: Sequence[RegistrarResult], seconds: float) -> str:
    parts = [f"{kind} {state} in {seconds:.2f}s"]
    for label, states in (("written", ("applied",)), ("already right", ("unchanged",)),
                          ("not written", ("failed", "unreachable"))):
        names = [r.registrar for r in results if r.state in states]
        if names:
            parts.append(f"{label}: {', '.join(names)}")
    return "; ".join(parts)


# -- rolling back -------------------------------------------------------------------------

def rollback_target(store: MoveStore, move_id: int | None) -> MoveRow:
    """The delegation move to undo: the one named, or the newest not yet rolled back."""
    if move_id is not None:
        row = store.move(move_id)
        if row is None or row.kind != KIND:
            raise JournalError(f"no delegation move {move_id} in the journal; see "
                               f"'failover history'")
        return row
    row = newest_not_rolled_back(store, KIND)
    if row is None:
        raise JournalError("no delegation move to roll back; see 'failover history'")
    return row


def rollback_plan(config: Config, store: MoveStore, target: MoveRow,
                  registrars: Mapping[str, Registrar]) -> DelegationPlan:
    """Each registrar the move wrote, back to its journaled before-image."""
    plans = []
    for step in store.steps(target.id):
        if step.state != "applied" or step.provider not in registrars:
            continue
        registrar = registrars[step.provider]
        want = _ns_of(step.before)
        try:
            now = registrar.read()
        except FailoverError as exc:
            plans.append(RegistrarPlan(step.provider, registrar.label, None, None, str(exc)))
            continue
        plans.append(RegistrarPlan(step.provider, registrar.label, now, want))
    result = DelegationPlan(config.zone, f"roll back delegation move {target.id}", {}, plans,
                            parent_ttl(config))
    for r in plans:
        if r.error:
            result.warnings.append(f"{r.registrar}: not planned: {r.error}")
    return result


def _ns_json(zone: str, names: list[str] | None) -> list[dict[str, Any]]:
    if names is None:
        return []
    return [{"name": zone, "type": "NS", "ttl": 0, "values": list(names)}]


def _ns_of(rrsets: list[dict[str, Any]]) -> list[str]:
    return sorted(ns_name(v) for rr in rrsets for v in rr.get("values", []))


def _span(seconds: int) -> str:
    if seconds >= 86400:
        return f"{seconds / 86400:g} days"
    if seconds >= 3600:
        return f"{seconds / 3600:g} h"
    return f"{seconds / 60:g} min"
