"""DNS providers and the zone's delegation, checked: the DNS part of what a move depends on.

Every DNS provider names its authoritative sources (``Provider.authorities()``: name
servers asked directly, or the provider's API). Each source is asked for the zone's SOA
and for the managed records, and one ``dns`` finding per provider says what was found:

- no source answers for the zone (no answer, REFUSED, not authoritative): CRITICAL, since
  a move could neither write nor verify there;
- some sources do not answer: WARNING, naming them;
- SOA serials differ between one provider's servers: WARNING ("bind 127.0.0.1:5301 serial
  7, primary 8"): a secondary lags, and a move's verification would wait for it;
- managed answers differ between providers (or between one provider's servers at the same
  serial): WARNING naming the records, the providers and what each serves;
- a managed record's TTL is over ``max_ttl``: WARNING.

With ``delegation:`` in the config, the parent zone's servers are asked, without recursion,
for the zone's NS set, and a ``dns`` finding named ``delegation`` matches each listed name
to a provider (``ns_names`` of every provider kind but Route 53; the hosted zone's
delegation set for Route 53): names of one vendor only, names no provider claims and
providers the parent does not list are WARNINGs; a parent that does not answer is CRITICAL.

Providers and parent servers are asked concurrently, one thread each, each bounded by its
own timeout; :func:`check_dns` never raises: whatever goes wrong becomes a finding. The
comparisons are pure functions, tested without a network.
"""

from __future__ import annotations

import re
import socket
import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Generic, TypeVar

import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.query
import dns.rcode
import dns.rdatatype

from failover.clock import Clock, SystemClock
from failover.config import Config, Route53Provider, read_deadline
from failover.dns.base import Authority, Provider, RecordKey
from failover.dns.query import DnsAuthority, parse_server, where
from failover.errors import EXIT_CRITICAL, EXIT_OK, EXIT_UNKNOWN, EXIT_WARNING, FailoverError
from failover.records import RRKey, RRSet, absolute_name
from failover.report import STATUSES, Finding

DELEGATION = "delegation"  # the name of the delegation's finding
MAX_REASON = 400
# Extra seconds a source may take beyond its own timeouts before it is given up on.
SLACK = 1.0
# Route 53's client retries throttling and 5xx itself (about 6 s in all).
ROUTE53_RETRIES = 7.0

# MNAME RNAME SERIAL REFRESH RETRY EXPIRE MINIMUM, wherever it stands in the value.
_SOA_TEXT = re.compile(r"\S+\.\s+\S+\.\s+(\d+)\s+\d+\s+\d+\s+\d+\s+\d+")
T = TypeVar("T")


class DnsCheckError(Exception):
    """A server did not answer for the zone; the message is one line saying why."""


# -- what was seen ---------------------------------------------------------------------

@dataclass(frozen=True)
class ServerView:
    """What one authoritative source of one provider answered."""

    label: str
    serial: int | None = None                       # None: not known (or no answer)
    rrsets: dict[RRKey, RRSet] | None = None        # the managed records; None: no answer
    error: str | None = None
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.error is None and self.rrsets is not None

    def to_json(self) -> dict[str, Any]:
        if self.ok:
            detail = (f"serial {self.serial}, " if self.serial is not None else "") + \
                f"{len(self.rrsets or {})} managed RRsets"
        else:
            detail = self.error or "no answer"
        return {"server": self.label, "ok": self.ok, "soa_serial": self.serial,
                "latency_ms": round(self.seconds * 1000, 1), "detail": detail}


@dataclass
class ProviderView:
    """What one provider's sources answered, and the names it claims in the delegation."""

    name: str
    vendor: str
    servers: list[ServerView] = field(default_factory=list)
    error: str | None = None            # the provider could not even name its sources
    ns_names: list[str] | None = None   # None: not known
    ns_error: str | None = None
    seconds: float = 0.0

    @property
    def primary(self) -> ServerView | None:
        """The first source that answered: the provider's answers, for comparisons."""
        return next((s for s in self.servers if s.ok), None)


# -- pure comparisons --------------------------------------------------------------------

def answers_by_record(rrsets: Mapping[RRKey, RRSet], managed: Sequence[RecordKey]
                      ) -> dict[RecordKey, tuple[str, ...]]:
    """Each managed record's values (weighted sets merged, sorted); () when absent."""
    out: dict[RecordKey, set[str]] = {key: set() for key in managed}
    for key, rr in rrsets.items():
        if (key.name, key.rtype) in out:
            out[(key.name, key.rtype)].update(rr.values)
    return {key: tuple(sorted(values)) for key, values in out.items()}


def _shown(values: tuple[str, ...]) -> str:
    return ",".join(values) if values else "nothing"


def serial_lags(servers: Sequence[ServerView]) -> list[str]:
    """``"<server> serial 7, primary 8"`` for each answering server whose SOA serial is not
    the primary's (the first answering one with a serial)."""
    known = [s for s in servers if s.ok and s.serial is not None]
    if len(known) < 2:
        return []
    primary = known[0]
    return [f"{s.label} serial {s.serial}, primary {primary.serial}"
            for s in known[1:] if s.serial != primary.serial]


def server_differences(servers: Sequence[ServerView], managed: Sequence[RecordKey]
                       ) -> list[str]:
    """Servers of one provider that serve other managed answers than its primary."""
    answering = [s for s in servers if s.ok and s.rrsets is not None]
    if len(answering) < 2:
        return []
    assert answering[0].rrsets is not None
    first = answers_by_record(answering[0].rrsets, managed)
    out = []
    for s in answering[1:]:
        assert s.rrsets is not None
        mine = answers_by_record(s.rrsets, managed)
        differ = [f"{name} {rtype} {_shown(mine[(name, rtype)])} (primary: "
                  f"{_shown(first[(name, rtype)])})"
                  for name, rtype in managed if mine[(name, rtype)] != first[(name, rtype)]]
        if differ:
            out.append(f"{s.label} serves " + "; ".join(differ))
    return out


def compare_providers(answers: Mapping[str, Mapping[RecordKey, tuple[str, ...]]]
                      ) -> dict[str, list[str]]:
    """For each provider, the managed records where it serves something else than the
    others: ``"www.example.org. A 192.0.2.1 (route53: 192.0.2.2)"``.

    What most providers serve is taken as agreed; on a tie every provider is named.
    """
    out: dict[str, list[str]] = {name: [] for name in answers}
    if len(answers) < 2:
        return out
    records = sorted({key for a in answers.values() for key in a})
    for key in records:
        values = {name: a.get(key, ()) for name, a in answers.items()}
        counts = Counter(values.values())
        if len(counts) < 2:
            continue
        (top, n), *rest = counts.most_common()
        agreed = top if n > rest[0][1] else None
        for name, mine in values.items():
            if mine == agreed:
                continue
            others = ", ".join(f"{other}: {_shown(v)}" for other, v in values.items()
                               if other != name and v != mine)
            out[name].append(f"{key[0]} {key[1]} {_shown(mine)} ({others})")
    return out


def ttl_problems(rrsets: Mapping[RRKey, RRSet], max_ttl: int) -> list[str]:
    """Managed RRsets whose TTL is over ``max_ttl``: resolvers keep old answers that long."""
    return [f"{key} TTL {rr.ttl}s over max_ttl {max_ttl}s"
            for key, rr in sorted(rrsets.items()) if rr.ttl > max_ttl]


def provider_finding(view: ProviderView, differences: Sequence[str],
                     managed: Sequence[RecordKey], max_ttl: int) -> Finding:
    """The finding for one provider, from what its sources answered and how its answers
    compare with the other providers' (``differences``, from :func:`compare_providers`)."""
    servers = view.servers
    answering = [s for s in servers if s.ok]
    primary = view.primary
    metrics: dict[str, float] = {"servers": float(len(servers)),
                                 "servers_answering": float(len(answering)),
                                 "up": 1.0 if primary is not None else 0.0}
    if primary is not None and primary.serial is not None:
        metrics["soa_serial"] = float(primary.serial)
    evidence = [s.to_json() for s in servers]
    if primary is None:
        why = view.error or next((s.error for s in servers if s.error), None) or \
            "it names no authoritative server"
        count = f"none of its {len(servers)} servers answers" if len(servers) > 1 else \
            "no answer"
        return Finding("dns", view.name, STATUSES[EXIT_CRITICAL], EXIT_CRITICAL,
                       _one_line(f"{count} for the zone: {why}"), vendor=view.vendor,
                       seconds=view.seconds, evidence=evidence, metrics=metrics)
    problems = [f"{s.label} does not answer: {s.error}" for s in servers if not s.ok]
    lags = serial_lags(servers)
    problems += lags
    if not lags:  # at one serial, differing answers are a problem of their own
        problems += server_differences(servers, managed)
    if differences:
        problems.append("serves other answers than the other providers: "
                        + "; ".join(differences))
    assert primary.rrsets is not None
    problems += ttl_problems(primary.rrsets, max_ttl)
    if problems:
        return Finding("dns", view.name, STATUSES[EXIT_WARNING], EXIT_WARNING,
                       _one_line("; ".join(problems)), vendor=view.vendor,
                       seconds=view.seconds, evidence=evidence, metrics=metrics)
    serial = f", serial {primary.serial}" if primary.serial is not None else ""
    agree = ", managed answers agree with the other providers" if not differences else ""
    reason = (f"{len(answering)}/{len(servers)} servers answer for the zone{serial}"
              f"{agree if len(managed) else ''}")
    return Finding("dns", view.name, STATUSES[EXIT_OK], EXIT_OK, reason, vendor=view.vendor,
                   seconds=view.seconds, evidence=evidence, metrics=metrics)


@dataclass(frozen=True)
class ParentView:
    """What one server of the parent zone lists as the zone's name servers."""

    server: str
    names: list[str] | None = None  # None: no answer
    error: str | None = None
    seconds: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return {"server": self.server, "ok": self.names is not None, "ns": self.names,
                "latency_ms": round(self.seconds * 1000, 1),
                "detail": self.error or f"lists {len(self.names or [])} name servers"}


def delegation_finding(zone: str, parents: Sequence[ParentView],
                       providers: Sequence[ProviderView]) -> Finding:
    """The delegation's finding: which vendors the parent's NS set for ``zone`` reaches."""
    evidence = [p.to_json() for p in parents]
    answered = [p for p in parents if p.names is not None]
    metrics: dict[str, float] = {"parents": float(len(parents)),
                                 "parents_answering": float(len(answered)),
                                 "up": 1.0 if answered else 0.0}
    seconds = max((p.seconds for p in parents), default=0.0)
    if not answered:
        why = "; ".join(f"{p.server}: {p.error}" for p in parents) or "no parent servers"
        return Finding("dns", DELEGATION, STATUSES[EXIT_CRITICAL], EXIT_CRITICAL,
                       _one_line(f"the parent zone does not answer for {zone}: {why}"),
                       seconds=seconds, evidence=evidence, metrics=metrics)
    listed = sorted({n for p in answered for n in p.names or []})
    owners: dict[str, ProviderView] = {}
    for view in providers:
        for n in view.ns_names or []:
            owners.setdefault(n.lower(), view)
    vendors = sorted({owners[n].vendor for n in listed if n in owners})
    metrics["servers"] = float(len(listed))
    metrics["vendors"] = float(len(vendors))
    problems = []
    if len(answered) > 1 and len({tuple(sorted(p.names or [])) for p in answered}) > 1:
        problems.append("the parent's servers disagree: " + "; ".join(
            f"{p.server} lists {', '.join(sorted(p.names or []))}" for p in answered))
    if len(vendors) == 1:
        problems.append(f"all {len(listed)} name servers listed at the parent are at vendor "
                        f"'{vendors[0]}': its termination takes the zone with it; delegate "
                        "to name servers of a second vendor too")
    elif not vendors and listed:
        problems.append("no name server listed at the parent belongs to a configured DNS "
                        "provider")
    unclaimed = [n for n in listed if n not in owners]
    unknown = [v for v in providers if v.ns_names is None and v.ns_error]
    if unclaimed:
        hint = (f" (names of {', '.join(v.name for v in unknown)} unknown: "
                f"{'; '.join(str(v.ns_error) for v in unknown)})" if unknown
                else "; add them to a provider's ns_names")
        problems.append(f"listed at the parent but claimed by no DNS provider: "
                        f"{', '.join(unclaimed)}{hint}")
    missing = [v.name for v in providers if v.ns_names and not set(v.ns_names) & set(listed)]
    if missing:
        problems.append(f"not delegated to {', '.join(missing)}: resolvers never ask "
                        f"{'it' if len(missing) == 1 else 'them'}")
    if problems:
        return Finding("dns", DELEGATION, STATUSES[EXIT_WARNING], EXIT_WARNING,
                       _one_line("; ".join(problems)), seconds=seconds, evidence=evidence,
                       metrics=metrics)
    providers_of: dict[str, set[str]] = {}
    for n in listed:
        if n in owners:
            providers_of.setdefault(owners[n].vendor, set()).add(owners[n].name)
    by_vendor = ", ".join(f"{vendor} ({', '.join(sorted(providers_of[vendor]))})"
                          for vendor in vendors)
    return Finding("dns", DELEGATION, STATUSES[EXIT_OK], EXIT_OK,
                   f"{zone} is delegated to {len(listed)} name servers at {len(vendors)} "
                   f"vendors: {by_vendor}", seconds=seconds, evidence=evidence,
                   metrics=metrics)


def delegated_names(response: dns.message.Message, zone: str) -> list[str]:
    """The NS names for ``zone`` in a parent's answer: a referral (authority section), or
    an answer when the server also holds the zone itself. Sorted, lower-case, absolute."""
    owner = dns.name.from_text(zone)
    for section in (response.answer, response.authority):
        for rrset in section:
            if rrset.rdtype == dns.rdatatype.NS and rrset.name == owner:
                return sorted({rd.target.to_text().lower() for rd in rrset})
    return []


def _one_line(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= MAX_REASON else text[:MAX_REASON - 3] + "..."


# -- asking servers ------------------------------------------------------------------------

def ask(host: str, port: int, qname: str, rdtype: str, timeout: float) -> dns.message.Message:
    """One non-recursive query straight to ``host:port`` over UDP (TCP if truncated).

    The UDP socket is connected, so a server that is down answers "refused" at once rather
    than after ``timeout``. Every failure is a :class:`DnsCheckError` with one line.
    """
    server = where(host, port)
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_DGRAM)
    except socket.gaierror as exc:
        raise DnsCheckError(f"cannot resolve {host}: {exc.strerror}") from None
    family, _, _, _, address = infos[0]
    query = dns.message.make_query(qname, rdtype)
    query.flags &= ~dns.flags.RD
    deadline = time.monotonic() + timeout
    try:
        with socket.socket(family, socket.SOCK_DGRAM) as sock:
            sock.connect(address)
            sock.send(query.to_wire())
            while True:
                sock.settimeout(max(0.001, deadline - time.monotonic()))
                wire = sock.recv(65535)
                try:
                    answer = dns.message.from_wire(wire, raise_on_truncation=True)
                except dns.message.Truncated:
                    left = max(0.001, deadline - time.monotonic())
                    return dns.query.tcp(query, str(address[0]), port=port, timeout=left)
                except dns.exception.FormError:
                    continue  # not a DNS answer: keep listening until the deadline
                if query.is_response(answer):
                    return answer
    except (TimeoutError, dns.exception.Timeout):
        raise DnsCheckError(f"no answer from {server} within {timeout:g}s") from None
    except ConnectionRefusedError:
        raise DnsCheckError(f"{server} refused the query (nothing listening)") from None
    except OSError as exc:
        raise DnsCheckError(f"cannot reach {server}: {exc.strerror or exc}") from None
    except dns.exception.DNSException as exc:
        raise DnsCheckError(f"{server} sent a bad answer: {exc}") from None


def soa_serial(host: str, port: int, zone: str, timeout: float) -> int:
    """The SOA serial ``host:port`` serves for ``zone``; DnsCheckError if it does not
    answer for the zone authoritatively."""
    answer = ask(host, port, zone, "SOA", timeout)
    _authoritative(answer, where(host, port), zone)
    owner = dns.name.from_text(zone)
    for rrset in answer.answer:
        if rrset.rdtype == dns.rdatatype.SOA and rrset.name == owner:
            return int(rrset[0].serial)
    raise DnsCheckError(f"{where(host, port)} has no SOA for {zone}")


def parent_names(host: str, port: int, zone: str, timeout: float) -> list[str]:
    """The NS names a parent server lists for ``zone``; DnsCheckError if it lists none."""
    server = where(host, port)
    answer = ask(host, port, zone, "NS", timeout)
    rcode = answer.rcode()
    if rcode == dns.rcode.NXDOMAIN:
        raise DnsCheckError(f"{server} says {zone} does not exist (NXDOMAIN)")
    if rcode != dns.rcode.NOERROR:
        raise DnsCheckError(f"{server} answered {dns.rcode.to_text(rcode)}; does it serve "
                            f"the parent of {zone}?")
    names = delegated_names(answer, zone)
    if not names:
        raise DnsCheckError(f"{server} lists no name servers for {zone}")
    return names


def _authoritative(answer: dns.message.Message, server: str, zone: str) -> None:
    rcode = answer.rcode()
    if rcode != dns.rcode.NOERROR:
        raise DnsCheckError(f"{server} answered {dns.rcode.to_text(rcode)}; does it still "
                            f"serve {zone}?")
    if not answer.flags & dns.flags.AA:
        raise DnsCheckError(f"{server} is not authoritative for {zone}; does it still "
                            f"serve it?")


def _route53_serial(provider: Provider, zone: str) -> int | None:
    """The SOA serial in a Route 53 hosted zone, read through its API (None if unreadable)."""
    from failover.dns.route53 import Route53

    if not isinstance(provider, Route53):
        return None
    page = provider.call("ListResourceRecordSets", provider.client.list_resource_record_sets,
                         HostedZoneId=provider.zone_id, StartRecordName=zone,
                         StartRecordType="SOA", MaxItems="1")
    for raw in page.get("ResourceRecordSets", []):
        if raw.get("Type") == "SOA" and raw.get("ResourceRecords"):
            # Searched, not parsed: moto wraps the value as "{'Value': '...'}".
            match = _SOA_TEXT.search(str(raw["ResourceRecords"][0].get("Value", "")))
            return int(match.group(1)) if match else None
    return None


def _route53_names(provider: Provider) -> list[str]:
    """The hosted zone's name servers (its delegation set), as absolute lower-case names."""
    from failover.dns.route53 import Route53

    if not isinstance(provider, Route53):
        return []
    zone = provider.call("GetHostedZone", provider.client.get_hosted_zone,
                         Id=provider.zone_id)
    names = (zone.get("DelegationSet") or {}).get("NameServers") or []
    return [str(n).lower().rstrip(".") + "." for n in names]


# -- running it all, bounded ---------------------------------------------------------------

class _Batch(Generic[T]):
    """Jobs on daemon threads, each given up on after its own budget (a hung server
    never holds the check, nor the process's exit)."""

    def __init__(self) -> None:
        self._threads: dict[str, tuple[threading.Thread, float]] = {}
        self._results: dict[str, T] = {}

    def start(self, key: str, job: Callable[[], T], budget: float) -> None:
        def run() -> None:
            self._results[key] = job()

        thread = threading.Thread(target=run, name=f"dnscheck {key}", daemon=True)
        self._threads[key] = (thread, time.monotonic() + budget)
        thread.start()

    def results(self) -> dict[str, T | None]:
        """Each job's result; None for a job still running past its budget."""
        for thread, deadline in self._threads.values():
            thread.join(max(0.0, deadline - time.monotonic()))
        return {key: self._results.get(key) for key in self._threads}


def _timeout_of(settings: Any) -> float:
    return float(getattr(settings, "timeout", 5.0))


def _budget(settings: Any) -> float:
    """How long one source of this provider may take: a SOA query and a read, each within
    the provider's timeout (Route 53: a few API calls, and its own retries)."""
    timeout = _timeout_of(settings)
    if isinstance(settings, Route53Provider):
        budget = 4 * timeout + ROUTE53_RETRIES + SLACK
    else:
        budget = 2 * timeout + SLACK
    # Never past the provider's deadline (plus slack), as every other read of it: a hung
    # provider costs a check about one deadline, not several timeouts and retries.
    return min(budget, read_deadline(settings) + SLACK)


def _error(exc: BaseException) -> str:
    """One line for a failure: our own errors as they are, anything else with its type."""
    text = str(exc) or type(exc).__name__
    if isinstance(exc, (DnsCheckError, FailoverError)):
        return _one_line(text)
    return _one_line(f"{type(exc).__name__}: {text}")


def _ask_source(provider: Provider, source: Authority, managed: Sequence[RecordKey],
                timeout: float, clock: Clock) -> ServerView:
    start = clock.monotonic()
    label = getattr(source, "label", repr(source))
    try:
        if isinstance(source, DnsAuthority):
            serial: int | None = soa_serial(source.host, source.port, provider.zone, timeout)
        else:
            serial = _route53_serial(provider, provider.zone)
        rrsets = source.read(managed)
    except Exception as exc:
        return ServerView(label, error=_error(exc), seconds=clock.monotonic() - start)
    return ServerView(label, serial, dict(rrsets), seconds=clock.monotonic() - start)


def _claimed_names(settings: Any, provider: Provider) -> tuple[list[str] | None, str | None]:
    """The names this provider answers as in the zone's NS set, or why they are unknown."""
    if not isinstance(settings, Route53Provider):
        return list(getattr(settings, "ns_names", [])) or None, None
    try:
        names = _route53_names(provider)
    except Exception as exc:
        return None, _error(exc)
    return (names, None) if names else (None, "GetHostedZone lists no name servers")


def _check_provider(name: str, settings: Any, provider: Provider,
                    managed: Sequence[RecordKey], want_names: bool,
                    clock: Clock) -> ProviderView:
    start = clock.monotonic()
    view = ProviderView(name, settings.vendor)
    timeout = _timeout_of(settings)
    try:
        sources = provider.authorities()
    except Exception as exc:
        view.error = _error(exc)
        sources = []
    asked: _Batch[ServerView] = _Batch()
    for i, source in enumerate(sources):
        asked.start(str(i), partial(_ask_source, provider, source, managed, timeout, clock),
                    _budget(settings))
    got = asked.results()
    for i, source in enumerate(sources):
        seen = got[str(i)]
        label = getattr(source, "label", repr(source))
        view.servers.append(seen if seen is not None else ServerView(
            label, error=f"no answer within {_budget(settings):g}s",
            seconds=_budget(settings)))
    if want_names:
        # After the sources, not beside them: a provider's SDK client is made lazily and
        # is not made thread-safely.
        view.ns_names, view.ns_error = _claimed_names(settings, provider)
    view.seconds = clock.monotonic() - start
    return view


def _ask_parent(server: str, zone: str, timeout: float, clock: Clock) -> ParentView:
    start = clock.monotonic()
    try:
        host, port = parse_server(server)
        names = parent_names(host, port, zone, timeout)
    except Exception as exc:
        return ParentView(server, error=_error(exc), seconds=clock.monotonic() - start)
    return ParentView(server, names, seconds=clock.monotonic() - start)


def check_dns(config: Config, providers: Mapping[str, Provider], *,
              clock: Clock | None = None,
              setup_errors: Mapping[str, str] | None = None) -> list[Finding]:
    """One ``dns`` finding per DNS provider in ``config`` (in its order), then one named
    ``delegation`` when ``config.delegation`` is set. A provider missing from
    ``providers`` is reported with its ``setup_errors`` entry. Never raises."""
    clock = clock or SystemClock()
    try:
        return _check_dns(config, providers, clock, setup_errors or {})
    except Exception as exc:  # a bug here must not take the whole check down
        return [Finding("dns", name, STATUSES[EXIT_UNKNOWN], EXIT_UNKNOWN,
                        _one_line(f"DNS check failed: {_error(exc)}"), vendor=spec.vendor)
                for name, spec in config.dns.items()]


def _check_dns(config: Config, providers: Mapping[str, Provider],
               clock: Clock, setup_errors: Mapping[str, str]) -> list[Finding]:
    managed = [(absolute_name(r.name, config.zone), r.type) for r in config.records]
    want_names = config.delegation is not None
    checks: _Batch[ProviderView] = _Batch()
    budgets: dict[str, float] = {}
    for name, settings in config.dns.items():
        provider = providers.get(name)
        if provider is None:
            continue
        # Its sources run in parallel under it: one source's budget, then maybe one API call.
        names = want_names and isinstance(settings, Route53Provider)
        budgets[name] = _budget(settings) + SLACK + (_budget(settings) if names else 0.0)
        checks.start(name, partial(_check_provider, name, settings, provider, managed,
                                   want_names, clock), budgets[name])
    parents: _Batch[ParentView] = _Batch()
    if config.delegation is not None:
        timeout = config.delegation.timeout
        for server in config.delegation.parent_servers:
            parents.start(server, partial(_ask_parent, server, config.zone, timeout, clock),
                          timeout + SLACK)
    done = checks.results()

    views: list[ProviderView] = []
    for name, settings in config.dns.items():
        if name not in budgets:
            why = setup_errors.get(name, "the provider could not be set up")
            views.append(ProviderView(name, settings.vendor, error=f"not checked: {why}"))
            continue
        view = done.get(name)
        if view is None:
            view = ProviderView(name, settings.vendor, seconds=budgets[name],
                                error=f"no answer within {budgets[name]:g}s")
        views.append(view)

    answers = {}
    for view in views:
        primary = view.primary
        if primary is not None and primary.rrsets is not None:
            answers[view.name] = answers_by_record(primary.rrsets, managed)
    differences = compare_providers(answers)
    findings = []
    for view in views:
        if view.name not in budgets:
            findings.append(Finding("dns", view.name, STATUSES[EXIT_UNKNOWN], EXIT_UNKNOWN,
                                    str(view.error), vendor=view.vendor))
            continue
        findings.append(provider_finding(view, differences.get(view.name, []), managed,
                                         config.max_ttl))
    if config.delegation is not None:
        asked = parents.results()
        seen = [asked.get(s) or ParentView(s, error=f"no answer within "
                                                    f"{config.delegation.timeout:g}s")
                for s in config.delegation.parent_servers]
        findings.append(delegation_finding(config.zone, seen, views))
    return findings

