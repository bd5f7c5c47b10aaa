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

The parts: :mod:`.ask` (one query to one server), :mod:`.views` (what was seen, the
comparisons and each provider's finding), :mod:`.delegation` (the parent's NS set and
its finding), :mod:`.jobs` (bounded threads); this module runs them. Their names are
importable from here as before.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import partial
from typing import Any

from failover.clock import Clock, SystemClock
from failover.config import Config, Route53Provider, read_deadline
from failover.dns.base import Authority, Provider, RecordKey
from failover.dns.query import DnsAuthority, parse_server
from failover.dnscheck.ask import DnsCheckError, ask, route53_names, route53_serial, soa_serial
from failover.dnscheck.delegation import (
    DELEGATION,
    ParentView,
    delegated_names,
    delegation_finding,
    parent_names,
)
from failover.dnscheck.jobs import Jobs
from failover.dnscheck.views import (
    ProviderView,
    ServerView,
    answers_by_record,
    compare_providers,
    one_line,
    provider_finding,
    serial_lags,
    server_differences,
    ttl_problems,
)
from failover.errors import EXIT_UNKNOWN, FailoverError
from failover.records import absolute_name
from failover.report import STATUSES, Finding

__all__ = [
    "DELEGATION", "DnsCheckError", "ParentView", "ProviderView", "ServerView",
    "answers_by_record", "ask", "check_dns", "compare_providers", "delegated_names",
    "delegation_finding", "parent_names", "provider_finding", "serial_lags",
    "server_differences", "soa_serial", "ttl_problems",
]

# Extra seconds a source may take beyond its own timeouts before it is given up on.
SLACK = 1.0
# Route 53's client retries throttling and 5xx itself (about 6 s in all).
ROUTE53_RETRIES = 7.0


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
        return one_line(text)
    return one_line(f"{type(exc).__name__}: {text}")


def _ask_source(provider: Provider, source: Authority, managed: Sequence[RecordKey],
                timeout: float, clock: Clock) -> ServerView:
    start = clock.monotonic()
    label = getattr(source, "label", repr(source))
    try:
        if isinstance(source, DnsAuthority):
            serial: int | None = soa_serial(source.host, source.port, provider.zone, timeout)
        else:
            serial = route53_serial(provider, provider.zone)
        rrsets = source.read(managed)
    except Exception as exc:
        return ServerView(label, error=_error(exc), seconds=clock.monotonic() - start)
    return ServerView(label, serial, dict(rrsets), seconds=clock.monotonic() - start)


def _claimed_names(settings: Any, provider: Provider) -> tuple[list[str] | None, str | None]:
    """The names this provider answers as in the zone's NS set, or why they are unknown."""
    if not isinstance(settings, Route53Provider):
        return list(getattr(settings, "ns_names", [])) or None, None
    try:
        names = route53_names(provider)
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
    asked: Jobs[ServerView] = Jobs()
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
                        one_line(f"DNS check failed: {_error(exc)}"), vendor=spec.vendor)
                for name, spec in config.dns.items()]


def _check_dns(config: Config, providers: Mapping[str, Provider],
               clock: Clock, setup_errors: Mapping[str, str]) -> list[Finding]:
    managed = [(absolute_name(r.name, config.zone), r.type) for r in config.records]
    want_names = config.delegation is not None
    checks: Jobs[ProviderView] = Jobs()
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
    parents: Jobs[ParentView] = Jobs()
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

