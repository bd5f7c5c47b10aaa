"""What the DNS check saw at each provider's sources, compared, and the finding it makes.

:class:`ServerView` is what one authoritative source answered (SOA serial, the managed
records, or why not); :class:`ProviderView` gathers one provider's. The comparisons are
pure functions (a secondary's serial lagging, servers of one provider or whole
providers serving other answers, TTLs over ``max_ttl``), and :func:`provider_finding`
turns them into the provider's one ``dns`` finding.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from failover.dns.base import RecordKey
from failover.errors import EXIT_CRITICAL, EXIT_OK, EXIT_WARNING
from failover.records import RRKey, RRSet
from failover.report import STATUSES, Finding
from failover.untrusted import clean

MAX_REASON = 400


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
                       one_line(f"{count} for the zone: {why}"), vendor=view.vendor,
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
                       one_line("; ".join(problems)), vendor=view.vendor,
                       seconds=view.seconds, evidence=evidence, metrics=metrics)
    serial = f", serial {primary.serial}" if primary.serial is not None else ""
    agree = ", managed answers agree with the other providers" if not differences else ""
    reason = (f"{len(answering)}/{len(servers)} servers answer for the zone{serial}"
              f"{agree if len(managed) else ''}")
    return Finding("dns", view.name, STATUSES[EXIT_OK], EXIT_OK, reason, vendor=view.vendor,
                   seconds=view.seconds, evidence=evidence, metrics=metrics)

def one_line(text: str) -> str:
    """One inert line of at most :data:`MAX_REASON` characters: it quotes servers' answers."""
    return clean(text, MAX_REASON)

