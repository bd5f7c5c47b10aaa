"""The zone's delegation: what the parent zone's servers list as its name servers, and
whether that reaches the configured DNS providers at more than one vendor.

Each parent server is asked without recursion for the zone's NS set
(:func:`parent_names`); :func:`delegation_finding` matches each listed name to a
provider (``ns_names``, or Route 53's delegation set) and makes the ``dns`` finding
named ``delegation``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import dns.message
import dns.name
import dns.rcode
import dns.rdatatype

from failover.dns.query import where
from failover.dnscheck.ask import DnsCheckError, ask
from failover.dnscheck.views import ProviderView, one_line
from failover.errors import EXIT_CRITICAL, EXIT_OK, EXIT_WARNING
from failover.report import STATUSES, Finding

DELEGATION = "delegation"  # the name of the delegation's finding


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
                       one_line(f"the parent zone does not answer for {zone}: {why}"),
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
                       one_line("; ".join(problems)), seconds=seconds, evidence=evidence,
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

